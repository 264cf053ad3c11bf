"""``modelkit build`` as a library: project targets → models on an Ollama server.

    from modelkit.builder import build_project, BuildOptions

    report = build_project(targets=["report-en"], options=BuildOptions(jobs=2, host="127.0.0.1:11434"))
    for t in report.targets:
        print(t.id, t.status, t.reason)

Steps per target: lint (errors stop the whole build before anything is sent) → resolve the
weights (local paths; ``hf://`` through ``modelkit.hub``) → digests (cached) → decide from
``modelkit.lock`` and the server whether to build → upload only the blobs the server lacks
→ ``/api/create`` → verify with ``/api/show`` → record in ``modelkit.lock``.

Modules: ``sources`` (FROM/ADAPTER → files), ``plan`` (request, hash, skip decision),
``runner`` (blobs, create, scheduling, locking), ``verify`` (``/api/show`` checks),
``report`` (typed results and progress events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from modelkit.builder.plan import BuildSpec
from modelkit.builder.report import BuildEvent, BuildReport, BuildStats, EventCallback, TargetResult, ignore
from modelkit.builder.runner import BuildOptions, run_build
from modelkit.errors import UsageError

__all__ = [
    "BuildEvent", "BuildOptions", "BuildReport", "BuildSpec", "BuildStats", "TargetResult", "LintFailed",
    "build_project", "run_build", "spec_from_target",
]


class LintFailed(UsageError):
    """Lint found errors: nothing was sent to the server (exit 2). ``findings`` holds them all."""

    def __init__(self, message: str, findings: list[Any], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.findings = findings


def spec_from_target(target: Any) -> BuildSpec:
    """A ``BuildSpec`` from a ``modelkit.project.ResolvedTarget`` (rendered and parsed)."""
    mf = target.modelfile
    froms = [v.value for v in mf.from_]
    if not froms:
        raise UsageError(f"target {target.id}: the rendered Modelfile has no FROM line")
    adapter = mf.adapter
    fields = mf.create_fields()
    fields.pop("from_", None)
    base_dir = Path(getattr(target, "base_dir", None) or mf.base_dir or Path.cwd())
    return BuildSpec(
        id=target.id, name=target.name, modelfile_text=target.modelfile_text, base_dir=base_dir,
        from_=froms[-1], adapters=[adapter.value] if adapter is not None else [], fields=fields,
        quantize=getattr(target, "quantize", None) or None,
    )


def build_project(path: str | Path | None = None, targets: Sequence[str] = (), sets: Mapping[str, Any] | None = None,
                  options: BuildOptions | None = None, *, on_event: EventCallback = ignore) -> BuildReport:
    """Load the project at ``path`` (default: found from the current directory), lint and build."""
    from modelkit.project import load_project

    project = load_project(path)
    resolved = project.resolve(tuple(targets), dict(sets or {}))
    root = Path(project.root)
    specs = [spec_from_target(t) for t in resolved]
    force = bool(options and options.force)
    lint_targets([t for t, s in zip(resolved, specs) if force or not already_linted(s, root)], project)
    return run_build(specs, root, options, on_event=on_event, project=str(root))


def already_linted(spec: BuildSpec, project_dir: Path) -> bool:
    """True when ``modelkit.lock`` shows a successful build of exactly these inputs by this modelkit.

    Lint is a function of the rendered Modelfile, the input files and modelkit's version; a
    target built from the same three passed lint then, so an up-to-date target is not
    re-inspected (opening a GGUF costs more than the rest of a no-op build). Decided from
    file metadata only (the digest cache), never by hashing; ``hf://`` sources are always linted.
    """
    from modelkit import __version__
    from modelkit.builder.plan import sha256_text
    from modelkit.builder.sources import resolve_source
    from modelkit.digests import DigestCache
    from modelkit.errors import ModelkitError
    from modelkit.lockfile import LockFile

    if "hf://" in spec.from_ or any("hf://" in a for a in spec.adapters):
        return False
    try:
        records = LockFile.load(project_dir).targets.get(spec.id, {})
        modelfile = sha256_text(spec.modelfile_text)
        records = [r for r in records.values() if r.modelfile_sha256 == modelfile and r.modelkit_version == __version__]
        if not records:
            return False
        cache = DigestCache()
        current: dict[str, str | None] = {}
        sources = [("FROM", resolve_source(spec.from_, spec.base_dir))]
        sources += [("ADAPTER" if len(spec.adapters) == 1 else f"ADAPTER#{i + 1}",
                     resolve_source(a, spec.base_dir, adapter=True)) for i, a in enumerate(spec.adapters)]
        for label, src in sources:
            for name, file in src.files.items():
                current[f"{label} {name}"] = cache.lookup(file)
    except (ModelkitError, OSError):
        return False
    if any(d is None for d in current.values()):
        return False
    return any(all(r.inputs.get(k) == d for k, d in current.items()) for r in records)


def lint_targets(resolved: Sequence[Any], project: Any = None) -> None:
    """Raise ``LintFailed`` when lint finds any error in the targets (warnings pass)."""
    findings = _lint_findings(resolved, project)
    errors = [f for f in findings if getattr(f, "severity", "") == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LintFailed(f"lint: {getattr(first, 'message', first)}{more}", errors,
                         hint="`modelkit lint` shows every finding; nothing was sent to the server")


def _lint_findings(resolved: Sequence[Any], project: Any) -> list[Any]:
    """Findings of ``modelkit.lint`` when it is available, else the Modelfile parser's diagnostics."""
    try:
        from modelkit import lint
    except ImportError:
        lint = None  # type: ignore[assignment]
    run = getattr(lint, "lint_targets", None) if lint is not None else None
    if run is not None:
        return list(run(resolved, project) if project is not None else run(resolved))
    return [d for t in resolved if t.modelfile is not None for d in t.modelfile.diagnostics]
