"""Server commands: doctor, and `server start|stop|status` for a local `ollama serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from modelkit.cli.options import HostOpt, JsonOpt
from modelkit.cli.output import console, print_json

if TYPE_CHECKING:
    from modelkit.doctor import DoctorReport

server_app = typer.Typer(help="Start or stop a local `ollama serve` managed by modelkit.", no_args_is_help=True)

MARK = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


def render_doctor(report: DoctorReport) -> Table:
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    m = report.machine
    table.add_row("host", f"{report.host} [green]reachable[/]")
    table.add_row("models", f"{report.model_count} installed, {report.running_count} loaded")
    table.add_row("machine", f"{m.os} {m.arch}; {m.summary}")
    for c in report.checks:
        line = f"{MARK[c.status]} {c.detail}"
        if c.fix:
            line += f"  [dim]→ {c.fix}[/]"
        table.add_row(c.name, line)
    return table


def doctor_cmd(host: HostOpt = None, json: JsonOpt = False) -> None:
    """Check the server (reachable, version, models directory) and the machine (CPU/GPU, memory)."""
    from modelkit.doctor import diagnose

    report = diagnose(host)
    if json:
        print_json(report)
    else:
        console.print(render_doctor(report))
    if not report.ok:
        raise typer.Exit(1)


TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for the server to answer.")]


@server_app.command("start")
def server_start(host: HostOpt = None, timeout: TimeoutOpt = 60.0) -> None:
    """Start `ollama serve` in the background on HOST (default 127.0.0.1:11434), unless one answers there."""
    from modelkit.hosts import is_loopback, resolve_host
    from modelkit.errors import UsageError
    from modelkit.server import start_managed

    url = resolve_host(host)
    if not is_loopback(url):
        raise UsageError(f"will only start a server on a loopback address, not {url}", hint="use --host 127.0.0.1:PORT")
    info = start_managed(url, timeout)
    if info.started:
        console.print(f"started ollama {info.version} on {info.url} (pid {info.pid}, log {info.log_path})")
    else:
        console.print(f"ollama {info.version} already answers on {info.url}; nothing started")


@server_app.command("stop")
def server_stop(host: HostOpt = None) -> None:
    """Stop the server `modelkit server start` started on HOST."""
    from modelkit.hosts import resolve_host
    from modelkit.server import stop_managed

    url = resolve_host(host)
    info = stop_managed(url)
    if info is None:
        console.print(f"no server started by modelkit on {url}")
    else:
        console.print(f"stopped ollama on {info.url} (pid {info.pid})")


@server_app.command("status")
def server_status(host: HostOpt = None, json: JsonOpt = False) -> None:
    """Say whether a server answers on HOST, and its version."""
    from modelkit.ollama_api import Ollama

    with Ollama(host, timeout=5.0) as api:
        version = api.version()
        loaded = api.ps()
    if json:
        print_json({"host": api.host, "version": version, "loaded": len(loaded)})
    else:
        console.print(f"ollama {version} on {api.host}, {len(loaded)} model(s) loaded")
