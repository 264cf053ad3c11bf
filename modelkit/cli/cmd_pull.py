"""``modelkit pull``: a model into the server from a registry (``modelkit.pulling``), or
``hf://`` weights into the Hugging Face cache (``modelkit.hub``), with progress on stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from modelkit import humanize
from modelkit.cli.options import HostOpt, JsonOpt, ProgressChoice, ProgressOpt
from modelkit.cli.output import console, print_json

if TYPE_CHECKING:
    from modelkit.hub import HFDownload
    from modelkit.pulling import PullResult


def render_pull(result: PullResult) -> str:
    size = humanize.size(result.size) if result.size else "?"
    digest = (result.digest or "")[:12] or "?"
    resumed = ", resumed an interrupted pull" if result.resumed else ""
    return f"pulled {result.name} ({size}, id {digest}) in {humanize.duration(result.seconds)}{resumed}"


def render_hf(result: HFDownload) -> str:
    return result.path


def pull_cmd(
    name: Annotated[str, typer.Argument(help="A model name (`qwen3:0.6b`, `host:port/ns/name:tag`, "
                                             "`hf.co/owner/repo:Q4_K_M`) or `hf://owner/repo\\[/file]`.",
                                        show_default=False)],
    insecure: Annotated[bool, typer.Option("--insecure", help="Plain-http registry (no TLS).")] = False,
    include: Annotated[list[str] | None, typer.Option("--include", help="hf://owner/repo only: files to fetch "
                       "(glob, repeatable). Default: *.safetensors *.json tokenizer.model.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="hf://owner/repo only: files to skip "
                                                                       "(glob, repeatable).")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="hf:// only: branch, tag or commit "
                                                                   "(default main).")] = None,
    progress: ProgressOpt = ProgressChoice.auto,
    host: HostOpt = None,
    json: JsonOpt = False,
) -> None:
    """Pull a model into the server from a registry, or download hf:// weights into the Hugging Face cache.

    Registry pulls go through the server (/api/pull); run the same command again after an interruption and it continues where it stopped.

    hf:// downloads land in huggingface_hub's cache (HF_HOME, HF_HUB_OFFLINE honoured); the path is printed, and the same hf:// reference works as a weight source in modelkit.toml.
    """
    from modelkit.cli.progress import progress_view
    from modelkit.errors import ModelkitError, UsageError

    if name.startswith("hf://"):
        from modelkit import hub

        with progress_view(progress) as view:
            result = hub.download(name, include=include, exclude=exclude, revision=revision, on_progress=view)
        if json:
            print_json(result)
        else:
            console.out(render_hf(result), highlight=False)
        return
    if include or exclude or revision:
        raise UsageError("--include, --exclude and --revision apply to hf:// references only",
                         hint="an Ollama name takes its version from the tag: name:tag")
    from modelkit import pulling
    from modelkit.ollama_api import Ollama

    with Ollama(host) as api, progress_view(progress) as view:
        try:
            result = pulling.pull(api, name, insecure=insecure, on_progress=view)
        except KeyboardInterrupt:
            raise ModelkitError(f"pull of {name} interrupted", exit_code=130,
                                hint="run the same command again to continue; the server keeps what it downloaded") \
                from None
    if json:
        print_json(result)
    else:
        console.out(render_pull(result), highlight=False)
