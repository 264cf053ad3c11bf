"""The 19 Modelfile PARAMETERs of Ollama v0.11.4 and how the ollama CLI types their values.

The CLI turns ``PARAMETER name value`` into a typed value with ``api.FormatParams``: Go's
``strconv.ParseInt(v, 10, 64)`` for ints, ``strconv.ParseFloat(v, 32)`` (then ``float32``) for
floats, ``strconv.ParseBool`` for bools; ``stop`` is a list that repeated lines extend. The
functions here reproduce those Go parsers exactly (underscores, hex floats, float32 rounding,
range errors), so that what modelkit sends is what ``ollama create`` would send.
"""

from __future__ import annotations

import math
import re
import struct
from fractions import Fraction
from typing import Literal

ParamType = Literal["int", "float", "bool", "list"]

#: name → type, in the order of api.Options (Runner first).
PARAMETERS: dict[str, ParamType] = {
    "num_ctx": "int",
    "num_batch": "int",
    "num_gpu": "int",
    "main_gpu": "int",
    "use_mmap": "bool",
    "num_thread": "int",
    "num_keep": "int",
    "seed": "int",
    "num_predict": "int",
    "top_k": "int",
    "top_p": "float",
    "min_p": "float",
    "typical_p": "float",
    "repeat_last_n": "int",
    "temperature": "float",
    "repeat_penalty": "float",
    "presence_penalty": "float",
    "frequency_penalty": "float",
    "stop": "list",
}

#: The CLI prints "warning: parameter X is deprecated" and drops these.
DEPRECATED: tuple[str, ...] = (
    "penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only",
    "use_mlock", "mirostat", "mirostat_tau", "mirostat_eta",
)

ParamValue = int | float | bool | str


class ParamValueError(ValueError):
    """A value the CLI rejects; ``str(e)`` is the CLI's own message."""


_INT = re.compile(r"[+-]?[0-9]+\Z")
_DEC = re.compile(r"[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?\Z")
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9][0-9_]*\Z")
_F32_MAX = Fraction(struct.unpack("<f", b"\xff\xff\x7f\x7f")[0])
_F32_OVERFLOW = _F32_MAX + Fraction(2) ** 103  # half an ulp above the largest float32


def go_parse_int(s: str) -> int:
    """``strconv.ParseInt(s, 10, 64)``."""
    if not _INT.match(s):
        raise ParamValueError(f"invalid int value [{s}]")
    value = int(s)
    if not -(2**63) <= value < 2**63:
        raise ParamValueError(f"invalid int value [{s}]")
    return value


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def go_parse_bool(s: str) -> bool:
    """``strconv.ParseBool``."""
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ParamValueError(f"invalid bool value [{s}]")


def _underscores_ok(s: str) -> bool:
    """Go's ``underscoreOK``: an underscore only between digits (or after a base prefix)."""
    if s[:1] in "+-":
        s = s[1:]
    saw, i, hexa = "^", 0, False
    if len(s) >= 2 and s[0] == "0" and s[1] in "xXbBoO":
        i, saw, hexa = 2, "0", s[1] in "xX"
    for c in s[i:]:
        if c.isdigit() or (hexa and c in "abcdefABCDEF"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _special(s: str) -> float | None:
    low = s.lower()
    if low in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low == "nan":
        return math.nan
    return None


def _f32(x: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _f32_neighbours(x: float) -> list[float]:
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    out = [x]
    for b in (bits - 1, bits + 1):
        if 0 <= b < 0x7F800000 or 0x80000000 <= b < 0xFF800000:
            out.append(struct.unpack("<f", struct.pack("<I", b))[0])
    return out


def _round_f32(exact: Fraction) -> float:
    """Round an exact rational to the nearest float32 (ties to even), like Go's ParseFloat(…, 32)."""
    if abs(exact) >= _F32_OVERFLOW:
        raise OverflowError
    approx = _f32(float(exact)) if abs(exact) <= _F32_MAX else math.copysign(float(_F32_MAX), exact)
    best = min(
        _f32_neighbours(approx),
        key=lambda c: (abs(Fraction(c) - exact), struct.unpack("<I", struct.pack("<f", c))[0] & 1),
    )
    return best


def go_parse_float32(s: str) -> float:
    """``strconv.ParseFloat(s, 32)`` as a Python float holding the float32 value."""
    special = _special(s)
    if special is not None:
        return special
    if "_" in s and not _underscores_ok(s):
        raise ParamValueError(f"invalid float value [{s}]")
    clean = s.replace("_", "")
    try:
        if _DEC.match(s) and any(c.isdigit() for c in clean.split("e")[0].split("E")[0]):
            exact = Fraction(clean)
        elif _HEX.match(s):
            exact = Fraction(float.fromhex(clean))
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise ParamValueError(f"invalid float value [{s}]") from None
    try:
        return _round_f32(exact)
    except OverflowError:
        raise ParamValueError(f"invalid float value [{s}]") from None


def shortest_f32(x: float) -> str:
    """The shortest decimal digits that read back as the same float32 (Go's JSON encoder's choice)."""
    if x == 0:
        return "0"
    for precision in range(1, 10):
        text = f"{x:.{precision}g}"
        if _f32(float(text)) == x:
            return text
    return f"{x:.9g}"


def wire_float(x: float) -> float:
    """The float the server receives for a float32 parameter (Go marshals float32 shortest)."""
    return float(shortest_f32(x)) if math.isfinite(x) else x


def convert(name: str, raw: str) -> ParamValue:
    """Type one PARAMETER value like the CLI. Raises ParamValueError with the CLI's message."""
    kind = PARAMETERS.get(name)
    if kind is None:
        raise ParamValueError(f"unknown parameter '{name}'")
    if kind == "int":
        return go_parse_int(raw)
    if kind == "bool":
        return go_parse_bool(raw)
    if kind == "float":
        value = go_parse_float32(raw)
        if not math.isfinite(value):
            raise ParamValueError(f"json: unsupported value: {_go_float_name(value)}")
        return wire_float(value)
    return raw


def _go_float_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def format_value(value: ParamValue) -> str:
    """Canonical Modelfile text for a typed value (before quoting)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(float(shortest_f32(_f32(value)))) if math.isfinite(value) else repr(value)
    return value


def expected_type(name: str) -> str:
    kind = PARAMETERS[name]
    return {"int": "an integer", "float": "a number", "bool": "true or false", "list": "a string"}[kind]
