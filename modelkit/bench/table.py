"""The benchmark table, independent of how it is drawn.

``bench_table(run)`` gives one row per (model, case) and, per numeric column, which cells hold
the best value (highest tokens/s, lowest TTFT, …). The rich table (cli), Markdown, CSV and
HTML renderers all draw this same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from modelkit import humanize
from modelkit.bench.models import BenchRun, CaseResult, ModelResult

Getter = Callable[[ModelResult, CaseResult], "float | None"]


def _median(metric: str) -> Getter:
    return lambda m, c: c.median(metric)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _num(digits: int) -> Callable[[float | None], str]:
    return lambda v: "-" if v is None else f"{v:.{digits}f}"


def _secs(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def _mem(m: ModelResult, c: CaseResult) -> float | None:
    return float(m.memory.size) if m.memory else None


def _cold(m: ModelResult, c: CaseResult) -> float | None:
    return m.cold.load_s if m.cold else None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    get: Getter
    fmt: Callable[[float | None], str]
    higher_is_better: bool | None  # None: no best marked
    spread_metric: str | None = None  # mark ~ when this per-run metric's spread is high
    short: str = ""  # a narrow terminal's header

    @property
    def short_header(self) -> str:
        return self.short or self.header


COLUMNS: tuple[Column, ...] = (
    Column("cold_load_s", "cold load", _cold, _secs, False, short="cold"),
    Column("ttft_s", "TTFT", _median("ttft_s"), _secs, False, "ttft_s"),
    Column("prefill_tps", "prefill tok/s", _median("prefill_tps"), _num(1), True, "prefill_tps", short="prefill"),
    Column("decode_tps", "decode tok/s", _median("decode_tps"), _num(1), True, "decode_tps", short="decode"),
    Column("total_s", "total", _median("total_s"), _secs, False, "total_s"),
    Column("memory", "memory", _mem, lambda v: humanize.size(v), False, short="mem"),
    Column("lang_share", "language", _median("lang_share"), _pct, True, short="lang"),
    Column("sections", "sections", _median("sections"), _pct, True),
    Column("coverage", "coverage", _median("coverage"), _pct, True),
    Column("invented", "invented", _median("invented"), _num(0), False, short="invent."),
    Column("length", "words", _median("length"), _num(0), None),
    Column("score", "score", _median("score"), _num(1), True),
)


@dataclass
class Cell:
    value: float | None
    text: str
    best: bool = False
    noisy: bool = False


@dataclass
class Row:
    model: str
    case: str
    cells: dict[str, Cell]
    flags: list[str] = field(default_factory=list)


def flags(m: ModelResult, c: CaseResult) -> list[str]:
    out = []
    for key, label in (("decode_tps", "decode"), ("prefill_tps", "prefill"), ("ttft_s", "TTFT")):
        s = c.stats.get(key)
        if s and s.high_spread:
            out.append(f"{label} spread {100 * (s.spread or 0):.0f}%")
        if s and s.outliers:
            out.append(f"{label} outlier: run {','.join(str(i + 1) for i in s.outliers)}")
    warm = c.median("load_s")
    if m.cold and warm and m.cold.load_s < 3 * warm:
        out.append("cold load looks warm (a loaded model shares its weights?)")
    q = [r.quality for r in c.runs if r.quality]
    if q and sum(not x.lang_ok for x in q) * 2 > len(q):
        out.append(f"wrong language (asked {c.lang})")
    if q and sum(x.truncated for x in q) * 2 > len(q):
        out.append("truncated at num_predict")
    if any(r.decode_tokens == 0 for r in c.runs):
        out.append("empty output")
    return out


def bench_table(run: BenchRun) -> list[Row]:
    rows = []
    for m, c in run.rows():
        cells = {}
        for col in COLUMNS:
            v = col.get(m, c)
            stat = c.stats.get(col.spread_metric) if col.spread_metric else None
            cells[col.key] = Cell(v, col.fmt(v), noisy=bool(stat and stat.high_spread))
        rows.append(Row(m.model.display, c.key, cells, flags(m, c)))
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.case, []).append(r)
    # Models are compared case by case (a Chinese report is not faster than an English one);
    # with one model per case, the cases themselves are compared.
    for group in groups.values() if any(len(g) > 1 for g in groups.values()) else [rows]:
        mark_best(group)
    return rows


def mark_best(rows: list[Row]) -> None:
    if len(rows) < 2:
        return
    for col in COLUMNS:
        if col.higher_is_better is None:
            continue
        values = [r.cells[col.key].value for r in rows if r.cells[col.key].value is not None]
        if len(set(values)) < 2:
            continue  # all equal: nothing is best
        best = max(values) if col.higher_is_better else min(values)
        for r in rows:
            if r.cells[col.key].value == best:
                r.cells[col.key].best = True
