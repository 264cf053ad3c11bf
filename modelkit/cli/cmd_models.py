"""Model management commands: list, ps, show, rm, cp (and pull, from ``cmd_pull``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from modelkit import humanize
from modelkit.cli.cmd_pull import pull_cmd, render_hf, render_pull
from modelkit.cli.options import HostOpt, JsonOpt
from modelkit.cli.output import console, err_console, print_json

if TYPE_CHECKING:
    from modelkit.inventory import ModelEntry, RunningModel
    from modelkit.model_details import ModelDetails

__all__ = ["list_cmd", "ps_cmd", "show_cmd", "rm_cmd", "cp_cmd", "pull_cmd", "render_list", "render_ps", "render_show",
           "render_pull", "render_hf"]


class ListSort(str, Enum):
    name = "name"
    size = "size"
    modified = "modified"


class PsSort(str, Enum):
    name = "name"
    size = "size"
    until = "until"


PatternsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Only models whose name matches: a glob (`qwen*:7b`) or a substring (`smol`). "
                        "Several patterns: any of them.", show_default=False),
]
FamilyOpt = Annotated[str | None, typer.Option("--family", help="Only this family (`llama`, `qwen2`…; globs work).")]
QuantOpt = Annotated[str | None, typer.Option("--quantization", "-q",
                                              help="Only this quantization (`Q4_K_M`, `q4*`; case-insensitive).")]
ReverseOpt = Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")]


# -- rendering (pure: typed results in, rich renderables out) ---------------------------------------


def render_list(models: Sequence[ModelEntry]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "ID", "SIZE", "FAMILY", "PARAMS", "QUANT", "MODIFIED"):
        table.add_column(col, justify="right" if col == "SIZE" else "left",
                         overflow="fold", no_wrap=col not in ("NAME", "MODIFIED"))
    for m in models:
        table.add_row(m.name, m.id, humanize.size(m.size), m.family or "-", m.parameter_size or "-",
                      m.quantization or "-", humanize.ago(m.modified_at))
    return table


def render_ps(models: Sequence[RunningModel]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"):
        table.add_column(col, justify="right" if col in ("SIZE", "CONTEXT") else "left",
                         overflow="fold", no_wrap=col not in ("NAME", "UNTIL"))
    for m in models:
        table.add_row(m.name, m.id, humanize.size(m.size), m.processor,
                      str(m.context_length or "-"), humanize.until(m.expires_at))
    return table


def _kv_table(rows: Sequence[tuple[str, str]]) -> Padding:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in rows:
        table.add_row(k, v)
    return Padding(table, (0, 0, 0, 4))


def _clip(text: str, lines: int, verbose: bool, chars: int = 400) -> str:
    text = text.strip("\n")
    if verbose:
        return text
    all_lines = text.splitlines()
    if len(all_lines) > lines:
        return "\n".join(all_lines[:lines] + [f"… ({len(all_lines) - lines} more lines; --verbose shows all)"])
    if len(text) > chars:
        return text[:chars] + f"… ({len(text) - chars} more characters; --verbose shows all)"
    return text


def _value(v: Any, verbose: bool, width: int = 80) -> str:
    if v is None:
        return "(omitted; --verbose)"
    if isinstance(v, list):
        text = f"[{len(v)} items] " + ", ".join(map(str, v[:8])) + (" …" if len(v) > 8 else "")
        return text if not verbose else str(v)
    text = str(v)
    return text if verbose or len(text) <= width else text[: width - 1] + "…"


def render_show(d: ModelDetails, *, verbose: bool = False) -> Group:
    parts: list[Any] = []

    def section(title: str, body: Any) -> None:
        parts.append(Text(f"  {title}", style="bold"))
        parts.append(body)
        parts.append(Text(""))

    model_rows = [("architecture", d.architecture or d.family or "-"),
                  ("parameters", d.parameter_size or "-"),
                  ("context length", str(d.context_length or "-")),
                  ("embedding length", str(d.embedding_length or "-")),
                  ("quantization", d.quantization or "-"),
                  ("format", d.format or "-")]
    if d.modified_at:
        model_rows.append(("modified", humanize.ago(d.modified_at)))
    section("Model", _kv_table(model_rows))
    if d.capabilities:
        section("Capabilities", _kv_table([(c, "") for c in d.capabilities]))
    if d.parameters:
        rows = []
        for k, v in d.parameters.items():
            for item in v if isinstance(v, list) else [v]:
                rows.append((k, repr(item) if isinstance(item, str) else str(item)))
        section("Parameters", _kv_table(rows))
    if d.system:
        section("System", Text("    " + _clip(d.system, 6, verbose).replace("\n", "\n    ")))
    if d.template:
        section("Template", Text("    " + _clip(d.template, 12, verbose).replace("\n", "\n    ")))
    for m in d.messages:
        parts.append(Text(f"    {m.get('role')}: {_clip(str(m.get('content', '')), 3, verbose)}"))
    if d.license:
        section("License", Text("    " + _clip(d.license, 4, verbose).replace("\n", "\n    ")))
    if d.model_info:
        rows = [(k, _value(v, verbose)) for k, v in sorted(d.model_info.items())]
        section(f"Metadata ({len(rows)} GGUF keys)", _kv_table(rows))
    if d.tensors:
        section("Tensors", _kv_table([(t.get("name", "?"), f"{t.get('type', '?')} {t.get('shape', '')}")
                                      for t in d.tensors]))
    return Group(*parts)


# -- list / ps ----------------------------------------------------------------------------------


def _print_models(fetch: Callable[[Any], Sequence[Any]], render: Callable[[Sequence[Any]], Table],
                  patterns: list[str] | None, family: str | None, quantization: str | None, sort: str, reverse: bool,
                  host: str | None, json: bool) -> None:
    """What list and ps share: fetch from the server, filter, order, then print a table or JSON."""
    from modelkit.inventory import select, sort_models
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        models = fetch(api)
    models = sort_models(select(models, patterns=patterns or (), family=family, quantization=quantization),
                         sort, reverse=reverse)
    if json:
        print_json(models)
    else:
        console.print(render(models))


def list_cmd(
    patterns: PatternsArg = None,
    sort: Annotated[ListSort, typer.Option("--sort", "-s", help="name (A→Z), size (largest first) or "
                                                               "modified (newest first).")] = ListSort.modified,
    reverse: ReverseOpt = False,
    family: FamilyOpt = None,
    quantization: QuantOpt = None,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """List the models on the server (like `ollama list`), sorted and filtered."""
    from modelkit.inventory import list_models

    _print_models(list_models, render_list, patterns, family, quantization, sort.value, reverse, host, json)


def ps_cmd(
    patterns: PatternsArg = None,
    sort: Annotated[PsSort, typer.Option("--sort", "-s", help="name (A→Z), size (largest first) or "
                                                             "until (unloads soonest first).")] = PsSort.name,
    reverse: ReverseOpt = False,
    family: FamilyOpt = None,
    quantization: QuantOpt = None,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """List the models loaded in memory (like `ollama ps`): CPU/GPU split, context, expiry."""
    from modelkit.inventory import running_models

    _print_models(running_models, render_ps, patterns, family, quantization, sort.value, reverse, host, json)


# -- show / rm / cp -----------------------------------------------------------------------------


def show_cmd(
    name: Annotated[str, typer.Argument(help="Model name.", show_default=False)],
    modelfile: Annotated[bool, typer.Option("--modelfile", help="Print only the Modelfile.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Everything: full template and license, "
                                                                  "tokenizer arrays, tensors.")] = False,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show a model's details, parameters, system prompt, template, license and GGUF metadata."""
    from modelkit.model_details import show_model
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        details = show_model(api, name, verbose=verbose)
    if json:
        print_json(details)
    elif modelfile:
        console.out(details.modelfile, end="" if details.modelfile.endswith("\n") else "\n", highlight=False)
    else:
        console.print(render_show(details, verbose=verbose))


