"""Compare two benchmark runs: deltas per model, case and metric, and a noise-aware gate.

Cases are matched by (model name, case). When the runs share no model but each holds exactly
one, the two models are compared with each other (A/B of two variants).

A metric regresses when it moves in its bad direction by more than
``allowed = max(threshold, noise)``:

* speed metrics (decode/prefill tokens/s, TTFT, total, warm/cold load, memory) compare
  relatively: change = (candidate − baseline) / baseline; noise = the larger relative spread
  (max − min) / median of the two runs;
* quality metrics (score in points 0-100, coverage/sections/language as shares 0-1, invented
  as a count) compare in absolute units; noise = the larger range (max − min);
* language: a case whose reports were in the requested language (median share above the
  threshold) and no longer are regresses when ``language = true``.

Thresholds are ``Thresholds`` fields (the ``[bench.thresholds]`` table of modelkit.toml,
``--thresholds FILE`` or ``--threshold KEY=VALUE``); ``None``/``false`` leaves a metric ungated.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelkit.bench.models import BenchRun, CaseResult, ModelResult
from modelkit.bench.quality import language_threshold
from modelkit.bench.stats import MODEL_METRICS, RUN_METRICS, Metric
from modelkit.errors import UsageError

Verdict = Literal["regression", "improved", "noise", "info", "missing"]

#: Metrics compared, in table order.
COMPARED = ("decode_tps", "prefill_tps", "ttft_s", "total_s", "cold_load_s", "memory",
            "score", "lang_share", "sections", "coverage", "invented")


class Thresholds(BaseModel):
    """Regression thresholds: relative for speeds and memory, absolute for quality."""

    model_config = ConfigDict(extra="forbid")

    decode_tps: float | None = Field(0.10, ge=0, description="relative drop of decode tokens/s")
    prefill_tps: float | None = Field(0.15, ge=0, description="relative drop of prefill tokens/s")
    ttft_s: float | None = Field(0.25, ge=0, description="relative rise of time to first token")
    total_s: float | None = Field(None, ge=0, description="relative rise of total time")
    cold_load_s: float | None = Field(None, ge=0, description="relative rise of cold load time (one sample: noisy)")
    memory: float | None = Field(0.10, ge=0, description="relative rise of memory (/api/ps size)")
    score: float | None = Field(5.0, ge=0, description="drop of the quality score, in points (0-100)")
    lang_share: float | None = Field(None, ge=0, description="drop of the language share (0-1)")
    sections: float | None = Field(None, ge=0, description="drop of the sections share (0-1)")
    coverage: float | None = Field(0.10, ge=0, description="drop of coverage (0-1)")
    invented: float | None = Field(0.0, ge=0, description="rise in invented #numbers (count)")
    language: bool = Field(True, description="reports that stop being in the requested language regress")

    def of(self, metric: str) -> float | None:
        return getattr(self, metric, None)


class MetricDelta(BaseModel):
    metric: str
    baseline: float | None
    candidate: float | None
    change: float | None = Field(None, description="relative for speed metrics, absolute for quality")
    relative: bool
    noise: float = 0.0
    threshold: float | None = None
    allowed: float | None = None
    verdict: Verdict

    @property
    def label(self) -> str:
        m = RUN_METRICS.get(self.metric) or MODEL_METRICS[self.metric]
        return m.label


class CaseComparison(BaseModel):
    model: str
    candidate_model: str
    case: str
    deltas: list[MetricDelta]
    notes: list[str] = Field(default_factory=list)

    @property
    def regressions(self) -> list[MetricDelta]:
        return [d for d in self.deltas if d.verdict == "regression"]


class RunSummary(BaseModel):
    id: str
    created_at: str
    ollama_version: str
    machine: str

    @classmethod
    def of(cls, run: BenchRun) -> RunSummary:
        return cls(id=run.id, created_at=run.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                   ollama_version=run.ollama_version, machine=run.machine.summary)


class Comparison(BaseModel):
    baseline: RunSummary
    candidate: RunSummary
    thresholds: Thresholds
    cases: list[CaseComparison]
    only_baseline: list[str] = Field(default_factory=list)
    only_candidate: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def regressions(self) -> list[tuple[CaseComparison, MetricDelta]]:
        return [(c, d) for c in self.cases for d in c.regressions]

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)


def _metric(key: str) -> Metric:
    return RUN_METRICS.get(key) or MODEL_METRICS[key]


def _values(m: ModelResult, c: CaseResult, key: str) -> tuple[float | None, float]:
    """(median, noise) of a metric; model-level metrics (one sample) have no noise."""
    if key == "cold_load_s":
        return (m.cold.load_s if m.cold else None), 0.0
    if key == "memory":
        return (float(m.memory.size) if m.memory else None), 0.0
    s = c.stats.get(key)
    if s is None or s.median is None:
        return None, 0.0
    if _metric(key).relative:
        return s.median, s.spread or 0.0
    return s.median, (s.max or 0.0) - (s.min or 0.0)


def metric_delta(key: str, base: tuple[float | None, float], cand: tuple[float | None, float],
                 threshold: float | None) -> MetricDelta:
    metric = _metric(key)
    (b, b_noise), (c, c_noise) = base, cand
    rel = metric.relative
    if b is None or c is None:
        return MetricDelta(metric=key, baseline=b, candidate=c, relative=rel, verdict="missing", threshold=threshold)
    if rel:
        change = (c - b) / abs(b) if b else (0.0 if c == b else None)
    else:
        change = c - b
    noise = max(b_noise, c_noise)
    allowed = max(threshold, noise) if threshold is not None else None
    verdict: Verdict = "info"
    if change is not None and metric.higher_is_better is not None:
        bad = -change if metric.higher_is_better else change
        if threshold is None:
            verdict = "info"
        elif bad > allowed + 1e-12:  # type: ignore[operator]
            verdict = "regression"
        elif -bad > max(allowed, 1e-9):  # type: ignore[type-var]
            verdict = "improved"
        else:
            verdict = "noise"
    return MetricDelta(metric=key, baseline=b, candidate=c, change=change, relative=rel, noise=noise,
                       threshold=threshold, allowed=allowed, verdict=verdict)


def _pairs(baseline: BenchRun, candidate: BenchRun) -> tuple[list[tuple[ModelResult, CaseResult, ModelResult, CaseResult]], list[str], list[str]]:
    b_index = {(m.model.name, c.key): (m, c) for m, c in baseline.rows()}
    c_index = {(m.model.name, c.key): (m, c) for m, c in candidate.rows()}
    names_b = {m.model.name for m in baseline.models}
    names_c = {m.model.name for m in candidate.models}
    if not names_b & names_c and len(names_b) == 1 and len(names_c) == 1:
        b_index = {("*", k[1]): v for k, v in b_index.items()}
        c_index = {("*", k[1]): v for k, v in c_index.items()}
    pairs = [(*b_index[k], *c_index[k]) for k in b_index if k in c_index]
    only_b = [f"{b_index[k][0].model.display} {k[1]}" for k in b_index if k not in c_index]
    only_c = [f"{c_index[k][0].model.display} {k[1]}" for k in c_index if k not in b_index]
    return pairs, only_b, only_c


def _warnings(baseline: BenchRun, candidate: BenchRun) -> list[str]:
    out = []
    if baseline.ollama_version != candidate.ollama_version:
        out.append(f"Ollama version differs: {baseline.ollama_version} → {candidate.ollama_version}")
    if baseline.machine.summary != candidate.machine.summary:
        out.append(f"machine differs: {baseline.machine.summary} → {candidate.machine.summary}")
    bo, co = baseline.options, candidate.options
    for field in ("num_predict", "seed", "system", "options"):
        if getattr(bo, field) != getattr(co, field):
            out.append(f"option {field} differs: {getattr(bo, field)} → {getattr(co, field)}")
    return out


def compare_runs(baseline: BenchRun, candidate: BenchRun, thresholds: Thresholds | None = None) -> Comparison:
    """Deltas for every (model, case) both runs have; ``Comparison.regressed`` is the gate."""
    thresholds = thresholds or Thresholds()
    pairs, only_b, only_c = _pairs(baseline, candidate)
    if not pairs:
        raise UsageError(
            f"runs {baseline.id} and {candidate.id} have no model and case in common",
            hint="compare runs of the same models (or one model each) on the same --prompt/--lang",
        )
    cases = []
    seen_models: set[tuple[str, str]] = set()
    for bm, bc, cm, cc in pairs:
        deltas = []
        first_of_model = (bm.model.name, cm.model.name) not in seen_models
        seen_models.add((bm.model.name, cm.model.name))
        for key in COMPARED:
            if key in MODEL_METRICS and not first_of_model:
                continue  # model-level metrics are compared once per model
            deltas.append(metric_delta(key, _values(bm, bc, key), _values(cm, cc, key), thresholds.of(key)))
        notes = []
        if bc.prompt_sha != cc.prompt_sha:
            notes.append("prompt differs (prompt set or system prompt changed)")
        for d in deltas:
            if d.threshold and d.relative and d.noise > max(3 * d.threshold, 0.3):
                notes.append(f"{_metric(d.metric).label} varies {100 * d.noise:.0f}% between runs: too noisy to gate "
                             "(more --repeat, a quieter machine)")
        if thresholds.language:
            lt = language_threshold(bc.lang)
            b_ok = (bc.median("lang_share") or 0) >= lt
            c_ok = (cc.median("lang_share") or 0) >= lt
            if b_ok and not c_ok:
                d = next(d for d in deltas if d.metric == "lang_share")
                d.verdict = "regression"
                notes.append(f"no longer written in {bc.lang}")
        cases.append(CaseComparison(model=bm.model.display, candidate_model=cm.model.display, case=bc.key,
                                    deltas=deltas, notes=notes))
    return Comparison(baseline=RunSummary.of(baseline), candidate=RunSummary.of(candidate), thresholds=thresholds,
                      cases=cases, only_baseline=only_b, only_candidate=only_c,
                      warnings=_warnings(baseline, candidate))


def parse_threshold_assignments(items: list[str], base: Thresholds | None = None) -> Thresholds:
    """``["decode_tps=0.05", "memory=off", "language=false"]`` applied over ``base``."""
    data = (base or Thresholds()).model_dump()
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in Thresholds.model_fields:
            raise UsageError(f"bad threshold '{item}'", hint=f"use KEY=VALUE with KEY one of {', '.join(Thresholds.model_fields)}")
        v = value.strip().lower()
        if key == "language":
            data[key] = v in ("1", "true", "yes", "on")
        elif v in ("off", "none", "false", ""):
            data[key] = None
        else:
            try:
                data[key] = float(v.rstrip("%")) / (100 if v.endswith("%") else 1)
            except ValueError:
                raise UsageError(f"bad threshold '{item}'", hint="the value is a number (0.1 or 10%) or `off`") from None
    return thresholds_from_mapping(data, "--threshold")


def thresholds_from_mapping(data: dict, source: str) -> Thresholds:
    from pydantic import ValidationError

    try:
        return Thresholds.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise UsageError(f"{source}: threshold {where}: {first.get('msg')}",
                         hint=f"known thresholds: {', '.join(Thresholds.model_fields)}") from None


def load_thresholds(path: str) -> Thresholds:
    """Thresholds from a TOML file: a ``[bench.thresholds]`` table, a ``[thresholds]`` table or top-level keys."""
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: {e}") from None
    if isinstance(data.get("bench"), dict):
        table = data["bench"].get("thresholds", {})
    else:
        table = data.get("thresholds", data)
    return thresholds_from_mapping({k: (None if v is False and k != "language" else v) for k, v in table.items()}, path)
