"""Inspecting weights and adapters without a server: what lint needs to know about FROM/ADAPTER.

* ``inspect_gguf`` reads a GGUF's header — key/values and tensor infos — and never the
  tensor data: arrays (the 49k-token vocabulary…) are skipped, only their length is kept.
  Constants (value types, file types) come from the ``gguf`` package; ``gguf.GGUFReader``
  itself is not used because it materialises every array (seconds on a 98 MB model).
* ``inspect_safetensors_dir``: ``config.json`` architecture against what Ollama v0.11.4
  converts, a tokenizer present, shards complete per ``model.safetensors.index.json``, no
  unresolved git-lfs pointers.
* ``inspect_adapter`` / ``adapter_problems``: a GGUF LoRA (``general.type = adapter``) or a
  PEFT directory (``adapter_config.json`` with an integer ``lora_alpha``), checked against
  the FROM weights: same architecture, one the server applies LoRA to, tensors that exist in
  the base with matching shapes.
"""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

GGUF_MAGIC = b"GGUF"

#: safetensors ``architectures[0]`` → the GGUF architecture Ollama v0.11.4 converts it to
IMPORTABLE: dict[str, str] = {
    "LlamaForCausalLM": "llama", "MixtralForCausalLM": "llama", "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2", "Gemma3ForCausalLM": "gemma3", "Gemma3ForConditionalGeneration": "gemma3",
    "Gemma3nForConditionalGeneration": "gemma3n", "Phi3ForCausalLM": "phi3", "Qwen2ForCausalLM": "qwen2",
    "Qwen2_5_VLForConditionalGeneration": "qwen25vl", "MllamaForConditionalGeneration": "mllama",
    "Llama4ForConditionalGeneration": "llama4", "Mistral3ForConditionalGeneration": "mistral3",
    "CohereForCausalLM": "command-r", "GptOssForCausalLM": "gptoss", "BertModel": "bert",
}
#: run by Ollama's own engine at v0.11.4, which fails with "loras are not yet implemented"
NO_LORA_ARCHS = frozenset({"gemma3", "gemma3n", "mistral3", "llama4", "mllama", "qwen25vl", "gptoss"})
#: safetensors (PEFT) adapters convert only onto these (convert.ConvertAdapter)
PEFT_ARCHS = frozenset({"llama", "gemma2"})

Severity = Literal["error", "warning", "info"]


@dataclass
class Problem:
    severity: Severity
    message: str
    hint: str | None = None
    code: str = "weights"


# -- GGUF ------------------------------------------------------------------------------------

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


# -- safetensors directories -----------------------------------------------------------------

@dataclass
class SafetensorsInfo:
    path: Path
    architecture: str | None  #: config.json architectures[0]
    gguf_architecture: str | None  #: what Ollama converts it to (None: not importable)
    tokenizer: str | None
    shards: list[str]
    problems: list[Problem] = field(default_factory=list)


def _lfs(path: Path) -> bool:
    from modelkit.localfiles import is_lfs_pointer

    return is_lfs_pointer(path)


def inspect_safetensors_dir(path: Path) -> SafetensorsInfo:
    info = SafetensorsInfo(path=path, architecture=None, gguf_architecture=None, tokenizer=None, shards=[])
    problems = info.problems
    config = path / "config.json"
    if not config.is_file():
        problems.append(Problem("error", f"{path} has no config.json",
                                "a safetensors model directory holds config.json, a tokenizer and *.safetensors"))
    else:
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
            archs = data.get("architectures") or []
            info.architecture = archs[0] if archs else None
        except (ValueError, OSError, AttributeError) as e:
            problems.append(Problem("error", f"{config}: not valid JSON ({e})"))
        if info.architecture is None and not problems:
            problems.append(Problem("error", f"{config}: no architectures", "Ollama reports 'unknown architecture'"))
        elif info.architecture is not None:
            info.gguf_architecture = IMPORTABLE.get(info.architecture)
            if info.gguf_architecture is None:
                problems.append(Problem(
                    "error", f"architecture {info.architecture} cannot be imported by Ollama 0.11.4",
                    "importable: " + ", ".join(IMPORTABLE) + "; or convert to GGUF with llama.cpp first"))
    for name in ("tokenizer.json", "tokenizer.model"):
        if (path / name).is_file():
            info.tokenizer = name
            break
    else:
        nested = sorted(path.glob("*/tokenizer.model"))
        if nested:
            info.tokenizer = nested[0].relative_to(path).as_posix()
        else:
            problems.append(Problem("error", f"{path} has no tokenizer.json or tokenizer.model",
                                    "copy the tokenizer files from the model repository"))
    shards = sorted(p for p in path.glob("*.safetensors"))
    info.shards = [p.name for p in shards]
    if not shards:
        problems.append(Problem("error", f"{path} holds no *.safetensors files"))
    for p in shards:
        if _lfs(p):
            problems.append(Problem("error", f"{p.name} is a git-lfs pointer, not the weights",
                                    "run `git lfs pull` in the model directory"))
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            wanted = sorted(set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values()))
        except (ValueError, OSError, AttributeError) as e:
            problems.append(Problem("error", f"{index.name}: not valid JSON ({e})"))
        else:
            missing = [w for w in wanted if not (path / w).is_file()]
            if missing:
                problems.append(Problem("error", f"{len(missing)} of {len(wanted)} shards listed in {index.name} "
                                                 f"are missing: {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}",
                                        "the download is incomplete"))
    return info


