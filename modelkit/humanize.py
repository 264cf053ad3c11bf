"""Human-readable sizes, durations and times, as the ollama CLI prints them (pure functions)."""

from __future__ import annotations

from datetime import datetime, timezone


def size(n: int | float | None) -> str:
    """Decimal units like ``ollama list``: 98 MB, 1.3 GB."""
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(n)} B"
            return f"{n:.0f} {unit}" if abs(n) >= 10 else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _units(seconds: float) -> str:
    seconds = abs(seconds)
    for limit, unit, div in ((60, "second", 1), (3600, "minute", 60), (86400, "hour", 3600),
                             (86400 * 30, "day", 86400), (86400 * 365, "month", 86400 * 30)):
        if seconds < limit:
            n = int(seconds // div)
            break
    else:
        n, unit = int(seconds // (86400 * 365)), "year"
    if n <= 1:
        if unit == "second":
            return "less than a second" if n < 1 else "a second"
        return "About an hour" if unit == "hour" else f"a {unit}"
    return f"{n} {unit}s"


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "-"
    now = now or datetime.now(timezone.utc)
    delta = (now - when).total_seconds()
    if delta < 1:
        return "just now"
    return f"{_units(delta)} ago"


def until(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "-"
    now = now or datetime.now(timezone.utc)
    delta = (when - now).total_seconds()
    if when.year > 2200 or delta > 86400 * 365 * 100:
        return "Forever"
    if delta < 0:
        return "Stopping..."
    return f"{_units(delta)} from now"
