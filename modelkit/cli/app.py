"""The Typer application: one module per command group, wired here."""

from __future__ import annotations

import typer

from modelkit import __version__
from modelkit.cli import cmd_bench, cmd_build, cmd_models, cmd_project, cmd_server

app = typer.Typer(
    name="modelkit",
    help="Build, benchmark and compare Ollama models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"modelkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Build, benchmark and compare Ollama models."""


PROJECT = "Project: templates to models"
BENCH = "Benchmark"
MODELS = "Models on a server"
SERVER = "Server"

app.command("init", rich_help_panel=PROJECT)(cmd_project.init_cmd)
app.command("render", rich_help_panel=PROJECT)(cmd_project.render_cmd)
app.command("lint", rich_help_panel=PROJECT)(cmd_project.lint_cmd)
app.command("build", rich_help_panel=PROJECT)(cmd_build.build_cmd)
app.command("bench", rich_help_panel=BENCH)(cmd_bench.bench_cmd)
app.command("compare", rich_help_panel=BENCH)(cmd_bench.compare_cmd)

app.command("list", rich_help_panel=MODELS)(cmd_models.list_cmd)
app.command("ps", rich_help_panel=MODELS)(cmd_models.ps_cmd)
app.command("show", rich_help_panel=MODELS)(cmd_models.show_cmd)
app.command("pull", rich_help_panel=MODELS)(cmd_models.pull_cmd)
app.command("rm", rich_help_panel=MODELS)(cmd_models.rm_cmd)
app.command("cp", rich_help_panel=MODELS)(cmd_models.cp_cmd)
app.command("doctor", rich_help_panel=SERVER)(cmd_server.doctor_cmd)
app.add_typer(cmd_server.server_app, name="server", rich_help_panel=SERVER)
