"""Text renderings of a benchmark run: Markdown, CSV, JSON (HTML is in ``html.py``).

Markdown fits a pull-request comment or ``$GITHUB_STEP_SUMMARY``: one table, the best value
per column in bold, noisy medians marked ``~``, then the conditions.
"""

from __future__ import annotations

import csv
import io

from modelkit import humanize
from modelkit.bench.models import BenchRun
from modelkit.bench.table import COLUMNS, bench_table

FORMATS = ("table", "markdown", "json", "csv", "html")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def conditions_lines(run: BenchRun) -> list[str]:
    o = run.options
    lines = [
        f"run `{run.id}` · {run.created_at.strftime('%Y-%m-%d %H:%M UTC')} · modelkit {run.modelkit_version}"
        f" · Ollama {run.ollama_version} at {run.host}",
        f"machine: {run.machine.os} {run.machine.arch}; {run.machine.summary}",
        f"{o.repeat} measured run(s) after {o.warmup} warm-up(s) per case · seed {o.seed} · num_predict {o.num_predict}"
        f" · system prompt: {'the model’s own' if o.system == 'model' else 'the prompt set’s'}"
        + (f" · options {o.options}" if o.options else ""),
    ]
    for m in run.models:
        info = m.model
        parts = [f"`{info.name}`"]
        if info.digest:
            parts.append(f"digest {info.digest[:12]}")
        if info.family or info.parameter_size or info.quantization:
            parts.append(" ".join(x for x in (info.family, info.parameter_size, info.quantization) if x))
        params = {k: v for k, v in info.parameters.items() if k != "stop"}
        if params:
            parts.append(", ".join(f"{k}={v}" for k, v in params.items()))
        if m.memory:
            parts.append(f"memory {humanize.size(m.memory.size)} ({humanize.size(m.memory.size_vram)} VRAM)")
        lines.append((f"{info.label}: " if info.label and info.label != info.name else "") + " · ".join(parts))
    return lines


def to_markdown(run: BenchRun, title: str = "Report benchmark") -> str:
    rows = bench_table(run)
    headers = ["model", "case", *(c.header for c in COLUMNS), "flags"]
    out = [f"### {title}", "", "| " + " | ".join(headers) + " |",
           "|" + "|".join(["---", "---"] + ["--:"] * len(COLUMNS) + ["---"]) + "|"]
    for r in rows:
        cells = []
        for col in COLUMNS:
            cell = r.cells[col.key]
            text = cell.text + ("~" if cell.noisy else "")
            cells.append(f"**{text}**" if cell.best else text)
        out.append("| " + " | ".join([_md_escape(r.model), r.case, *cells, _md_escape("; ".join(r.flags))]) + " |")
    out += ["", "Medians over the measured runs; **bold** = best in its case; `~` = high run-to-run spread. "
            "Score 0-100: see docs/benchmark.md.", ""]
    out += [f"- {line}" for line in conditions_lines(run)]
    return "\n".join(out) + "\n"


CSV_FIELDS = [
    "run_id", "model", "label", "digest", "quantization", "prompt", "lang", "system", "runs",
    "cold_load_s", "memory_bytes", "memory_vram_bytes",
    "ttft_s", "ttft_s_stdev", "prefill_tps", "prefill_tps_stdev", "decode_tps", "decode_tps_stdev",
    "decode_tps_min", "decode_tps_max", "total_s", "load_s", "prefill_tokens", "decode_tokens",
    "lang_share", "sections", "coverage", "placement", "invented", "length", "score", "flags",
]


def to_csv(run: BenchRun) -> str:
    from modelkit.bench.table import flags

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for m, c in run.rows():
        def st(key: str, attr: str = "median") -> float | None:
            s = c.stats.get(key)
            return getattr(s, attr) if s else None

        row = {
            "run_id": run.id, "model": m.model.name, "label": m.model.label or "", "digest": m.model.digest or "",
            "quantization": m.model.quantization or "", "prompt": c.prompt, "lang": c.lang, "system": c.system,
            "runs": len(c.runs),
            "cold_load_s": m.cold.load_s if m.cold else None,
            "memory_bytes": m.memory.size if m.memory else None,
            "memory_vram_bytes": m.memory.size_vram if m.memory else None,
            "ttft_s_stdev": st("ttft_s", "stdev"), "prefill_tps_stdev": st("prefill_tps", "stdev"),
            "decode_tps_stdev": st("decode_tps", "stdev"), "decode_tps_min": st("decode_tps", "min"),
            "decode_tps_max": st("decode_tps", "max"),
            "prefill_tokens": c.runs[0].prefill_tokens if c.runs else None,
            "decode_tokens": sum(r.decode_tokens for r in c.runs) / len(c.runs) if c.runs else None,
            "flags": "; ".join(flags(m, c)),
        }
        for key in ("ttft_s", "prefill_tps", "decode_tps", "total_s", "load_s", "lang_share", "sections",
                    "coverage", "placement", "invented", "length", "score"):
            row[key] = st(key)
        w.writerow({k: ("" if v is None else round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def to_json(run: BenchRun) -> str:
    return run.model_dump_json(indent=2) + "\n"


def render(run: BenchRun, fmt: str) -> str:
    """Any text format of ``FORMATS`` but ``table`` (rich, drawn by the CLI)."""
    if fmt == "markdown":
        return to_markdown(run)
    if fmt == "csv":
        return to_csv(run)
    if fmt == "json":
        return to_json(run)
    if fmt == "html":
        from modelkit.bench.html import to_html

        return to_html(run)
    raise ValueError(f"no text rendering for format {fmt!r}")
