"""The ``[bench]`` table of modelkit.toml: benchmark options, regression thresholds, results dir.

::

    [bench]
    prompts = ["medium"]            # digest ids (shipped: small, medium, large)
    langs = ["en", "zh"]            # languages or system prompt ids
    repeat = 3                      # measured runs per case
    warmup = 1
    num_predict = 1024
    seed = 42
    system = "bench"                # or "model": keep the model's own SYSTEM prompt
    options = { num_ctx = 8192 }    # extra Ollama options for every request
    prompt_dirs = ["bench/prompts"] # your digests/system prompts (relative to the project)
    results_dir = ".modelkit/bench" # where runs are saved (relative to the project)

    [bench.thresholds]              # compare's regression gate (see modelkit.bench.compare)
    decode_tps = 0.10               # relative drop beyond max(10 %, observed spread)
    score = 5                       # quality points
    memory = false                  # not gated

Every key is optional; command-line options win over the table, the table over the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelkit.bench.compare import Thresholds, thresholds_from_mapping
from modelkit.bench.models import BenchOptions
from modelkit.errors import UsageError

#: a project's own prompts, used when the directory exists
DEFAULT_PROMPT_DIR = "bench/prompts"


@dataclass
class BenchSettings:
    options: dict[str, Any] = field(default_factory=dict)  #: validated BenchOptions fields from the table
    thresholds: Thresholds = field(default_factory=Thresholds)
    results_dir: Path | None = None

    def bench_options(self, **overrides: Any) -> BenchOptions:
        """BenchOptions from the table, with ``overrides`` (None values ignored) on top."""
        data = {**self.options, **{k: v for k, v in overrides.items() if v is not None}}
        return validate_options(data, "command line")


def validate_options(data: Mapping[str, Any], source: str) -> BenchOptions:
    try:
        return BenchOptions.model_validate(dict(data))
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise UsageError(f"{source}: bench.{where}: {first.get('msg')}",
                         hint=f"[bench] keys: {', '.join([*BenchOptions.model_fields, 'thresholds', 'results_dir'])}") from None


def bench_settings(table: Mapping[str, Any] | None, root: Path | None = None, source: str = "modelkit.toml") -> BenchSettings:
    """Read a ``[bench]`` table; relative paths resolve against ``root`` (the project directory)."""
    table = dict(table or {})
    thresholds = table.pop("thresholds", {}) or {}
    if not isinstance(thresholds, dict):
        raise UsageError(f"{source}: [bench.thresholds] must be a table")
    thresholds = {k: (None if v is False and k != "language" else v) for k, v in thresholds.items()}
    results = table.pop("results_dir", None)
    base = root or Path.cwd()
    dirs = [str(base / d) for d in table.get("prompt_dirs", [])]
    if root is not None and "prompt_dirs" not in table and (root / DEFAULT_PROMPT_DIR).is_dir():
        dirs = [str(root / DEFAULT_PROMPT_DIR)]
    if dirs:
        table["prompt_dirs"] = dirs
    validate_options(table, source)
    return BenchSettings(
        options=table,
        thresholds=thresholds_from_mapping(thresholds, f"{source} [bench.thresholds]"),
        results_dir=(base / results) if results else None,
    )


def project_bench_settings(project_file: Path | None) -> BenchSettings:
    """The ``[bench]`` table of a modelkit.toml (read directly, so a model-only bench does not
    depend on the rest of the project file being valid); defaults without a file."""
    import tomllib

    if project_file is None:
        return BenchSettings()
    try:
        with open(project_file, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"{project_file}: {e}", hint="fix modelkit.toml (`modelkit lint` says where)") from None
    table = data.get("bench", {})
    if not isinstance(table, dict):
        raise UsageError(f"{project_file}: `bench` must be a table")
    return bench_settings(table, project_file.parent, str(project_file))