def _expand(api: Any, names: Sequence[str]) -> list[str]:
    """Names as given, globs expanded against the server's list; a missing name is an error."""
    from modelkit.errors import ModelkitError, ModelNotFound
    from modelkit.inventory import list_models, name_matches
    from modelkit.names import with_tag

    have = [m.name for m in list_models(api)]
    out: list[str] = []
    for n in names:
        if set("*?[") & set(n):
            matched = [h for h in have if name_matches(h, n)]
            if not matched:
                raise ModelkitError(f"no model on {api.host} matches '{n}'", hint="`modelkit list` shows the models")
            out += [m for m in matched if m not in out]
        else:
            full = with_tag(n)
            if full not in have and n not in have:
                raise ModelNotFound(n, api.host)
            if full not in out:
                out.append(full if full in have else n)
    return out


def rm_cmd(
    names: Annotated[list[str], typer.Argument(help="Models to remove; globs (`test-*`) match several.",
                                               show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """Remove models from the server (asks first unless --yes)."""
    import sys

    from modelkit.errors import UsageError
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        targets = _expand(api, names)
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(f"not removing {', '.join(targets)} without confirmation (stdin is not a terminal)",
                                 hint="pass --yes")
            listing = "\n".join(f"  {t}" for t in targets)
            err_console.print(f"Remove from {api.host}:\n{listing}", markup=False, highlight=False)
            if not typer.confirm(f"Remove {len(targets)} model{'s' if len(targets) != 1 else ''}?", default=False,
                                 err=True):
                raise UsageError("nothing removed", hint="pass --yes to skip the question", exit_code=1)
        for t in targets:
            api.delete(t)
            if not json:
                console.print(f"deleted '{t}'", markup=False, highlight=False)
    if json:
        print_json({"removed": targets, "host": api.host})


def cp_cmd(
    source: Annotated[str, typer.Argument(help="Existing model.", show_default=False)],
    destination: Annotated[str, typer.Argument(help="New name.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace DESTINATION if it exists.")] = False,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """Copy a model to a new name (no data is copied: both names share the layers)."""
    from modelkit.errors import ModelkitError, ModelNotFound
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api:
        if not api.exists(source):
            raise ModelNotFound(source, api.host)
        if not force and api.exists(destination):
            raise ModelkitError(f"'{destination}' already exists on {api.host}", hint="pass --force to replace it")
        api.copy(source, destination)
    if json:
        print_json({"source": source, "destination": destination, "host": api.host})
    else:
        console.print(f"copied '{source}' to '{destination}'", markup=False, highlight=False)

