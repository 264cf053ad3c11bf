"""Renderings of a ``Comparison``: Markdown (for ``$GITHUB_STEP_SUMMARY`` / PR comments) and CSV."""

from __future__ import annotations

import csv
import io

from modelkit import humanize
from modelkit.bench.compare import COMPARED, Comparison, MetricDelta
from modelkit.bench.stats import MODEL_METRICS, RUN_METRICS

#: Columns the Markdown table always shows; the others only when they changed beyond noise.
MAIN = ("decode_tps", "prefill_tps", "ttft_s", "memory", "score", "lang_share", "coverage", "invented")
MARK = {"regression": "❌", "improved": "✅", "noise": "", "info": "", "missing": ""}
#: metrics that are shares of 0-1: shown in %, changes in percentage points
SHARES = ("lang_share", "sections", "coverage", "placement")


def fmt_value(metric: str, v: float | None) -> str:
    if v is None:
        return "-"
    if metric.endswith("_s"):
        return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    if metric == "memory":
        return humanize.size(v)
    if metric in SHARES:
        return f"{100 * v:.0f}%"
    if metric in ("invented", "length"):
        return f"{v:.0f}"
    return f"{v:.1f}"


def _amount(d: MetricDelta, x: float, sign: str = "") -> str:
    """A change (or an allowance) of ``d``'s metric: relative in %, shares in points, else plain."""
    if d.relative:
        return f"{100 * x:{sign}.1f}%"
    if d.metric in SHARES:
        return f"{100 * x:{sign}.0f} pp"
    return f"{x:{sign}.1f}"


def fmt_change(d: MetricDelta) -> str:
    return "" if d.change is None else _amount(d, d.change, "+")


def fmt_allowed(d: MetricDelta) -> str:
    return "not gated" if d.allowed is None else _amount(d, d.allowed)


def cell(d: MetricDelta | None) -> str:
    if d is None:
        return ""
    text = f"{fmt_value(d.metric, d.baseline)} → {fmt_value(d.metric, d.candidate)}"
    change = fmt_change(d)
    if change:
        text += f" ({change})"
    mark = MARK[d.verdict]
    return f"{text} {mark}" if mark else text


def label(metric: str) -> str:
    m = RUN_METRICS.get(metric) or MODEL_METRICS[metric]
    return m.label + (f" {m.unit}" if m.unit in ("tok/s",) else "")


def verdict_line(cmp: Comparison) -> str:
    n = len(cmp.regressions)
    if n:
        return f"❌ {n} regression{'s' if n > 1 else ''} beyond noise"
    return "✅ no regression beyond noise"


def to_markdown(cmp: Comparison) -> str:
    shown = [m for m in COMPARED if m in MAIN or any(d.metric == m and d.verdict in ("regression", "improved")
                                                       for c in cmp.cases for d in c.deltas)]
    metrics = [m for m in shown if any(d.metric == m for c in cmp.cases for d in c.deltas)]
    out = [f"### modelkit compare: {verdict_line(cmp)}", "",
           f"baseline `{cmp.baseline.id}` ({cmp.baseline.created_at}, Ollama {cmp.baseline.ollama_version}) → "
           f"candidate `{cmp.candidate.id}` ({cmp.candidate.created_at}, Ollama {cmp.candidate.ollama_version})", "",
           "| model | case | " + " | ".join(label(m) for m in metrics) + " |",
           "|---|---|" + "|".join("---" for _ in metrics) + "|"]
    for c in cmp.cases:
        by = {d.metric: d for d in c.deltas}
        model = c.model if c.model == c.candidate_model else f"{c.model} → {c.candidate_model}"
        out.append(f"| {model} | {c.case} | " + " | ".join(cell(by.get(m)) for m in metrics) + " |")
    out.append("")
    if cmp.regressions:
        out.append("**Regressions**")
        for c, d in cmp.regressions:
            extra = f", allowed {fmt_allowed(d)}" if d.allowed is not None else ""
            out.append(f"- {c.model} {c.case}: {label(d.metric)} {fmt_value(d.metric, d.baseline)} → "
                       f"{fmt_value(d.metric, d.candidate)} ({fmt_change(d)}{extra})" + (f" — {'; '.join(c.notes)}" if c.notes else ""))
        out.append("")
    notes = [f"{c.model} {c.case}: {n}" for c in cmp.cases for n in c.notes if not c.regressions]
    notes += cmp.warnings
    notes += [f"only in baseline: {x}" for x in cmp.only_baseline] + [f"only in candidate: {x}" for x in cmp.only_candidate]
    if notes:
        out.append("**Notes**")
        out += [f"- {n}" for n in notes]
        out.append("")
    out.append("❌ regression (worse by more than max(threshold, run-to-run spread)) · ✅ better beyond noise · "
               "no mark: within noise or not gated.")
    return "\n".join(out) + "\n"


def to_csv(cmp: Comparison) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["model", "candidate_model", "case", "metric", "baseline", "candidate", "change", "relative",
                "noise", "threshold", "allowed", "verdict"])
    for c in cmp.cases:
        for d in c.deltas:
            w.writerow([c.model, c.candidate_model, c.case, d.metric, d.baseline, d.candidate, d.change, d.relative,
                        d.noise, d.threshold, d.allowed, d.verdict])
    return buf.getvalue()


def to_json(cmp: Comparison) -> str:
    import json

    data = cmp.model_dump(mode="json")
    data["regressed"] = cmp.regressed
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
