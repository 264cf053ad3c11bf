"""Model management commands: list, ps."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from modelkit import humanize
from modelkit.cli.options import HostOpt, JsonOpt
from modelkit.cli.output import console, print_json
from modelkit.inventory import ModelEntry, RunningModel


def render_list(models: Sequence[ModelEntry]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "ID", "SIZE", "MODIFIED"):
        table.add_column(col, justify="right" if col == "SIZE" else "left")
    for m in models:
        table.add_row(m.name, m.id, humanize.size(m.size), humanize.ago(m.modified_at))
    return table


def render_ps(models: Sequence[RunningModel]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"):
        table.add_column(col, justify="right" if col in ("SIZE", "CONTEXT") else "left")
    for m in models:
        table.add_row(m.name, m.id, humanize.size(m.size), m.processor,
                      str(m.context_length or "-"), humanize.until(m.expires_at))
    return table


def list_cmd(host: HostOpt = None, json: JsonOpt = False) -> None:
    """List the models on the server (like `ollama list`)."""
    from modelkit.inventory import list_models
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        models = list_models(api)
    if json:
        print_json(models)
    else:
        console.print(render_list(models))


def ps_cmd(host: HostOpt = None, json: JsonOpt = False) -> None:
    """List the models loaded in memory (like `ollama ps`)."""
    from modelkit.inventory import running_models
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        models = running_models(api)
    if json:
        print_json(models)
    else:
        console.print(render_ps(models))


def show_cmd() -> None:
    """Show a model's details, parameters, template and metadata."""
    from modelkit.errors import ModelkitError

    raise ModelkitError("`show` is not implemented yet")


def rm_cmd() -> None:
    """Remove models from the server."""
    from modelkit.errors import ModelkitError

    raise ModelkitError("`rm` is not implemented yet")


def cp_cmd() -> None:
    """Copy a model to a new name."""
    from modelkit.errors import ModelkitError

    raise ModelkitError("`cp` is not implemented yet")


def pull_cmd() -> None:
    """Pull a model from a registry or Hugging Face."""
    from modelkit.errors import ModelkitError

    raise ModelkitError("`pull` is not implemented yet")
