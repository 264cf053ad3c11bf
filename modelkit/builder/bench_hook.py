"""``build --bench``: run the report benchmark (``modelkit.bench``) on the models just built.

The options and the results directory come from the project's ``[bench]`` table (as for
``modelkit bench --targets``); the run is saved where ``modelkit compare`` finds it
(``latest``), and its summary (run id, file, models) lands in the build report's ``bench``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelkit.builder.report import BuildReport

if TYPE_CHECKING:
    from modelkit.bench.models import BenchRun


def bench_built(report: BuildReport, host: str | None, *, sets: Mapping[str, Any] | None = None,
                progress: Callable[[str], None] | None = None) -> tuple[dict[str, Any], BenchRun]:
    """Benchmark the targets ``report`` built, each in its own ``lang`` (as ``bench --targets``
    does); returns the summary stored in the build report and the run itself."""
    from modelkit.bench.config import project_bench_settings
    from modelkit.bench.runner import BenchTarget, run_bench
    from modelkit.bench.store import save_run
    from modelkit.ollama_api import Ollama
    from modelkit.project import load_project

    project_file = Path(report.project) / "modelkit.toml"
    settings = project_bench_settings(project_file if project_file.is_file() else None)
    options = settings.bench_options()
    resolved = {t.id: t for t in load_project(project_file).resolve((), dict(sets or {}))} if project_file.is_file() else {}
    targets = [BenchTarget.from_resolved(resolved[t.id]) if t.id in resolved
               else BenchTarget(model=t.model, label=t.id, target=t.id) for t in report.built()]
    with Ollama(host) as api:
        run = run_bench(api, targets, options, progress=progress)
    default = None if os.environ.get("MODELKIT_BENCH_DIR") else Path(report.project) / ".modelkit" / "bench"
    saved = save_run(run, settings.results_dir or default)
    return {"run_id": run.id, "saved": str(saved), "models": [t.model for t in targets]}, run
