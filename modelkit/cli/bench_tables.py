"""Rich tables of a benchmark run (speed and report quality) and of a comparison of two runs.

Pure: typed results in, rich renderables out; rich is imported when a table is made, so that
importing this module (``cmd_bench`` does at start-up) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table

    from modelkit.bench.compare import Comparison
    from modelkit.bench.models import BenchRun

SPEED_KEYS = ("cold_load_s", "ttft_s", "prefill_tps", "decode_tps", "total_s", "memory")


def render_bench(run: BenchRun) -> Group:
    """Two rich tables (speed, quality) and the flags: the best value per column (within a case)
    in bold green with ★, noisy medians with ~."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from modelkit.bench.table import COLUMNS, bench_table

    rows = bench_table(run)
    parts: list[Any] = []
    for title, cols in (("Speed (prefill, decode: tokens/s)", [c for c in COLUMNS if c.key in SPEED_KEYS]),
                        ("Report quality", [c for c in COLUMNS if c.key not in SPEED_KEYS])):
        table = Table(title=title, title_justify="left", header_style="bold", title_style="bold",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("model", no_wrap=True, min_width=min(max(len(r.model) for r in rows) if rows else 5, 24))
        table.add_column("case", no_wrap=True)
        for col in cols:
            table.add_column(col.short_header, justify="right", no_wrap=True)
        for r in rows:
            cells = []
            for col in cols:
                c = r.cells[col.key]
                text = c.text + ("[yellow]~[/]" if c.noisy else "")
                cells.append(f"[bold green]{text}★[/]" if c.best else text)
            table.add_row(r.model, r.case, *cells)
        parts.append(table)
    flags = [f"{r.model} {r.case}: {'; '.join(r.flags)}" for r in rows if r.flags]
    if flags:
        parts.append(Text("\n".join(flags), style="yellow"))
    parts.append(Text("medians over the measured runs · ★ best in its case · ~ high run-to-run spread · "
                      "score 0-100: docs/benchmark.md", style="dim"))
    return Group(*parts)


def render_compare(cmp: Comparison) -> Table:
    """One row per model, case and metric: baseline, candidate, change, what was allowed, verdict."""
    from rich import box
    from rich.table import Table

    from modelkit.bench.compare_formats import fmt_allowed, fmt_change, fmt_value, label, verdict_line

    table = Table(title=f"compare {cmp.baseline.id} → {cmp.candidate.id}: {verdict_line(cmp)}", title_justify="left",
                  header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("model", "left"), ("case", "left"), ("metric", "left"), ("baseline", "right"),
                          ("candidate", "right"), ("change", "right"), ("allowed", "right"), ("verdict", "left")):
        table.add_column(name, justify=justify, no_wrap=True,  # type: ignore[arg-type]
                         min_width=min(max((len(c.model) for c in cmp.cases), default=5), 24) if name == "model" else None)
    style = {"regression": "bold red", "improved": "green", "noise": "dim", "info": "dim"}
    for c in cmp.cases:
        model = c.model if c.model == c.candidate_model else f"{c.model} → {c.candidate_model}"
        first = True
        for d in c.deltas:
            if d.verdict == "missing":
                continue
            verdict = "" if d.verdict == "info" else d.verdict
            table.add_row(model if first else "", c.case if first else "", label(d.metric),
                          fmt_value(d.metric, d.baseline), fmt_value(d.metric, d.candidate), fmt_change(d),
                          fmt_allowed(d) if d.threshold is not None else "", verdict, style=style.get(d.verdict))
            first = False
        table.add_section()
    notes = [*cmp.warnings, *(f"{c.model} {c.case}: {n}" for c in cmp.cases for n in c.notes),
             *(f"only in baseline: {x}" for x in cmp.only_baseline), *(f"only in candidate: {x}" for x in cmp.only_candidate)]
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table
