"""`modelkit build`: lint, upload, create and verify the project's targets on the server.

Progress goes to stderr (bars on a terminal, plain ``[target] …`` lines otherwise: CI logs
get no control characters); the summary — or with ``--json`` the machine-readable report —
goes to stdout. Exit codes: 0 all built or skipped, 1 a target failed, 2 lint or usage error.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelkit.cli.options import HostOpt, JsonOpt, ProgressChoice, ProgressOpt, ProjectOpt, SetOpt, parse_sets

if TYPE_CHECKING:
    from rich.table import Table

    from modelkit.builder import BuildEvent, BuildReport


def build_cmd(
    targets: Annotated[list[str] | None, typer.Argument(help="Targets to build (default: all).", show_default=False)] = None,
    project: ProjectOpt = None,
    sets: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even targets whose inputs did not change.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Say what would be built and why; send nothing.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Build up to N targets in parallel.")] = 1,
    bench: Annotated[bool, typer.Option("--bench", help="Run the report benchmark on the models that were built.")] = False,
    json_out: JsonOpt = False,
    progress: ProgressOpt = ProgressChoice.auto,
    host: HostOpt = None,
) -> None:
    """Lint, upload, create and verify the project's targets on the server (skipping unchanged ones)."""
    from modelkit.builder import BuildOptions, LintFailed, build_project
    from modelkit.cli.output import err_console, is_terminal, print_json
    from modelkit.errors import ModelkitError

    view = _EventView(progress)
    options = BuildOptions(force=force, dry_run=dry_run, jobs=jobs, host=host)
    try:
        with view:
            report = build_project(project, targets or (), parse_sets(sets), options, on_event=view)
    except LintFailed as e:
        for f in e.findings:
            err_console.print(_finding_line(f), markup=False, highlight=False, soft_wrap=True)
        raise
    run = None
    if bench and not dry_run and report.built():
        from modelkit.builder.bench_hook import bench_built

        report.bench, run = bench_built(report, host, sets=parse_sets(sets), progress=None if json_out else view.status)
    if json_out:
        print_json(report)
    else:
        from modelkit.cli.output import console

        if is_terminal():
            console.print(render_report(report))
        else:
            for line in plain_report(report):
                print(line)
        if run is not None:
            from modelkit.cli.cmd_bench import render_bench

            console.print(render_bench(run))
            console.print(f"benchmark run {run.id} saved to {report.bench['saved']}", markup=False)
    failed = [t for t in report.targets if t.status == "failed"]
    if failed:
        if json_out:
            raise typer.Exit(1)
        first = failed[0]
        raise ModelkitError(f"{len(failed)} of {len(report.targets)} target(s) failed; {first.id}: {first.error or first.reason}",
                            hint=first.hint or "the previous models of those names are unchanged")


def _finding_line(f: Any) -> str:
    if hasattr(f, "one_line"):
        return str(f.one_line())
    where = getattr(f, "location", None) or getattr(f, "where", None) or ""
    sev = getattr(f, "severity", "error")
    text = f"{where}: {sev}: {getattr(f, 'message', f)}" if where else f"{sev}: {getattr(f, 'message', f)}"
    hint = getattr(f, "hint", None)
    return " ".join(text.split()) + (f" (hint: {' '.join(hint.split())})" if hint else "")


# -- progress -----------------------------------------------------------------------------


class _EventView:
    """BuildEvents → ``modelkit.cli.progress`` (bars or throttled plain lines), thread-safe."""

    def __init__(self, mode: ProgressChoice):
        from modelkit.cli.progress import progress_view

        self.view = progress_view(mode)
        self.lock = threading.Lock()
        # bar descriptions are rich markup: a target id like ``t[lang=en]`` must be escaped there
        self.markup = type(self.view).__name__ == "BarsProgress"

    def __enter__(self) -> _EventView:
        self.view.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.view.__exit__(*exc)

    def status(self, text: str) -> None:
        from modelkit.progress import Status

        with self.lock:
            self.view(Status(text))

    def __call__(self, event: BuildEvent) -> None:
        from modelkit.progress import Progress, Status

        prefix = f"[{event.target}] " if event.target != "*" else ""
        if event.total:
            key = f"{event.target}/{event.key or event.phase}"
            label = prefix + event.text
            if self.markup:
                from rich.markup import escape

                label = escape(label)
            ev: Any = Progress(key=key, label=label, completed=event.completed or 0, total=event.total)
        else:
            ev = Status(prefix + event.text)
        with self.lock:
            self.view(ev)


# -- summary ------------------------------------------------------------------------------

_STYLE = {"built": "green", "skipped": "dim", "failed": "bold red", "would-build": "yellow", "would-skip": "dim"}


def render_report(report: BuildReport) -> Table:
    from rich.table import Table
    from rich.text import Text

    from modelkit import humanize

    s = report.stats
    if report.dry_run:
        would = sum(t.status == "would-build" for t in report.targets)
        caption = f"{report.server} · {would} would be built · {len(report.targets) - would} up to date"
    else:
        caption = (f"{report.server} · {len(report.built())} built · "
                   f"{sum(t.status == 'skipped' for t in report.targets)} skipped · "
                   f"{sum(t.status == 'failed' for t in report.targets)} failed · "
                   f"uploaded {s.uploaded_blobs} blob(s), {humanize.size(s.uploaded_bytes)} · "
                   f"hashed {s.hashed_files} file(s) · {report.duration_s:.1f}s")
    table = Table(title="dry run: nothing was sent" if report.dry_run else None, caption=caption)
    for col in ("target", "model", "status", "time"):
        table.add_column(col, justify="right" if col == "time" else "left", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for t in report.targets:
        table.add_row(Text(t.id), Text(t.model), Text(t.status, style=_STYLE.get(t.status, "")),
                      f"{t.duration_s:.1f}s", Text(t.error or t.reason))
    return table


def plain_report(report: BuildReport) -> list[str]:
    """One line per target and a totals line: for CI logs (no colour, no box drawing)."""
    lines = []
    for t in report.targets:
        lines.append(f"{t.status} {t.id} ({t.model}) {t.duration_s:.1f}s: {' '.join((t.error or t.reason).split())}")
    s = report.stats
    if report.dry_run:
        would = sum(t.status == "would-build" for t in report.targets)
        lines.append(f"dry run: {would} would be built, {len(report.targets) - would} up to date on {report.server}; "
                     f"nothing was sent (hashed {s.hashed_files} file(s))")
        return lines
    lines.append(f"{len(report.built())} built, "
                 f"{sum(t.status == 'skipped' for t in report.targets)} skipped, "
                 f"{sum(t.status == 'failed' for t in report.targets)} failed on {report.server}; "
                 f"uploaded {s.uploaded_blobs} blob(s) ({s.uploaded_bytes} bytes), hashed {s.hashed_files} file(s), "
                 f"{s.creates} create(s), {report.duration_s:.1f}s")
    return lines
