"""Reading a GGUF file's header — key/values and tensor infos — and never the tensor data.

Arrays (the 49k-token vocabulary…) are skipped, only their length is kept. Constants (value
types, file types) come from the ``gguf`` package; ``gguf.GGUFReader`` itself is not used
because it materialises every array (seconds on a 98 MB model).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GGUF_MAGIC = b"GGUF"


@dataclass
class GGUFInfo:
    path: Path
    size: int
    version: int
    kv: dict[str, Any]  #: scalar values; arrays as ``{"array": type, "length": n}`` (short ones in full)
    tensor_count: int
    parameter_count: int
    tensor_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  #: GGUF ne order
    header_size: int = 0  #: bytes up to the end of the tensor infos: all that was read

    @property
    def architecture(self) -> str | None:
        return self.kv.get("general.architecture")

    @property
    def general_type(self) -> str:
        return self.kv.get("general.type") or "model"

    @property
    def is_adapter(self) -> bool:
        return self.general_type == "adapter"

    def arch_key(self, key: str) -> Any:
        return self.kv.get(f"{self.architecture}.{key}")

    @property
    def context_length(self) -> int | None:
        return self.arch_key("context_length")

    @property
    def block_count(self) -> int | None:
        return self.arch_key("block_count")

    @property
    def file_type(self) -> str | None:
        ft = self.kv.get("general.file_type")
        if ft is None:
            return None
        import gguf

        try:
            return gguf.LlamaFileType(ft).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            return f"file type {ft}"

    @property
    def size_label(self) -> str:
        label = self.kv.get("general.size_label")
        if label:
            return str(label)
        n = self.parameter_count
        for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
            if n >= div:
                return f"{n / div:.3g}{unit}"
        return str(n)

    @property
    def has_chat_template(self) -> bool:
        return bool(self.kv.get("tokenizer.chat_template"))

    def summary(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "size": self.size, "gguf_version": self.version, "type": self.general_type,
            "architecture": self.architecture, "parameters": self.parameter_count, "size_label": self.size_label,
            "file_type": self.file_type, "context_length": self.context_length,
            "chat_template": self.has_chat_template, "tensors": self.tensor_count,
            **({"adapter_type": self.kv.get("adapter.type"), "lora_alpha": self.kv.get("adapter.lora.alpha")}
               if self.is_adapter else {}),
        }


class GGUFError(ValueError):
    pass


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAY = 64


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        return False


def inspect_gguf(path: Path, *, tensors: bool = False) -> GGUFInfo:
    """The header of a GGUF file; ``tensors=True`` also keeps every tensor's shape."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size < 24:
            raise GGUFError(f"{path.name} is too short to be a GGUF file ({size} bytes)")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _parse(mm, path, size, tensors)


def _parse(buf: Any, path: Path, size: int, keep_shapes: bool) -> GGUFInfo:
    if buf[:4] != GGUF_MAGIC:
        raise GGUFError(f"{path.name} is not a GGUF file (magic {bytes(buf[:4])!r}, expected b'GGUF')")
    (version,) = struct.unpack_from("<I", buf, 4)
    if version not in (1, 2, 3):
        raise GGUFError(f"{path.name}: unsupported GGUF version {version} (big-endian or corrupt?)")
    count_fmt = "<I" if version == 1 else "<Q"
    csize = struct.calcsize(count_fmt)
    pos = 8
    (n_tensors,) = struct.unpack_from(count_fmt, buf, pos)
    (n_kv,) = struct.unpack_from(count_fmt, buf, pos + csize)
    pos += 2 * csize

    def read_str(p: int) -> tuple[str, int]:
        (n,) = struct.unpack_from(count_fmt, buf, p)
        p += csize
        if p + n > size:
            raise GGUFError(f"{path.name}: truncated header")
        return bytes(buf[p:p + n]).decode("utf-8", errors="replace"), p + n

    def skip_str(p: int) -> int:
        (n,) = struct.unpack_from(count_fmt, buf, p)
        return p + csize + n

    def read_value(vtype: int, p: int) -> tuple[Any, int]:
        if vtype in _SCALARS:
            fmt = _SCALARS[vtype]
            return struct.unpack_from(fmt, buf, p)[0], p + struct.calcsize(fmt)
        if vtype == _STRING:
            return read_str(p)
        if vtype == _ARRAY:
            (etype,) = struct.unpack_from("<I", buf, p)
            (n,) = struct.unpack_from(count_fmt, buf, p + 4)
            p += 4 + csize
            keep = n <= _KEEP_ARRAY
            items = []
            if etype in _SCALARS:
                width = struct.calcsize(_SCALARS[etype])
                if keep:
                    items = list(struct.unpack_from("<" + _SCALARS[etype][1] * n, buf, p))
                p += width * n
            elif etype == _STRING:
                for _ in range(n):
                    if keep:
                        s, p = read_str(p)
                        items.append(s)
                    else:
                        p = skip_str(p)
            else:
                raise GGUFError(f"{path.name}: nested arrays are not supported")
            return (items if keep else {"array": etype, "length": n}), p
        raise GGUFError(f"{path.name}: unknown value type {vtype}")

    kv: dict[str, Any] = {}
    try:
        for _ in range(n_kv):
            key, pos = read_str(pos)
            (vtype,) = struct.unpack_from("<I", buf, pos)
            value, pos = read_value(vtype, pos + 4)
            kv[key] = value
        shapes: dict[str, tuple[int, ...]] = {}
        params = 0
        for _ in range(n_tensors):
            name, pos = read_str(pos)
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            dims = struct.unpack_from(f"<{n_dims}{count_fmt[1]}", buf, pos)
            pos += n_dims * csize + 4 + 8  # dims, ggml type, data offset
            count = 1
            for d in dims:
                count *= d
            params += count
            if keep_shapes:
                shapes[name] = tuple(int(d) for d in dims)
    except struct.error:
        raise GGUFError(f"{path.name}: truncated or corrupt GGUF header") from None
    return GGUFInfo(path=path, size=size, version=version, kv=kv, tensor_count=n_tensors,
                    parameter_count=params, tensor_shapes=shapes, header_size=pos)
