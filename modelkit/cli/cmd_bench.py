"""`modelkit bench` and `modelkit compare`: the report benchmark and the regression gate.

Progress goes to stderr; the table (or the chosen format) to stdout or ``--output``.
Library: ``modelkit.bench`` (run_bench, save_run, compare_runs, formats).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from modelkit.cli.bench_tables import render_bench, render_compare
from modelkit.cli.options import HostOpt, JsonOpt, ProgressChoice, ProgressOpt, ProjectOpt, SetOpt, parse_options, parse_sets

if TYPE_CHECKING:
    from modelkit.bench.models import BenchRun

__all__ = ["bench_cmd", "compare_cmd", "render_bench", "render_compare"]


class BenchFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"
    csv = "csv"
    html = "html"


class CompareFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"
    csv = "csv"


OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write the result to FILE instead of stdout.", show_default=False)]
ResultsDirOpt = Annotated[str | None, typer.Option(
    "--results-dir", envvar="MODELKIT_BENCH_DIR",
    help="Where runs are saved and looked up (default: .modelkit/bench next to modelkit.toml, else the state dir).")]

PANEL_RUN = "What to run"
PANEL_OUT = "Output"


def bench_cmd(
    models: Annotated[list[str] | None, typer.Argument(help="Models to benchmark (with --targets: target ids or patterns; none = all).", show_default=False)] = None,
    targets: Annotated[bool, typer.Option("--targets", "-t", help="Benchmark the models of the project's targets.")] = False,
    project: ProjectOpt = None,
    sets: SetOpt = None,
    prompt: Annotated[list[str] | None, typer.Option("--prompt", help="Digest id: small, medium, large or your own (repeatable). Default: medium.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    lang: Annotated[list[str] | None, typer.Option("--lang", "-l", help="Report language or system prompt id (repeatable). Default: en and zh.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    repeat: Annotated[int | None, typer.Option("--repeat", "-r", min=1, help="Measured runs per case. Default 3.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    warmup: Annotated[int | None, typer.Option("--warmup", "-w", min=0, help="Warm-up runs per case. Default 1.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    num_predict: Annotated[int | None, typer.Option("--num-predict", "-n", min=1, help="Token limit per report. Default 1024.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed of every request. Default 42.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="Extra Ollama option KEY=VALUE for every request, e.g. num_ctx=8192 (repeatable).", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    system: Annotated[str | None, typer.Option("--system", help="bench: send the prompt set's system prompt (default); model: keep the model's own SYSTEM.", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    prompts_dir: Annotated[list[str] | None, typer.Option("--prompts", help="A directory of your own digests/ and system/ prompts (repeatable).", show_default=False, rich_help_panel=PANEL_RUN)] = None,
    keep_loaded: Annotated[bool, typer.Option("--keep-loaded", help="Do not unload each model after its runs.", rich_help_panel=PANEL_RUN)] = False,
    fmt: Annotated[BenchFormat, typer.Option("--format", "-f", help="table, markdown, json, csv or html.", case_sensitive=False, rich_help_panel=PANEL_OUT)] = BenchFormat.table,
    output: OutputOpt = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Save the run as JSON for `modelkit compare`.", rich_help_panel=PANEL_OUT)] = True,
    results_dir: ResultsDirOpt = None,
    from_run: Annotated[str | None, typer.Option("--from", help="Do not run: render a saved run (file, run id, latest, latest~1).", show_default=False, rich_help_panel=PANEL_OUT)] = None,
    json_out: JsonOpt = False,
    progress: ProgressOpt = ProgressChoice.auto,
    host: HostOpt = None,
) -> None:
    """Run the report benchmark: cold load, TTFT, prefill/decode tokens/s, memory and report quality per model.

    Per model: unload, one cold request, then per prompt × language the warm-up and measured streaming runs at a fixed seed. Each report is checked (language, sections, #number coverage, invented #numbers, length) and scored 0-100 (docs/benchmark.md). The run is saved for `modelkit compare`.
    """
    from modelkit.bench import store
    from modelkit.bench.config import project_bench_settings
    from modelkit.cli.output import err_console
    from modelkit.errors import UsageError
    from modelkit.project import find_project_file

    fmt_name = "json" if json_out else fmt.value
    project_file = _project_file(project) if (project or targets) else find_project_file()
    settings = project_bench_settings(project_file)
    directory = results_dir or settings.results_dir or (project_file.parent / ".modelkit" / "bench" if project_file else None)

    if from_run:
        if models or targets:
            raise UsageError("--from renders a saved run; it takes no models", hint="drop the model names or --from")
        run = store.load_run(from_run, directory)
        _emit_run(run, fmt_name, output)
        return

    options = settings.bench_options(
        prompts=prompt or None, langs=lang or None, repeat=repeat, warmup=warmup, num_predict=num_predict, seed=seed,
        system=system, options={**settings.options.get("options", {}), **parse_options(option)} if option else None,
        prompt_dirs=[*settings.options.get("prompt_dirs", []), *(prompts_dir or [])] if prompts_dir else None,
        unload_after=False if keep_loaded else None,
    )
    if targets:
        bench_targets = _project_targets(project_file, models or [], sets or [])
    else:
        if sets:
            raise UsageError("--set needs --targets", hint="variables apply to project targets")
        if not models:
            raise UsageError("name the models to benchmark", hint="`modelkit bench MODEL…`, or `modelkit bench --targets`")
        bench_targets = list(models)

    from modelkit.bench.runner import run_bench
    from modelkit.ollama_api import Ollama

    with _Progress(progress) as say, Ollama(host) as api:
        run = run_bench(api, bench_targets, options, progress=say)
    if save:
        path = store.save_run(run, directory)
        err_console.print(f"saved run {run.id} to {path}", markup=False, highlight=False)
    _emit_run(run, fmt_name, output)


def compare_cmd(
    baseline: Annotated[str, typer.Argument(help="Baseline run: a result file, a run id, latest~1…")],
    candidate: Annotated[str, typer.Argument(help="Candidate run: a result file, a run id, latest…")],
    fmt: Annotated[CompareFormat, typer.Option("--format", "-f", help="table, markdown (for $GITHUB_STEP_SUMMARY), json or csv.", case_sensitive=False)] = CompareFormat.table,
    output: OutputOpt = None,
    thresholds_file: Annotated[str | None, typer.Option("--thresholds", help="TOML file with [bench.thresholds] (default: the project's).", show_default=False)] = None,
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help="Override one threshold KEY=VALUE, e.g. decode_tps=0.05, memory=off (repeatable).", show_default=False)] = None,
    gate: Annotated[bool, typer.Option("--gate/--no-gate", help="Exit 3 when a regression is found.")] = True,
    project: ProjectOpt = None,
    results_dir: ResultsDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare two saved benchmark runs side by side; exit 3 when the candidate regresses beyond noise.

    A metric regresses when it gets worse by more than max(threshold, observed run-to-run spread): speeds relatively, quality in points. Thresholds: [bench.thresholds] in modelkit.toml, --thresholds, --threshold.
    """
    from modelkit.bench import store
    from modelkit.bench.compare import compare_runs, load_thresholds, parse_threshold_assignments
    from modelkit.bench.config import project_bench_settings
    from modelkit.errors import RegressionFound
    from modelkit.project import find_project_file

    project_file = _project_file(project) if project else find_project_file()
    settings = project_bench_settings(project_file)
    directory = results_dir or settings.results_dir or (project_file.parent / ".modelkit" / "bench" if project_file else None)
    base = load_thresholds(thresholds_file) if thresholds_file else settings.thresholds
    thresholds = parse_threshold_assignments(threshold or [], base)
    cmp = compare_runs(store.load_run(baseline, directory), store.load_run(candidate, directory), thresholds)

    fmt_name = "json" if json_out else fmt.value
    if fmt_name == "table" and not output:
        from modelkit.cli.output import console

        console.print(render_compare(cmp))
    else:
        from modelkit.bench import compare_formats

        text = {"markdown": compare_formats.to_markdown, "json": compare_formats.to_json,
                "csv": compare_formats.to_csv, "table": compare_formats.to_markdown}[fmt_name](cmp)
        _write(text, output)
    if gate and cmp.regressed:
        from modelkit.bench.compare_formats import fmt_allowed, fmt_change, label

        c, d = cmp.regressions[0]
        more = f" and {len(cmp.regressions) - 1} more" if len(cmp.regressions) > 1 else ""
        raise RegressionFound(
            f"{c.model} {c.case}: {label(d.metric)} {fmt_change(d)} (allowed {fmt_allowed(d)}){more}",
            hint="the table shows every metric; loosen [bench.thresholds] or --threshold if this is expected, or --no-gate",
        )


# -- helpers ----------------------------------------------------------------------------------


def _project_file(project: str | None):
    from modelkit.project import PROJECT_FILE, find_project_file, load_project

    if project is None:
        found = find_project_file()
        if found is None:
            load_project(None)  # raises the project module's "no modelkit.toml" error
        return found
    from pathlib import Path

    p = Path(project).expanduser()
    file = p / PROJECT_FILE if p.is_dir() else p
    if not file.is_file():
        load_project(project)  # raises with its hint
    return file


def _project_targets(project_file, selection: list[str], sets: list[str]):
    from modelkit.bench.runner import BenchTarget
    from modelkit.project import load_project

    return [BenchTarget.from_resolved(t) for t in load_project(project_file).resolve(selection, parse_sets(sets))]


def _write(text: str, output: str | None) -> None:
    import sys

    if output:
        from modelkit import atomicio
        from modelkit.cli.output import err_console

        atomicio.write_text(output, text)
        err_console.print(f"wrote {output}", markup=False, highlight=False)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _emit_run(run: BenchRun, fmt: str, output: str | None) -> None:
    if fmt == "table" and not output:
        from modelkit.cli.output import console

        console.print(render_bench(run))
        for line in _conditions(run):
            console.print(line, style="dim", markup=False, highlight=False)
        return
    from modelkit.bench.formats import render

    _write(render(run, "markdown" if fmt == "table" else fmt), output)


def _conditions(run: BenchRun) -> list[str]:
    from modelkit.bench.formats import conditions_lines

    return [line.replace("`", "") for line in conditions_lines(run)]


class _Progress:
    """Progress lines on stderr: a spinner on a terminal, plain lines otherwise, or nothing."""

    def __init__(self, choice: ProgressChoice):
        from modelkit.cli.output import err_console

        self.console = err_console
        self.choice = choice
        self.status = None

    def __enter__(self):
        if self.choice in (ProgressChoice.bars, ProgressChoice.auto) and self.console.is_terminal:
            self.status = self.console.status("benchmark starting")
            self.status.__enter__()
        return self

    def __call__(self, message: str) -> None:
        if self.choice == ProgressChoice.none:
            return
        if self.status is not None:
            self.status.update(message)
        self.console.print(message, markup=False, highlight=False, style="dim" if self.status else None)

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
