"""Hand-made benchmark runs for unit tests of stats, compare and the formats (no server).

Integration tests produce real runs; these let a test inject an exact regression or noise.
"""

from __future__ import annotations

from datetime import datetime, timezone

from modelkit.bench.models import BenchOptions, BenchRun, CaseResult, Memory, ModelInfo, ModelResult, Quality, RunSample
from modelkit.bench.runner import _case_stats
from modelkit.sysinfo import GPU, MachineInfo

MACHINE = MachineInfo(os="Linux 6.1", arch="x86_64", cpu_model="Test CPU", cpu_logical=2, cpu_physical=2,
                      simd=["avx2"], memory_bytes=8 << 30, gpus=[GPU(name="none", vendor="none")][:0])


def quality(score: float, lang: str = "en", lang_share: float = 1.0, coverage: float = 1.0, invented: int = 0) -> Quality:
    return Quality(lang=lang, lang_share=lang_share, lang_ok=lang_share >= (0.6 if lang == "zh" else 0.9),
                   sections_found=["summary"], sections_missing=[], sections=1.0, cited=[1], missing=[],
                   invented=list(range(900, 900 + invented)), coverage=coverage, placement=1.0, length=100,
                   length_bounds=(50, 500), length_score=1.0, score=score)


def sample(decode_tps: float, score: float = 80.0, *, i: int = 0, prefill_tps: float = 200.0, ttft: float = 0.5,
           lang: str = "en", lang_share: float = 1.0, coverage: float = 1.0, invented: int = 0) -> RunSample:
    decode_tokens = 200
    return RunSample(kind="measured", index=i, ttft_s=ttft, total_s=ttft + decode_tokens / decode_tps, load_s=0.02,
                     prefill_tokens=400, prefill_s=400 / prefill_tps, decode_tokens=decode_tokens,
                     decode_s=decode_tokens / decode_tps, server_total_s=ttft + decode_tokens / decode_tps,
                     done_reason="stop", text="## Summary\n#1",
                     quality=quality(score, lang, lang_share, coverage, invented))


def case(decode: list[float], scores: list[float] | None = None, *, prompt: str = "small", lang: str = "en",
         lang_share: float = 1.0, coverage: float = 1.0, invented: int = 0, prefill: list[float] | None = None) -> CaseResult:
    scores = scores or [80.0] * len(decode)
    prefill = prefill or [200.0] * len(decode)
    c = CaseResult(prompt=prompt, lang=lang, system=f"report-{lang}", prompt_sha="abc",
                   runs=[sample(d, s, i=i, prefill_tps=p, lang=lang, lang_share=lang_share, coverage=coverage,
                                invented=invented)
                         for i, (d, s, p) in enumerate(zip(decode, scores, prefill))])
    _case_stats(c, 0.15)
    return c


def model(name: str, cases: list[CaseResult], memory: int = 300_000_000, cold: float = 0.8) -> ModelResult:
    return ModelResult(
        model=ModelInfo(name=name, digest="d" * 64, family="llama", parameter_size="135M", quantization="Q4_1",
                        parameters={"temperature": 0.7}),
        cold=RunSample(kind="cold", total_s=cold + 0.1, ttft_s=cold + 0.05, load_s=cold),
        memory=Memory(size=memory, size_vram=0, context_length=4096),
        cases=cases,
    )


def run(models: list[ModelResult], run_id: str = "20250101-000000-aaaa") -> BenchRun:
    return BenchRun(id=run_id, created_at=datetime(2025, 1, 1, tzinfo=timezone.utc), modelkit_version="0.1.0",
                    host="http://127.0.0.1:11434", ollama_version="0.11.4", machine=MACHINE,
                    options=BenchOptions(prompts=["small"], langs=["en"]), models=models)
