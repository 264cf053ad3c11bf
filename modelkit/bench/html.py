"""A self-contained HTML report: inline CSS and SVG charts, no scripts, no network.

Charts: decode tokens/s and quality score per model and case (bars = medians, whiskers =
min-max over the measured runs), prefill tokens/s and time to first token; then the table
(best per case in bold), the conditions and the first measured report of every case.
"""

from __future__ import annotations

from html import escape

from modelkit.bench.formats import conditions_lines
from modelkit.bench.models import BenchRun, CaseResult, ModelResult
from modelkit.bench.table import COLUMNS, bench_table

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;font-size:13px;margin:2px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
.chart{border:1px solid #d0d7de;border-radius:8px;padding:10px 12px}
.chart h3{font-size:14px;margin:0 0 6px}
table{border-collapse:collapse;font-size:13px} th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:right}
th{background:#f6f8fa} td{white-space:nowrap} th{white-space:normal} td.l,th.l{text-align:left} td.best{font-weight:700;color:#1a7f37}
td.flags{color:#9a6700;text-align:left;font-size:12px;white-space:normal;min-width:160px}
.scroll{overflow-x:auto}
details{margin:6px 0} pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:6px;font-size:12px}
.legend span{display:inline-block;margin-right:14px;font-size:12px} .legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
"""


def _colors(run: BenchRun) -> dict[str, str]:
    return {m.model.display: PALETTE[i % len(PALETTE)] for i, m in enumerate(run.models)}


def nice_max(v: float) -> float:
    """The smallest 1/2/2.5/5 × 10^k ≥ ``v`` (axis ends on a round number)."""
    import math

    if v <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    return next(m * k for m in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10) if m * k >= v)


def bar_chart(title: str, bars: list[tuple[str, float | None, float | None, float | None, str]],
              fmt: str = "{:.1f}", fixed_max: float | None = None, width: int = 520) -> str:
    """Horizontal bars: (label, median, min, max, colour) → an inline <svg>."""
    longest = max((len(label) for label, *_ in bars), default=10)
    label_w, value_w, row_h, top = int(min(max(120, 7 * longest + 14), 340)), 64, 26, 6
    plot_w = max(width - 190 - value_w, 200)
    width = label_w + plot_w + value_w
    values = [v for _, m, lo, hi, _ in bars for v in (m, hi) if v is not None]
    vmax = fixed_max or nice_max(max(values) if values else 0.0)
    height = top + row_h * len(bars) + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" font-size="12" font-family="inherit">']
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * frac
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 18}" stroke="#eaeef2"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#57606a">'
                   f'{escape(fmt.format(vmax * frac))}</text>')
    for i, (label, med, lo, hi, color) in enumerate(bars):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        if med is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 17}" fill="#57606a">n/a</text>')
            continue
        w = max(plot_w * min(med, vmax) / vmax, 1.0)
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{color}" rx="2">'
                   f'<title>{escape(label)}: {escape(fmt.format(med))}</title></rect>')
        if lo is not None and hi is not None and hi > lo:
            x1, x2 = label_w + plot_w * min(lo, vmax) / vmax, label_w + plot_w * min(hi, vmax) / vmax
            ym = y + row_h / 2
            out.append(f'<path d="M{x1:.1f} {ym:.1f}H{x2:.1f}M{x1:.1f} {ym - 5:.1f}V{ym + 5:.1f}'
                       f'M{x2:.1f} {ym - 5:.1f}V{ym + 5:.1f}" stroke="#1f2328" stroke-width="1.2"/>')
        out.append(f'<text x="{label_w + plot_w + 6}" y="{y + 17}">{escape(fmt.format(med))}</text>')
    out.append("</svg>")
    return "".join(out)


def _bars(run: BenchRun, metric: str, scale: float = 1.0) -> list[tuple[str, float | None, float | None, float | None, str]]:
    colors = _colors(run)
    bars = []
    for m, c in run.rows():
        s = c.stats.get(metric)
        f = (lambda v: None if v is None else v * scale)
        bars.append((f"{m.model.display} · {c.key}", f(s.median) if s else None, f(s.min) if s else None,
                     f(s.max) if s else None, colors[m.model.display]))
    return bars


def _chart(title: str, svg: str) -> str:
    return f'<div class="chart"><h3>{escape(title)}</h3>{svg}</div>'


def _table(run: BenchRun) -> str:
    rows = bench_table(run)
    head = "".join(f"<th>{escape(c.header)}</th>" for c in COLUMNS)
    out = [f'<table><thead><tr><th class="l">model</th><th class="l">case</th>{head}<th class="l">flags</th></tr></thead><tbody>']
    for r in rows:
        cells = "".join(
            f'<td class="{"best" if r.cells[c.key].best else ""}">{escape(r.cells[c.key].text)}'
            f'{"~" if r.cells[c.key].noisy else ""}</td>' for c in COLUMNS)
        out.append(f'<tr><td class="l">{escape(r.model)}</td><td class="l">{escape(r.case)}</td>{cells}'
                   f'<td class="flags">{escape("; ".join(r.flags))}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _sample(m: ModelResult, c: CaseResult) -> str:
    if not c.runs or not c.runs[0].quality:
        return ""
    r = c.runs[0]
    q = r.quality
    assert q is not None
    summary = (f"{m.model.display} · {c.key}: score {q.score:.0f}, language {100 * q.lang_share:.0f}%, "
               f"sections {len(q.sections_found)}/{len(q.sections_found) + len(q.sections_missing)}, "
               f"coverage {100 * q.coverage:.0f}%, invented {len(q.invented)}")
    details = []
    if q.sections_missing:
        details.append(f"missing sections: {', '.join(q.sections_missing)}")
    if q.invented:
        details.append("invented: " + ", ".join(f"#{n}" for n in q.invented))
    if q.missing:
        details.append("not cited: " + ", ".join(f"#{n}" for n in q.missing))
    return (f"<details><summary>{escape(summary)}</summary><p class='meta'>{escape('; '.join(details))}</p>"
            f"<pre>{escape(r.text or '')}</pre></details>")


def to_html(run: BenchRun, title: str = "modelkit report benchmark") -> str:
    colors = _colors(run)
    legend = "".join(f'<span><i style="background:{c}"></i>{escape(name)}</span>' for name, c in colors.items())
    charts = "".join([
        _chart("Decode tokens/s (median, whiskers min–max)", bar_chart("decode", _bars(run, "decode_tps"))),
        _chart("Quality score (0–100)", bar_chart("score", _bars(run, "score"), "{:.0f}", fixed_max=100)),
        _chart("Prefill tokens/s", bar_chart("prefill", _bars(run, "prefill_tps"))),
        _chart("Time to first token (ms)", bar_chart("ttft", _bars(run, "ttft_s", 1000.0), "{:.0f}")),
    ])
    meta = "".join(f'<p class="meta">{escape(line.replace("`", ""))}</p>' for line in conditions_lines(run))
    samples = "".join(_sample(m, c) for m, c in run.rows())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)} {escape(run.id)}</title><style>{CSS}</style></head>
<body><h1>{escape(title)}</h1>{meta}
<p class="legend">{legend}</p>
<div class="charts">{charts}</div>
<h2>Results</h2><div class="scroll">{_table(run)}</div>
<p class="meta">Medians over the measured runs; bold green = best in its case; ~ = high run-to-run spread.
Score = clamp(100·G·(0.30·S + 0.40·C + 0.10·P + 0.20·Λ·max(S,C)) − 10·I, 0, 100): G language, S sections, C coverage,
P placement, Λ length, I invented #numbers (docs/benchmark.md).</p>
<h2>Reports (first measured run of each case)</h2>{samples}
</body></html>
"""
