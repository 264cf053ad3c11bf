"""Inspecting weights without a server: what lint needs to know about FROM/ADAPTER.

* ``inspect_safetensors_dir`` (here): ``config.json`` architecture against what Ollama v0.11.4
  converts, a tokenizer present, shards complete per ``model.safetensors.index.json``, no
  unresolved git-lfs pointers. ``Problem`` is what every inspection reports.
* ``modelkit.gguf_header.inspect_gguf``: a GGUF's header, never its tensor data.
* ``modelkit.lora_adapters``: ``inspect_adapter`` / ``adapter_problems`` — a GGUF LoRA or a PEFT
  directory, checked against the FROM weights.

Every name of the three stays importable from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from modelkit.gguf_header import GGUF_MAGIC, GGUFError, GGUFInfo, inspect_gguf, is_gguf
from modelkit.localfiles import is_lfs_pointer

#: names that live in modelkit.lora_adapters, still importable from here (resolved on first use:
#: lora_adapters imports ``Problem`` from this module)
_ADAPTER_NAMES = frozenset({"NO_LORA_ARCHS", "PEFT_ARCHS", "AdapterInfo", "adapter_problems", "inspect_adapter"})
__all__ = ["IMPORTABLE", "GGUFError", "GGUFInfo", "GGUF_MAGIC", "Problem", "SafetensorsInfo", "Severity",
           "inspect_gguf", "inspect_safetensors_dir", "is_gguf", *sorted(_ADAPTER_NAMES)]


#: safetensors ``architectures[0]`` → the GGUF architecture Ollama v0.11.4 converts it to
IMPORTABLE: dict[str, str] = {
    "LlamaForCausalLM": "llama", "MixtralForCausalLM": "llama", "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2", "Gemma3ForCausalLM": "gemma3", "Gemma3ForConditionalGeneration": "gemma3",
    "Gemma3nForConditionalGeneration": "gemma3n", "Phi3ForCausalLM": "phi3", "Qwen2ForCausalLM": "qwen2",
    "Qwen2_5_VLForConditionalGeneration": "qwen25vl", "MllamaForConditionalGeneration": "mllama",
    "Llama4ForConditionalGeneration": "llama4", "Mistral3ForConditionalGeneration": "mistral3",
    "CohereForCausalLM": "command-r", "GptOssForCausalLM": "gptoss", "BertModel": "bert",
}

Severity = Literal["error", "warning", "info"]


@dataclass
class Problem:
    severity: Severity
    message: str
    hint: str | None = None
    code: str = "weights"


# -- safetensors directories -----------------------------------------------------------------

@dataclass
class SafetensorsInfo:
    path: Path
    architecture: str | None  #: config.json architectures[0]
    gguf_architecture: str | None  #: what Ollama converts it to (None: not importable)
    tokenizer: str | None
    shards: list[str]
    problems: list[Problem] = field(default_factory=list)



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
        if is_lfs_pointer(p):
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


def __getattr__(name: str) -> Any:
    if name in _ADAPTER_NAMES:
        from modelkit import lora_adapters

        return getattr(lora_adapters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
