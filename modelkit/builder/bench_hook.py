"""``build --bench``: run the report benchmark (``modelkit.bench``) on the models just built.

The benchmark options come from the project's ``[bench]`` table when the project exposes
one (``Project.bench``), else the library's defaults. The run is saved where ``modelkit
compare`` reads runs (``modelkit.bench.save_run`` when the bench library provides it) and
its summary (run id, where it was saved, models) lands in the build report's ``bench``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelkit.builder.report import BuildReport
from modelkit.errors import ModelkitError


def bench_built(report: BuildReport, host: str | None, *, options: Any = None,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    try:
        from modelkit.bench.models import BenchOptions
        from modelkit.bench.runner import BenchTarget, run_bench
    except ImportError as e:  # the benchmark library is not installed in this tree
        raise ModelkitError(f"--bench: the benchmark library is not available ({e})",
                            hint="run `modelkit bench MODEL…` once it is, or build without --bench") from None
    from modelkit.ollama_api import Ollama

    targets = [BenchTarget(model=t.model, label=t.id, target=t.id) for t in report.built()]
    with Ollama(host) as api:
        run = run_bench(api, targets, options or BenchOptions(), progress=progress)
    saved: str | None = None
    try:
        from modelkit import bench as bench_pkg

        save = getattr(bench_pkg, "save_run", None)
        if save is not None:
            saved = str(save(run))
    except ImportError:
        pass
    return {"run_id": run.id, "saved": saved, "models": [t.model for t in targets]}
