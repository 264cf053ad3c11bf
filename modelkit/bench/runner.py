"""Run the report benchmark against an Ollama server.

Per model: look it up (digest, quantization, parameters), unload it, send one cold request
(its ``load_duration`` is the cold load time), then per case (digest × language) the warm-up
runs and the measured runs, streaming. Before every warm-up/measured run a one-token request
with a different prompt evicts the server's prompt cache, so that prefill is measured on the
whole prompt every time (Ollama reuses a cached prefix otherwise: ``prompt_eval_count`` stays
the same but ``prompt_eval_duration`` drops to almost nothing). Memory comes from ``/api/ps``
while the model is loaded; the model is unloaded afterwards.

    from modelkit.ollama_api import Ollama
    from modelkit.bench import BenchOptions, run_bench, save_run

    with Ollama(host) as api:
        run = run_bench(api, ["report:en", "report:zh"], BenchOptions(repeat=3))
    save_run(run)
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from modelkit import __version__
from modelkit.bench.models import (
    BenchOptions,
    BenchRun,
    CaseResult,
    Memory,
    ModelInfo,
    ModelResult,
    RunSample,
)
from modelkit.bench.prompts import PromptSet, build_messages, load_prompt_set, messages_sha
from modelkit.bench.quality import check_report
from modelkit.bench.stats import RUN_METRICS, summarize
from modelkit.errors import UsageError
from modelkit.model_details import parse_parameters
from modelkit.names import with_tag

if TYPE_CHECKING:
    from modelkit.ollama_api import Ollama

NS = 1e9
EVICT_MESSAGES = [{"role": "user", "content": "Reply with OK."}]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchTarget:
    """A model to benchmark; ``label``/``target`` name it in tables (a project target id)."""

    model: str
    label: str | None = None
    target: str | None = None
    langs: tuple[str, ...] | None = None  # overrides BenchOptions.langs (e.g. the target's `lang` variable)

    @classmethod
    def from_resolved(cls, target: Any) -> BenchTarget:
        """From a ``modelkit.project.ResolvedTarget``: its model (also the label: short, distinct per
        matrix cell, what `ollama list` shows), its target id, and its ``lang`` variable as the only
        language."""
        lang = (getattr(target, "vars", None) or {}).get("lang")
        return cls(model=target.name, label=target.name, target=getattr(target, "target", target.id),
                   langs=(str(lang),) if lang else None)


def new_run_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def model_info(api: Ollama, target: BenchTarget) -> ModelInfo:
    import hashlib

    show = api.show(target.model)  # raises ModelNotFound with a hint
    name = with_tag(target.model)  # what /api/ps and /api/tags report
    digest = next((m.digest for m in api.list() if m.model in (name, target.model)), None)
    details = show.get("details") or {}
    system = show.get("system")
    return ModelInfo(
        name=name,
        label=target.label,
        target=target.target,
        digest=digest,
        family=details.get("family"),
        parameter_size=details.get("parameter_size"),
        quantization=details.get("quantization_level"),
        format=details.get("format"),
        parameters=parse_parameters(show.get("parameters")),
        system_sha=hashlib.sha256(system.encode()).hexdigest() if system else None,
    )


def timed_chat(api: Ollama, model: str, messages: list[dict[str, str]], options: Mapping[str, Any],
               keep_alive: str | None, kind: str = "measured", index: int = 0, keep_text: bool = True) -> RunSample:
    """One streamed chat; client-side TTFT/total, server-side timings from the final chunk."""
    parts: list[str] = []
    first: float | None = None
    final = None
    t0 = time.perf_counter()
    for chunk in api.chat(model, messages, options=options, keep_alive=keep_alive):
        msg = chunk.message
        if first is None and msg is not None and (msg.content or msg.thinking):
            first = time.perf_counter() - t0
        if msg is not None and msg.content:
            parts.append(msg.content)
        if chunk.done:
            final = chunk
    total = time.perf_counter() - t0

    def ns(v: int | None) -> float:
        return (v or 0) / NS

    return RunSample(
        kind=kind,  # type: ignore[arg-type]
        index=index,
        ttft_s=first,
        total_s=total,
        load_s=ns(final.load_duration) if final else 0.0,
        prefill_tokens=(final.prompt_eval_count or 0) if final else 0,
        prefill_s=ns(final.prompt_eval_duration) if final else 0.0,
        decode_tokens=(final.eval_count or 0) if final else 0,
        decode_s=ns(final.eval_duration) if final else 0.0,
        server_total_s=ns(final.total_duration) if final else 0.0,
        done_reason=final.done_reason if final else None,
        text="".join(parts) if keep_text else None,
    )


def memory_of(api: Ollama, name: str, digest: str | None) -> Memory | None:
    for m in api.ps():
        if m.model == name or m.name == name or (digest and m.digest == digest):
            return Memory(size=m.size or 0, size_vram=m.size_vram or 0, context_length=getattr(m, "context_length", None))
    return None


def _case_stats(case: CaseResult, high_spread: float) -> None:
    case.stats = {key: summarize([r.metric(key) for r in case.runs], high_spread) for key in RUN_METRICS}


def bench_model(api: Ollama, target: BenchTarget, options: BenchOptions, prompts: PromptSet,
                progress: Progress | None = None) -> ModelResult:
    say = progress or (lambda _msg: None)
    info = model_info(api, target)
    name = info.name
    request_options = {**options.options, "seed": options.seed, "num_predict": options.num_predict}
    one_token = {**request_options, "num_predict": 1}
    langs = list(target.langs or options.langs)
    cases = [(p, lang) for p in options.prompts for lang in langs]
    result = ModelResult(model=info)

    api.unload(name)
    try:
        _run_cases(api, result, cases, options, prompts, request_options, one_token, say)
    except BaseException:
        if options.unload_after:  # interrupted or failed: do not leave the model loaded for keep_alive
            with contextlib.suppress(Exception):
                api.unload(name)
        raise
    result.memory = memory_of(api, name, info.digest)
    if options.unload_after:
        api.unload(name)
    return result


def _run_cases(api: Ollama, result: ModelResult, cases: list[tuple[str, str]], options: BenchOptions,
               prompts: PromptSet, request_options: dict[str, Any], one_token: dict[str, Any], say: Progress) -> None:
    info, name = result.model, result.model.name
    first_digest = prompts.digest(cases[0][0])
    first_messages = build_messages(first_digest, prompts.system_for(cases[0][1]), use_model_system=options.system == "model")
    say(f"{info.display}: cold load")
    result.cold = timed_chat(api, name, first_messages, one_token, options.keep_alive, kind="cold", keep_text=False)
    say(f"{info.display}: cold load {result.cold.load_s:.2f} s")

    for prompt_id, lang in cases:
        digest = prompts.digest(prompt_id)
        system = prompts.system_for(lang)
        messages = build_messages(digest, system, use_model_system=options.system == "model")
        case = CaseResult(prompt=digest.id, lang=system.lang,
                          system="model" if options.system == "model" else system.id,
                          prompt_sha=messages_sha(messages))
        total = options.warmup + options.repeat
        for i in range(total):
            kind = "warmup" if i < options.warmup else "measured"
            index = i if kind == "warmup" else i - options.warmup
            timed_chat(api, name, EVICT_MESSAGES, one_token, options.keep_alive, kind="warmup", keep_text=False)
            sample = timed_chat(api, name, messages, request_options, options.keep_alive, kind=kind, index=index)
            sample.quality = check_report(sample.text or "", digest, system, case.lang,
                                          truncated=sample.done_reason == "length")
            (case.warmup if kind == "warmup" else case.runs).append(sample)
            tps = f"{sample.decode_tps:.1f} tok/s" if sample.decode_tps else "no tokens"
            say(f"{info.display} {case.key}: {kind} {index + 1}/{options.warmup if kind == 'warmup' else options.repeat}"
                f" {tps}, score {sample.quality.score:.0f}")
        _case_stats(case, options.high_spread)
        result.cases.append(case)


def run_bench(api: Ollama, models: Sequence[str | BenchTarget], options: BenchOptions | None = None, *,
              prompts: PromptSet | None = None, progress: Progress | None = None) -> BenchRun:
    """Benchmark ``models`` (names or ``BenchTarget``s) on the report prompt set → ``BenchRun``.

    Checks every model and prompt before the first request, so a typo fails fast.
    """
    from modelkit.sysinfo import machine_info

    options = options or BenchOptions()
    targets = [m if isinstance(m, BenchTarget) else BenchTarget(model=m) for m in models]
    if not targets:
        raise UsageError("no models to benchmark", hint="name models: `modelkit bench MODEL…`, or use --targets")
    if not options.prompts:
        raise UsageError("no prompts selected", hint="pass --prompt ID (e.g. small, medium, large)")
    prompts = prompts or load_prompt_set(options.prompt_dirs)
    for p in options.prompts:
        prompts.digest(p)
    for t in targets:
        for lang in t.langs or options.langs:
            prompts.system_for(lang)
        api.show(t.model)

    now = datetime.now(timezone.utc)
    run = BenchRun(
        id=new_run_id(now),
        created_at=now,
        modelkit_version=__version__,
        host=api.host,
        ollama_version=api.version(),
        machine=machine_info(),
        options=options,
    )
    for t in targets:
        run.models.append(bench_model(api, t, options, prompts, progress))
    return run
