"""Check with ``/api/show`` that the server's model is what was sent.

Compared: every PARAMETER that was sent (the server merges them over a FROM model's, so the
shown set may be larger; ``stop`` is compared as a list; shown values are read by
``modelkit.model_details.parse_parameters``), SYSTEM, TEMPLATE, MESSAGEs, the adapter layers
(one ``ADAPTER`` line per adapter sent; a GGUF adapter keeps its digest) and, with
``quantize``, the quantization level.
"""

from __future__ import annotations

import math
import re
from typing import Any

from modelkit.model_details import parse_parameters

_ADAPTER_LINE = re.compile(r"^ADAPTER\s+(\S+)", re.MULTILINE)


def _same(sent: Any, shown: Any) -> bool:
    if isinstance(sent, bool):
        return str(shown).lower() == str(sent).lower()
    if isinstance(sent, (int, float)):
        try:
            got = float(shown)
        except (TypeError, ValueError):
            return False
        return math.isclose(float(sent), got, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(sent, list):
        shown_list = shown if isinstance(shown, list) else [shown]
        return [str(s) for s in sent] == [str(s) for s in shown_list]
    return str(sent) == str(shown)


def verify(request: dict[str, Any], show: dict[str, Any]) -> list[str]:
    """Differences between the create ``request`` and the ``/api/show`` document (empty = verified)."""
    problems: list[str] = []
    params = parse_parameters(show.get("parameters"))
    for name, value in (request.get("parameters") or {}).items():
        if name not in params:
            problems.append(f"PARAMETER {name} missing")
        elif not _same(value, params[name]):
            problems.append(f"PARAMETER {name} is {params[name]!r}, sent {value!r}")
    for key in ("system", "template"):
        if key in request and (show.get(key) or "") != request[key]:
            problems.append(f"{key.upper()} differs from what was sent")
    if "messages" in request:
        shown = [(m.get("role"), m.get("content")) for m in show.get("messages") or []]
        sent = [(m.get("role"), m.get("content")) for m in request["messages"]]
        if shown[-len(sent):] != sent:
            problems.append("MESSAGEs differ from what was sent")
    adapters = request.get("adapters") or {}
    if adapters:
        lines = _ADAPTER_LINE.findall(show.get("modelfile") or "")
        if not lines:
            problems.append("no adapter layer in the model")
        # a GGUF adapter is stored as uploaded; a safetensors one is converted (new digest)
        gguf_sent = [d for name, d in adapters.items() if name.endswith(".gguf")]
        shown_digests = {line.rsplit("sha256-", 1)[-1] for line in lines}
        for d in gguf_sent:
            if d.split(":", 1)[-1] not in shown_digests:
                problems.append(f"adapter {d[:19]} is not among the model's adapter layers")
    if request.get("quantize"):
        level = str((show.get("details") or {}).get("quantization_level", ""))
        if level.upper() != str(request["quantize"]).upper():
            problems.append(f"quantization is {level or 'unknown'}, asked for {request['quantize']}")
    return problems
