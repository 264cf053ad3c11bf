"""The report benchmark against the session's real Ollama server and real SmolLM2 weights.

Generation is kept short (num_predict ≤ 32); one CLI test runs two variants end to end.
"""

from __future__ import annotations

import json
import statistics

import pytest

from modelkit.bench import store
from modelkit.bench.formats import render
from modelkit.bench.models import BenchOptions
from modelkit.bench.prompts import load_prompt_set
from modelkit.bench.quality import check_report
from modelkit.bench.runner import BenchTarget, run_bench
from modelkit.errors import EXIT_REGRESSION, EXIT_USAGE
from tests.helpers import create_from_gguf

pytestmark = pytest.mark.integration

NUM_PREDICT = 24
#: one thread: on a shared 2-core machine llama.cpp's spinning threads slow each other down 5-10x
OPTIONS = {"num_thread": 1}


class ChatSpy:
    """Passes everything to the real client and keeps the final chunk of every chat."""

    def __init__(self, api):
        self.api = api
        self.finals: list[tuple[dict, object]] = []

    def __getattr__(self, name):
        return getattr(self.api, name)

    def chat(self, model, messages, *, options=None, keep_alive=None):
        for chunk in self.api.chat(model, messages, options=options, keep_alive=keep_alive):
            if chunk.done:
                self.finals.append((dict(options or {}), chunk))
            yield chunk


@pytest.fixture(scope="module")
def smol_variant(api, smollm2_gguf) -> str:
    """A second variant of the same weights: other sampling parameters."""
    return create_from_gguf(api, "smollm2-bench-b:latest", smollm2_gguf, parameters={"temperature": 0.2, "top_k": 20})


@pytest.fixture(scope="module")
def timed_run(api, smol_model):
    spy = ChatSpy(api)
    messages: list[str] = []
    run = run_bench(spy, [BenchTarget(smol_model, label="smol")],
                    BenchOptions(prompts=["small"], langs=["en"], repeat=3, warmup=1, num_predict=NUM_PREDICT,
                                 options=OPTIONS),
                    progress=messages.append)
    return run, spy.finals, messages


def test_decode_tokens_per_second_is_eval_count_over_eval_duration(timed_run):
    run, finals, _ = timed_run
    (model,) = run.models
    (case,) = model.cases
    # chats: cold, then (evict, run) per warm-up and measured run; the runs use num_predict=NUM_PREDICT
    runs = [chunk for options, chunk in finals if options.get("num_predict") == NUM_PREDICT]
    measured = runs[-len(case.runs):]
    assert len(case.runs) == 3 and len(measured) == 3
    raw = []
    for sample, chunk in zip(case.runs, measured):
        expected = chunk.eval_count / (chunk.eval_duration / 1e9)
        raw.append(expected)
        assert sample.decode_tokens == chunk.eval_count
        assert sample.decode_tps == pytest.approx(expected, rel=0.01)
        assert sample.prefill_tps == pytest.approx(chunk.prompt_eval_count / (chunk.prompt_eval_duration / 1e9), rel=0.01)
    reported = case.stats["decode_tps"]
    assert reported.median == pytest.approx(statistics.median(raw), rel=0.01)
    assert reported.min == pytest.approx(min(raw), rel=0.01) and reported.max == pytest.approx(max(raw), rel=0.01)
    # what the CSV / JSON formats report is the same number
    import csv
    import io

    (row,) = list(csv.DictReader(io.StringIO(render(run, "csv"))))
    assert float(row["decode_tps"]) == pytest.approx(statistics.median(raw), rel=0.01)


def test_ttft_is_within_the_total_time(timed_run):
    run, _, _ = timed_run
    model = run.models[0]
    samples = [model.cold, *model.cases[0].warmup, *model.cases[0].runs]
    for s in samples:
        assert s is not None and s.ttft_s is not None
        assert 0 < s.ttft_s <= s.total_s
        assert s.server_total_s <= s.total_s * 1.05 + 0.05  # the client waited for the server
    stats = model.cases[0].stats
    assert stats["ttft_s"].median <= stats["total_s"].median


def test_cold_load_is_slower_than_warm_load(timed_run):
    run, _, _ = timed_run
    model = run.models[0]
    assert model.cold is not None and model.cold.kind == "cold"
    warm = [r.load_s for r in model.cases[0].runs]
    assert model.cold.load_s > max(warm)


def test_prefill_is_measured_on_the_whole_prompt_every_run(timed_run):
    """The eviction request defeats the prompt cache: no measured run reuses the previous prefix."""
    run, _, _ = timed_run
    model = run.models[0]
    counts = {r.prefill_tokens for r in [model.cold, *model.cases[0].runs]}
    assert len(counts) == 1 and counts.pop() > 100
    for r in model.cases[0].runs:
        assert r.prefill_s > 0.25 * model.cold.prefill_s  # a cache hit is ~20x faster than a full prefill


