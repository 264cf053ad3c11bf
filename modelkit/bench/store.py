"""Saved benchmark runs: one JSON file per run, written atomically.

Where: ``$MODELKIT_BENCH_DIR``, else ``.modelkit/bench/`` next to the project's
modelkit.toml (searched from the current directory upwards), else ``<state dir>/bench``.
A run is named by its file path, its id (``20250301-101500-ab12``), a unique id prefix,
``latest`` or ``latest~N`` (the N-th before the latest).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import ValidationError

from modelkit import atomicio, paths
from modelkit.bench.models import BenchRun
from modelkit.errors import UsageError

PROJECT_FILE = "modelkit.toml"
_LATEST = re.compile(r"^latest(?:~(\d+))?$")


def find_project_root(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / PROJECT_FILE).is_file():
            return d
    return None


def results_dir(directory: str | Path | None = None) -> Path:
    if directory:
        return Path(directory).expanduser()
    env = os.environ.get("MODELKIT_BENCH_DIR")
    if env:
        return Path(env).expanduser()
    root = find_project_root()
    if root is not None:
        return root / ".modelkit" / "bench"
    return paths.state_dir() / "bench"


def save_run(run: BenchRun, directory: str | Path | None = None) -> Path:
    """Write ``run`` as ``<dir>/<id>.json`` (atomically) and return the path."""
    path = results_dir(directory) / f"{run.id}.json"
    atomicio.write_text(path, run.model_dump_json(indent=2) + "\n")
    return path


def read_run(path: str | Path) -> BenchRun:
    path = Path(path)
    try:
        return BenchRun.model_validate_json(path.read_bytes())
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise UsageError(
            f"{path} is not a modelkit benchmark result: {where}: {first.get('msg')}",
            hint="pass a file written by `modelkit bench` (or `--output FILE --format json`)",
        ) from None


def list_runs(directory: str | Path | None = None) -> list[Path]:
    """Saved run files, oldest first (ids start with the UTC time)."""
    d = results_dir(directory)
    return sorted(d.glob("*.json")) if d.is_dir() else []


def resolve_run(ref: str, directory: str | Path | None = None) -> Path:
    """A run reference (path, id, id prefix, ``latest``, ``latest~N``) → its file."""
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate
    runs = list_runs(directory)
    where = results_dir(directory)
    if m := _LATEST.match(ref):
        back = int(m.group(1) or 0)
        if back >= len(runs):
            raise UsageError(f"no run '{ref}': {len(runs)} saved run(s) in {where}",
                             hint="run `modelkit bench` first, or pass result files")
        return runs[-1 - back]
    exact = [p for p in runs if p.stem == ref]
    matches = exact or [p for p in runs if p.stem.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no benchmark run or file '{ref}'",
                         hint=f"saved runs are in {where}; use a file path, a run id, `latest` or `latest~1`")
    raise UsageError(f"'{ref}' matches {len(matches)} runs", hint="give more of the run id")


def load_run(ref: str, directory: str | Path | None = None) -> BenchRun:
    return read_run(resolve_run(ref, directory))
