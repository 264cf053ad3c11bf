"""Local files behind FROM and ADAPTER, chosen the way the ollama CLI v0.11.4 chooses them.

* ``expand_path`` — ``parser.expandPath``: absolute, ``~``/``~user``, else relative to the
  Modelfile's directory (for modelkit: the project directory).
* ``resolve_from`` — a FROM value is a local path when that path exists, otherwise a model name.
* ``files_for_model`` — ``parser.filesForModel``: which files of a directory are uploaded
  (safetensors, else pytorch, else GGUF…, plus ``*.json`` and ``*/*.json``, plus
  ``tokenizer.model`` when there is no ``tokenizer.json``), with the CLI's content sniffing.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from modelkit.errors import UsageError


def expand_path(value: str, base_dir: Path | None) -> Path:
    if value.startswith(("/", "\\")) or os.path.isabs(value):
        return Path(os.path.abspath(value))
    if value.startswith("~"):
        if value == "~" or value.startswith("~/"):
            home = os.path.expanduser("~")
            rest = value[1:].lstrip("/")
        else:
            user, _, rest = value[1:].partition("/")
            try:
                home = pwd.getpwnam(user).pw_dir
            except KeyError:
                raise UsageError(f"failed to find user '{user}' for path {value}") from None
        return Path(os.path.abspath(os.path.join(home, rest)))
    return Path(os.path.abspath(os.path.join(base_dir or Path.cwd(), value)))


@dataclass(frozen=True)
class FromSource:
    value: str
    path: Path | None  # set when the value names an existing file or directory

    @property
    def is_local(self) -> bool:
        return self.path is not None


def resolve_from(value: str, base_dir: Path | None) -> FromSource:
    try:
        path = expand_path(value, base_dir)
    except UsageError:
        return FromSource(value, None)
    return FromSource(value, path if path.exists() else None)


def looks_like_path(value: str) -> bool:
    """A FROM value that was meant as a file (so a missing file is a mistake, not a model name)."""
    from modelkit.names import is_valid

    if value.startswith(("/", "./", "../", "~", "\\")) or value in (".", ".."):
        return True
    if value.lower().endswith((".gguf", ".bin", ".safetensors", ".pth")):
        return True
    return "/" in value and not is_valid(value)


# -- http.DetectContentType, the part filesForModel relies on --------------------------------

def _binary_byte(b: int) -> bool:
    return b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F


def content_type(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if any(_binary_byte(b) for b in head):
        return "application/octet-stream"
    return "text/plain"


def is_lfs_pointer(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(40).startswith(b"version https://git-lfs")
    except OSError:
        return False


class ModelFilesError(UsageError):
    pass


def _glob(directory: Path, pattern: str, ctype: str) -> list[Path]:
    matches = sorted(directory.glob(pattern))
    for m in matches:
        got = content_type(m)
        if got != ctype:
            raise ModelFilesError(f"invalid content type: expected {got} for {m}")
    return matches


def _glob_quiet(directory: Path, pattern: str, ctype: str) -> list[Path]:
    try:
        return _glob(directory, pattern, ctype)
    except ModelFilesError:
        return []


def files_for_model(directory: Path) -> list[Path]:
    """The files the CLI uploads for ``FROM <directory>`` (or ``ADAPTER <directory>``)."""
    files: list[Path] = []
    for pattern, ctype in (("*.safetensors", "application/octet-stream"),
                           ("pytorch_model*.bin", "application/zip"),
                           ("consolidated*.pth", "application/zip"),
                           ("*.gguf", "application/octet-stream"),
                           ("*.bin", "application/octet-stream")):
        found = _glob_quiet(directory, pattern, ctype)
        if found:
            files += found
            break
    else:
        raise ModelFilesError(
            f"no Modelfile or safetensors files found in {directory}",
            hint="a weights directory holds *.safetensors (or *.gguf) files; unresolved git-lfs pointers do not count")
    files += _glob(directory, "*.json", "text/plain")
    files += _glob(directory, "*/*.json", "text/plain")
    if not any(p.name == "tokenizer.json" for p in files):
        tokenizer = _glob_quiet(directory, "tokenizer.model", "application/octet-stream") or \
            _glob_quiet(directory, "*/tokenizer.model", "text/plain")
        files += tokenizer
    out = []
    root = directory.resolve()
    for f in files:
        real = f.resolve()
        if not real.is_relative_to(root):
            raise ModelFilesError(f"insecure path: {os.path.relpath(real, root)}",
                                  hint="a symlink in the weights directory points outside it")
        out.append(real)
    return out


def upload_paths(path: Path) -> list[Path]:
    """The local files behind an existing FROM/ADAPTER path: the file itself, or a directory's files."""
    return files_for_model(path) if path.is_dir() else [path.resolve()]
