"""What ``show`` tells about one model: the ``/api/show`` document, typed.

The server gives the parameters as Modelfile text (``stop "<|im_end|>"`` lines); we parse them
into typed values (ints, floats, bools, ``stop`` as a list) with the types Ollama uses. GGUF
metadata (``model_info``) is kept as the server sends it; without ``verbose`` the server leaves
long arrays (the tokenizer's) out as ``null``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from modelkit.parameters import PARAMETERS

if TYPE_CHECKING:
    from modelkit.ollama_api import Ollama


class ModelDetails(BaseModel):
    name: str
    modified_at: datetime | None = None
    format: str | None = None
    family: str | None = None
    families: list[str] | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    parent_model: str | None = None
    architecture: str | None = None
    parameter_count: int | None = None
    context_length: int | None = None
    embedding_length: int | None = None
    capabilities: list[str] = []
    parameters: dict[str, Any] = {}
    template: str | None = None
    system: str | None = None
    license: str | None = None
    messages: list[dict[str, Any]] = []
    modelfile: str = ""
    model_info: dict[str, Any] = {}
    projector_info: dict[str, Any] | None = None
    tensors: list[dict[str, Any]] | None = None  #: only with verbose


def parse_parameters(text: str | None) -> dict[str, Any]:
    """``/api/show``'s ``parameters`` text ("name   value" lines) → typed values.

    The 19 PARAMETERs get their type from ``modelkit.parameters`` (ints, floats, bools; ``stop``
    is always a list, one item per line); other names, and values that do not parse, keep their
    text. ``show``, the build's verification and the bench all read parameters through here.
    """
    out: dict[str, Any] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, raw = line.partition(" ")
        value = _unquote(raw.strip())
        kind = PARAMETERS.get(key)
        typed: Any = value
        try:
            if kind == "int":
                typed = int(value)
            elif kind == "float":
                typed = float(value)
            elif kind == "bool":
                typed = value.lower() in ("true", "1")
        except ValueError:
            typed = value
        if kind == "list":
            out.setdefault(key, []).append(typed)
        else:
            out[key] = typed
    return out


def _unquote(value: str) -> str:
    """The server prints strings Go-quoted (``%#v``): JSON reads nearly all of them."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            out = json.loads(value)
            if isinstance(out, str):
                return out
        except ValueError:
            pass
        return value[1:-1]
    return value


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def details_from_show(name: str, doc: dict[str, Any]) -> ModelDetails:
    d = doc.get("details") or {}
    info = doc.get("model_info") or {}
    arch = info.get("general.architecture")
    lic = doc.get("license")
    if isinstance(lic, list):
        lic = "\n".join(lic)
    return ModelDetails(
        name=name,
        modified_at=doc.get("modified_at"),
        format=d.get("format") or None,
        family=d.get("family") or None,
        families=d.get("families") or None,
        parameter_size=d.get("parameter_size") or None,
        quantization=d.get("quantization_level") or None,
        parent_model=d.get("parent_model") or None,
        architecture=arch,
        parameter_count=_int(info.get("general.parameter_count")),
        context_length=_int(info.get(f"{arch}.context_length")) if arch else None,
        embedding_length=_int(info.get(f"{arch}.embedding_length")) if arch else None,
        capabilities=list(doc.get("capabilities") or []),
        parameters=parse_parameters(doc.get("parameters")),
        template=doc.get("template") or None,
        system=doc.get("system") or None,
        license=lic or None,
        messages=list(doc.get("messages") or []),
        modelfile=doc.get("modelfile") or "",
        model_info=info,
        projector_info=doc.get("projector_info") or None,
        tensors=doc.get("tensors") or None,
    )


def show_model(api: Ollama, name: str, *, verbose: bool = False) -> ModelDetails:
    """``/api/show`` for ``name``; tensors (hundreds of rows) only with ``verbose``."""
    details = details_from_show(name, api.show(name, verbose=verbose))
    if not verbose:
        details.tensors = None
    return details
