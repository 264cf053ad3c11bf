"""What a FROM or ADAPTER value points at, and which local files that means.

The rules are the ollama CLI's (``parser.go`` at v0.11.4): a value that is an absolute path,
starts with ``~`` or, relative to the Modelfile's directory, names an existing file or
directory is a path; anything else is an Ollama model name. ``hf://…`` is modelkit's own:
resolved through ``modelkit.hub`` into huggingface-hub's cache, then treated as a path.

A directory contributes the files ``ollama create`` would upload from it (``filesForModel``):
the weights (``*.safetensors``, else ``pytorch_model*.bin``, ``consolidated*.pth``, ``*.gguf``,
``*.bin``), every ``*.json`` (also one level down) and ``tokenizer.model`` when there is no
``tokenizer.json`` (the same rules as ``modelkit.localfiles.files_for_model``). Files are named
by their path relative to the directory *without* resolving symlinks: a Hugging Face snapshot
is a directory of symlinks into the hub's blob store.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelkit.errors import UsageError
from modelkit.gguf_header import is_gguf

SourceKind = Literal["gguf", "safetensors", "model"]

#: in order: the first pattern that matches anything decides the weight files of a directory
_WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin", "consolidated*.pth", "*.gguf", "*.bin")


@dataclass
class Source:
    """A resolved FROM or ADAPTER value."""

    value: str  #: as written in the Modelfile
    kind: SourceKind
    path: Path | None = None  #: the file or directory (None for a model name)
    files: dict[str, Path] = field(default_factory=dict)  #: name sent to the server → local file
    model: str | None = None  #: for kind "model"

    def describe(self) -> str:
        if self.kind == "model":
            return f"model {self.model}"
        what = "GGUF file" if self.kind == "gguf" else "safetensors directory"
        return f"{what} {self.path}"


def expand(value: str, base_dir: Path) -> Path:
    """The path the ollama CLI would try for ``value`` (absolute, ``~``/``~user``, or relative to ``base_dir``)."""
    if value.startswith("~"):
        return Path(os.path.abspath(os.path.expanduser(value)))
    return Path(os.path.abspath(os.path.join(base_dir, value)))


def resolve_source(value: str, base_dir: Path, *, adapter: bool = False,
                   hf_download: Callable[[str], Path] | None = None) -> Source:
    """Resolve one FROM (``adapter=False``) or ADAPTER value."""
    value = value.strip()
    what = "ADAPTER" if adapter else "FROM"
    if value.startswith("hf://"):
        if hf_download is None:
            from modelkit.hub import resolve_hf

            hf_download = resolve_hf
        path = hf_download(value)
    else:
        path = expand(value, base_dir)
        if not path.exists():
            if adapter:
                raise UsageError(f"ADAPTER {value}: no such file or directory ({path})",
                                 hint="ADAPTER takes a GGUF LoRA file or a PEFT safetensors directory")
            return Source(value=value, kind="model", model=value)
    path = path.resolve()
    if path.is_file():
        if not is_gguf(path):
            raise UsageError(f"{what} {value}: {path.name} is not a GGUF file",
                             hint="point at a .gguf file, or at the directory of a safetensors model/adapter")
        return Source(value=value, kind="gguf", path=path, files={path.name: path})
    if path.is_dir():
        files = directory_files(path)
        weights = [n for n in files if n.endswith((".safetensors", ".gguf", ".bin"))]
        if not weights:
            raise UsageError(f"{what} {value}: no weights in {path}",
                             hint="expected model*.safetensors, adapter_model.safetensors or a .gguf file")
        if any(n.endswith(".gguf") for n in weights):
            if len(files) > 1:
                raise UsageError(f"{what} {value}: a directory holding a .gguf and other files is not importable",
                                 hint="point FROM at the .gguf file itself")
            return Source(value=value, kind="gguf", path=path, files=files)
        if adapter and not (path / "adapter_config.json").is_file():
            raise UsageError(f"ADAPTER {value}: {path} has no adapter_config.json",
                             hint="a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors")
        if not adapter and not (path / "config.json").is_file():
            raise UsageError(f"FROM {value}: {path} has no config.json",
                             hint="a safetensors model directory holds config.json, tokenizer.json and *.safetensors")
        return Source(value=value, kind="safetensors", path=path, files=files)
    raise UsageError(f"{what} {value}: {path} is neither a file nor a directory")


def directory_files(path: Path) -> dict[str, Path]:
    """The files ``ollama create`` sends from a model/adapter directory, by relative POSIX name."""
    found: list[Path] = []
    for pattern in _WEIGHT_GLOBS:
        matches = sorted(p for p in path.glob(pattern) if p.is_file())
        if matches:
            found += matches
            break
    found += sorted(p for p in path.glob("*.json") if p.is_file())
    found += sorted(p for p in path.glob("*/*.json") if p.is_file())
    if not any(p.name == "tokenizer.json" for p in found):
        tok = path / "tokenizer.model"
        found += [tok] if tok.is_file() else sorted(p for p in path.glob("*/tokenizer.model") if p.is_file())
    out: dict[str, Path] = {}
    for p in found:
        out[p.relative_to(path).as_posix()] = p
    return dict(sorted(out.items()))
