"""The report benchmark: prompts, runner, quality checks, statistics, saved runs, comparison.

    from modelkit.ollama_api import Ollama
    from modelkit.bench import BenchOptions, BenchTarget, run_bench, save_run, load_run, compare_runs

    with Ollama(host) as api:
        run = run_bench(api, [BenchTarget("report:zh", label="report-zh")], BenchOptions(langs=["zh"]))
    path = save_run(run)                                  # <project>/.modelkit/bench/<run id>.json
    cmp = compare_runs(load_run("latest~1"), run)         # cmp.regressed → the gate

Modules: ``prompts`` (digests, system prompts), ``runner`` (``run_bench``), ``quality``
(``check_report``), ``stats``, ``models`` (the saved types), ``store`` (files and run ids),
``compare``, ``config`` (the ``[bench]`` table), ``table``/``formats``/``compare_formats``/
``html`` (renderings). Names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BenchOptions": "models",
    "BenchRun": "models",
    "Quality": "models",
    "BenchTarget": "runner",
    "run_bench": "runner",
    "save_run": "store",
    "load_run": "store",
    "read_run": "store",
    "resolve_run": "store",
    "results_dir": "store",
    "compare_runs": "compare",
    "Comparison": "compare",
    "Thresholds": "compare",
    "check_report": "quality",
    "load_prompt_set": "prompts",
    "bench_settings": "config",
    "project_bench_settings": "config",
    "render": "formats",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"modelkit.bench.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'modelkit.bench' has no attribute {name!r}")
