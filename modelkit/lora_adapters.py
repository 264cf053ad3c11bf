"""LoRA adapters, checked without a server: a GGUF LoRA (``general.type = adapter``) or a PEFT
directory (``adapter_config.json`` with an integer ``lora_alpha``), and whether it fits the FROM
weights: same architecture, one the server applies LoRA to, tensors that exist in the base with
matching shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from modelkit.gguf_header import GGUFError, GGUFInfo, inspect_gguf, is_gguf
from modelkit.inspect_weights import Problem
from modelkit.localfiles import is_lfs_pointer

#: run by Ollama's own engine at v0.11.4, which fails with "loras are not yet implemented"
NO_LORA_ARCHS = frozenset({"gemma3", "gemma3n", "mistral3", "llama4", "mllama", "qwen25vl", "gptoss"})
#: safetensors (PEFT) adapters convert only onto these (convert.ConvertAdapter)
PEFT_ARCHS = frozenset({"llama", "gemma2"})


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
        if is_lfs_pointer(p):
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