def test_conditions_memory_and_model_details_are_recorded(timed_run, api, smol_model):
    run, _, messages = timed_run
    assert run.ollama_version == api.version() and run.host == api.host
    assert run.machine.cpu_logical >= 1 and run.modelkit_version
    m = run.models[0]
    assert m.model.name == smol_model and m.model.label == "smol"
    assert m.model.digest and len(m.model.digest) == 64
    assert m.model.quantization == "Q4_1" and m.model.family == "llama"
    assert m.memory is not None and m.memory.size > 50_000_000 and m.memory.size_vram >= 0
    assert run.options.seed == 42
    case = m.cases[0]
    assert (case.prompt, case.lang, case.system) == ("small", "en", "report-en") and len(case.prompt_sha) == 64
    assert any("cold load" in x for x in messages)
    # unloaded afterwards
    assert all(p.model != smol_model for p in api.ps())


def test_quality_checks_run_on_real_model_output(timed_run):
    run, _, _ = timed_run
    digest = load_prompt_set().digest("small")
    system = load_prompt_set().system_for("en")
    for r in run.models[0].cases[0].runs:
        q = r.quality
        assert q is not None and r.text
        assert q.lang == "en" and 0.0 <= q.score <= 100.0 and q.length > 0
        assert set(q.cited) <= set(digest.item_numbers) and not set(q.invented) & digest.numbers
        assert q.truncated == (r.done_reason == "length")
        assert check_report(r.text, digest, system, truncated=q.truncated) == q  # the saved verdict is reproducible


def test_bench_two_variants_every_format_then_compare(cli, smol_model, smol_variant, tmp_path):
    results = tmp_path / "runs"
    args = ["bench", smol_model, smol_variant, "--prompt", "small", "--lang", "en", "--lang", "zh",
            "-r", "2", "-w", "0", "-n", "16", "--option", "num_thread=1", "--results-dir", str(results)]
    r = cli(*args, "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [m["model"]["name"] for m in data["models"]] == [smol_model, smol_variant]
    assert [c["lang"] for c in data["models"][0]["cases"]] == ["en", "zh"]
    assert "saved run" in r.err
    (saved,) = store.list_runs(results)
    assert json.loads(saved.read_text())["id"] == data["id"]

    for fmt in ("table", "markdown", "csv", "html"):
        r = cli("bench", "--from", "latest", "--results-dir", str(results), "--format", fmt)
        assert r.code == 0, (fmt, r.err)
        assert smol_variant in r.out
    md = cli("bench", "--from", "latest", "--results-dir", str(results), "-f", "markdown").out
    assert f"| {smol_model} | small/zh |" in md and f"| {smol_variant} | small/en |" in md

    # the same run against itself: noise level, exit 0
    r = cli("compare", str(saved), str(saved), "-f", "markdown")
    assert r.code == 0 and "no regression" in r.out
    # inject a regression: the variant decodes at half the speed. The real runs may vary a lot on a
    # busy machine (and a drop within the observed spread is noise), so both sides are made steady:
    # every run takes its case's median, then the candidate's decode time doubles.
    from modelkit.bench.runner import _case_stats

    def steady(run, slow: float):
        for m in run.models:
            for c in m.cases:
                med = c.stats["decode_tps"].median
                for s in c.runs:
                    s.decode_s = s.decode_tokens / med * (slow if m.model.name == smol_variant else 1.0)
                _case_stats(c, run.options.high_spread)
        return run

    base = steady(store.read_run(saved), 1.0)
    base.id = "steady"
    cand = steady(store.read_run(saved), 2.0)
    cand.id = "injected"
    r = cli("compare", str(store.save_run(base, tmp_path)), str(store.save_run(cand, tmp_path)), "-f", "markdown")
    assert r.code == EXIT_REGRESSION, r.err
    assert f"{smol_variant} small/en: decode tok/s" in r.out and "❌" in r.out
    assert f"{smol_model} small/en: decode" not in r.out


def test_bench_targets_from_a_project(cli, smol_model, smollm2_gguf, tmp_path):
    (tmp_path / "modelfiles").mkdir()
    (tmp_path / "modelfiles" / "m.Modelfile.j2").write_text("FROM {{ from }}\n")
    (tmp_path / "modelkit.toml").write_text(
        f'[defaults]\ntemplate = "m.Modelfile.j2"\nfrom = "{smollm2_gguf}"\n'
        f'[targets.smol-zh]\nname = "{smol_model}"\nvars = {{ lang = "zh" }}\n'
        '[bench]\nprompts = ["small"]\nrepeat = 1\nwarmup = 0\nnum_predict = 8\noptions = { num_thread = 1 }\n')
    r = cli("bench", "--targets", "--project", str(tmp_path), "--json", "--no-save")
    assert r.code == 0, r.err
    (m,) = json.loads(r.out)["models"]
    assert m["model"]["label"] == smol_model and m["model"]["target"] == "smol-zh"
    assert [(c["prompt"], c["lang"]) for c in m["cases"]] == [("small", "zh")]  # the target's lang
    assert not (tmp_path / ".modelkit").exists()


def test_bench_unknown_model_or_prompt_fails_before_running(cli, smol_model):
    r = cli("bench", "no-such-model:1")
    assert r.code == 1 and "not found" in r.err and "Traceback" not in r.err
    r = cli("bench", smol_model, "--prompt", "huge", "--no-save")
    assert r.code == EXIT_USAGE and "unknown prompt 'huge'" in r.err
