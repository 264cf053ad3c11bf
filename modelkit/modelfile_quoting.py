"""Writing Modelfile values: ``quote`` gives the shortest spelling that the ollama CLI v0.11.4
reads back unchanged (round-trip stable); a value no quoting can carry raises
``UnrepresentableValue``.
"""

from __future__ import annotations

import unicodedata

from modelkit.errors import UsageError
from modelkit.modelfile_parser import WHITESPACE, is_newline, is_print, unquote


class UnrepresentableValue(UsageError):
    """A value the Modelfile syntax cannot carry unchanged."""


def _ends_value(text: str, end: int) -> bool:
    """Would the CLI end a value whose buffer is ``text[:end]`` (it checks at every newline)?"""
    j = end
    while j > 0 and text[j - 1] in WHITESPACE:
        j -= 1
    if text[:3] == '"""':
        return j >= 6 and text[j - 3:j] == '"""'
    if text[:1] == '"':
        return j >= 2 and text[j - 1] == '"'
    return True


def _reads_back(candidate: str, value: str) -> bool:
    for i, c in enumerate(candidate):
        if is_newline(c) and _ends_value(candidate, i):
            return False
    return unquote(candidate.strip(WHITESPACE)) == (value, True)


def describe_char(c: str) -> str:
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" {name}" if name else "")


def quote(value: str) -> str:
    """The shortest Modelfile spelling of ``value`` that the CLI reads back unchanged.

    Plain when that is safe; else ``"…"``; else ``\"\"\"…\"\"\"``. Raises ``UnrepresentableValue``
    for characters the parser drops (controls, format characters, non-ASCII spaces) and for
    the rare texts neither quoting can delimit (a line ending in ``"`` *and* one in ``\"\"\"``).
    """
    for c in value:
        if not (is_print(c) or c in WHITESPACE):
            raise UnrepresentableValue(
                f"the value contains {describe_char(c)}, which Ollama's Modelfile parser drops",
                hint="remove or replace that character")
    if value and value == value.strip(" \t") and "\n" not in value and "\r" not in value and value[0] != '"':
        return value
    for mark in ('"', '"""'):
        candidate = mark + value + mark
        if _reads_back(candidate, value):
            return candidate
    raise UnrepresentableValue(
        "the value cannot be written in a Modelfile: a line ends with '\"' and another with '\"\"\"', "
        "so neither quoting closes in the right place",
        hint="add a space or character after the quote at the end of one of those lines")