# -- adapters --------------------------------------------------------------------------------

@dataclass
class AdapterInfo:
    path: Path
    kind: Literal["gguf", "peft", "unknown"]
    architecture: str | None = None  #: GGUF adapters only (PEFT adapters take the base's)
    lora_alpha: Any = None
    gguf: GGUFInfo | None = None
    problems: list[Problem] = field(default_factory=list)


def inspect_adapter(path: Path) -> AdapterInfo:
    if path.is_file():
        if not is_gguf(path):
            return AdapterInfo(path, "unknown", problems=[Problem(
                "error", f"{path.name} is neither a GGUF LoRA nor a PEFT directory",
                "ADAPTER takes a GGUF LoRA file or a directory with adapter_config.json and adapter_model.safetensors")])
        try:
            g = inspect_gguf(path, tensors=True)
        except GGUFError as e:
            return AdapterInfo(path, "gguf", problems=[Problem("error", str(e))])
        info = AdapterInfo(path, "gguf", architecture=g.architecture, lora_alpha=g.kv.get("adapter.lora.alpha"), gguf=g)
        if not g.is_adapter:
            info.problems.append(Problem("error", f"{path.name} is a model (general.type = {g.general_type}), not an adapter",
                                         "use it with FROM; ADAPTER takes a LoRA (general.type = adapter)"))
        elif g.kv.get("adapter.type") != "lora":
            info.problems.append(Problem("error", f"{path.name}: adapter.type is {g.kv.get('adapter.type')!r}, "
                                                  "llama.cpp loads only 'lora'"))
        return info
    info = AdapterInfo(path, "peft")
    config = path / "adapter_config.json"
    if not config.is_file():
        info.kind = "unknown"
        info.problems.append(Problem("error", f"{path} has no adapter_config.json",
                                     "a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors"))
        return info
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        info.problems.append(Problem("error", f"{config.name}: not valid JSON ({e})"))
        return info
    alpha = data.get("lora_alpha") if isinstance(data, dict) else None
    info.lora_alpha = alpha
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, int) or not 0 <= alpha < 2**32):
        info.problems.append(Problem("error", f"{config.name}: lora_alpha is {alpha!r}; Ollama needs an integer",
                                     f"write \"lora_alpha\": {int(alpha) if isinstance(alpha, float) else 16}"))
    if not sorted(path.glob("*.safetensors")):
        info.problems.append(Problem("error", f"{path} has no adapter_model.safetensors"))
    for p in path.glob("*.safetensors"):
        if _lfs(p):
            info.problems.append(Problem("error", f"{p.name} is a git-lfs pointer", "run `git lfs pull`"))
    return info


def adapter_problems(adapter: AdapterInfo, base_arch: str | None, base: GGUFInfo | None = None) -> list[Problem]:
    """Is ``adapter`` usable on a base of architecture ``base_arch`` (and, when known, these tensors)?"""
    out: list[Problem] = []
    if base_arch is None:
        out.append(Problem("info", "the base architecture is unknown offline (FROM is a model name), "
                                   "so the adapter is not checked against it", code="adapter"))
        return out
    if base_arch in NO_LORA_ARCHS:
        out.append(Problem("error", f"Ollama 0.11.4 runs {base_arch} models on its own engine, which fails with "
                                    "'loras are not yet implemented' when the model loads",
                           "use a base the llama.cpp runner serves (llama, gemma2, qwen2, phi3…), or merge the LoRA",
                           code="adapter"))
    if adapter.kind == "peft" and base_arch not in PEFT_ARCHS:
        out.append(Problem("error", f"a PEFT (safetensors) adapter converts only onto llama or gemma2, not {base_arch}",
                           "convert the adapter to GGUF with llama.cpp's convert_lora_to_gguf.py", code="adapter"))
    if adapter.kind == "gguf" and adapter.architecture and adapter.architecture != base_arch:
        out.append(Problem("error", f"the adapter is for {adapter.architecture}, the FROM weights are {base_arch} "
                                    "(llama.cpp: 'model arch and LoRA arch mismatch')",
                           "use an adapter trained for this base model", code="adapter"))
    if adapter.gguf is not None and base is not None and base.tensor_shapes and not out:
        out += _lora_tensor_problems(adapter.gguf, base)
    return out


def _lora_tensor_problems(adapter: GGUFInfo, base: GGUFInfo) -> list[Problem]:
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in adapter.tensor_shapes.items():
        for suffix in (".lora_a", ".lora_b"):
            if name.endswith(suffix):
                pairs.setdefault(name[: -len(suffix)], {})[suffix[-1]] = shape
    for target, ab in sorted(pairs.items()):
        hint = "maybe the adapter was made for another base model"
        if set(ab) != {"a", "b"}:
            return [Problem("error", f"LoRA tensor pair for {target!r} is missing one component", code="adapter")]
        shape = base.tensor_shapes.get(target)
        if shape is None:
            return [Problem("error", f"LoRA tensor {target!r} does not exist in the base model", hint, code="adapter")]
        a, b = ab["a"], ab["b"]
        if target.endswith("token_embd.weight"):
            ok = shape[0] == b[1] and shape[1] == a[1]
        else:
            ok = len(a) == 2 and len(b) == 2 and shape[0] == a[0] and shape[1] == b[1] and a[1] == b[0]
        if not ok:
            return [Problem("error", f"LoRA tensor {target!r} has shape a={a} b={b}, the base's is {shape}",
                            hint, code="adapter")]
    return []
