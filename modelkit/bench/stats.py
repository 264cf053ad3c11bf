"""Statistics over measured runs, and the metrics the tables show.

``summarize`` gives median, min, max, mean, stdev (sample), the relative spread
``(max - min) / |median|`` with a high-spread flag, and outliers: runs farther from the
median than ``max(3.5 × 1.4826 × MAD, 10 % of the median)`` (a robust z-score that does not
fire on tiny absolute differences when the MAD is near zero). Outliers need ≥ 3 runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from modelkit.bench.models import Stat

OUTLIER_Z = 3.5
OUTLIER_MIN_REL = 0.10


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    higher_is_better: bool | None  # None: no "best" (e.g. length)
    relative: bool = True  # compare as a relative change (speeds) or in absolute units (scores)


#: Per-run metrics, in table order.
RUN_METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("ttft_s", "TTFT", "s", False),
        Metric("prefill_tps", "prefill", "tok/s", True),
        Metric("decode_tps", "decode", "tok/s", True),
        Metric("total_s", "total", "s", False),
        Metric("load_s", "warm load", "s", False),
        Metric("lang_share", "language", "%", True, relative=False),
        Metric("sections", "sections", "%", True, relative=False),
        Metric("coverage", "coverage", "%", True, relative=False),
        Metric("placement", "placement", "%", True, relative=False),
        Metric("invented", "invented", "", False, relative=False),
        Metric("length", "words", "", None),
        Metric("score", "score", "", True, relative=False),
    )
}

#: Per-model metrics (one sample each).
MODEL_METRICS: dict[str, Metric] = {
    "cold_load_s": Metric("cold_load_s", "cold load", "s", False),
    "memory": Metric("memory", "memory", "B", False),
}


def summarize(values: Sequence[float | None], high_spread: float = 0.15) -> Stat:
    xs = [float(v) for v in values if v is not None]
    if not xs:
        return Stat(n=0)
    med = statistics.median(xs)
    lo, hi = min(xs), max(xs)
    spread = (hi - lo) / abs(med) if med else (0.0 if hi == lo else None)
    return Stat(
        n=len(xs),
        median=med,
        min=lo,
        max=hi,
        mean=statistics.fmean(xs),
        stdev=statistics.stdev(xs) if len(xs) > 1 else 0.0,
        spread=spread,
        high_spread=bool(spread is not None and spread > high_spread and len(xs) > 1),
        outliers=outliers(values),
    )


def outliers(values: Sequence[float | None]) -> list[int]:
    """Indexes (into ``values``) of runs that lie far from the median."""
    xs = [float(v) for v in values if v is not None]
    if len(xs) < 3:
        return []
    med = statistics.median(xs)
    mad = statistics.median(abs(x - med) for x in xs)
    limit = max(OUTLIER_Z * 1.4826 * mad, OUTLIER_MIN_REL * abs(med))
    return [i for i, v in enumerate(values) if v is not None and abs(float(v) - med) > limit]
