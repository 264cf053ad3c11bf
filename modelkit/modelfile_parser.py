"""The Modelfile parser: a line-for-line port of the ollama CLI v0.11.4's rune-by-rune state
machine (``parser/parser.go``).

``parse_commands(text)`` reads the 7 case-insensitive instructions, values that run to the end
of the line (trimmed), ``"…"`` / ``\"\"\"…\"\"\"`` that strip one level of quotes and may span
lines, no escapes, ``#`` comments only where an instruction could start, "unexpected EOF",
"no FROM line". Errors are ``ModelfileSyntaxError`` (exit 2) with the line and the CLI's own
wording. The typed result is ``modelkit.modelfile.Modelfile``; the writer is
``modelkit.modelfile_quoting``.
"""

from __future__ import annotations

import codecs
import unicodedata

from pydantic import BaseModel

from modelkit.errors import UsageError

INSTRUCTIONS = ("from", "license", "template", "system", "adapter", "parameter", "message")
ROLES = ("system", "user", "assistant")

ERR_INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "parameter", or "message"'
)
ERR_INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'
ERR_NO_FROM = "no FROM line"
ERR_EOF = "unexpected EOF"


class ModelfileSyntaxError(UsageError):
    """The CLI's parser would reject the Modelfile. ``ollama_message`` is its exact error text."""

    def __init__(self, ollama_message: str, line: int | None, *, hint: str | None = None, source: str | None = None):
        where = f"{source or 'Modelfile'}" + (f":{line}" if line else "")
        super().__init__(f"{where}: {ollama_message}", hint=hint)
        self.ollama_message = ollama_message
        self.line = line


# -- characters ----------------------------------------------------------------------------

WHITESPACE = " \t\r\n"


def is_print(c: str) -> bool:
    """Go's ``strconv.IsPrint``: letters, marks, numbers, punctuation, symbols and ASCII space.

    Code points this Python's Unicode tables call unassigned (Cn) count as printable: Go's
    tables are newer (Unicode 15: new emoji, CJK extension H), and assigned-later is far more
    likely in real text than never-assigned. Noncharacters stay unprintable.
    """
    if c == " ":
        return True
    cat = unicodedata.category(c)
    if cat == "Cn":
        o = ord(c)
        return not (0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE)
    return cat[0] in "LMNPS"


def _is_space(c: str) -> bool:
    return c == " " or c == "\t"


def is_newline(c: str) -> bool:
    return c == "\r" or c == "\n"


def _is_alpha(c: str) -> bool:
    return "a" <= c <= "z" or "A" <= c <= "Z"


def unquote(s: str) -> tuple[str, bool]:
    """``parser.unquote``: strip one level of ``\"\"\"`` or ``\"``; (value, complete?)."""
    if s[:3] == '"""':
        if len(s) >= 6 and s[-3:] == '"""':
            return s[3:-3], True
        return "", False
    if s[:1] == '"':
        if len(s) >= 2 and s[-1] == '"':
            return s[1:-1], True
        return "", False
    return s, True


def _buffer_complete(buf: list[str]) -> bool:
    """``unquote(strings.TrimSpace(buf))`` succeeds — computed without joining the buffer."""
    i, n = 0, len(buf)
    while i < n and buf[i] in WHITESPACE:
        i += 1
    j = n
    while j > i and buf[j - 1] in WHITESPACE:
        j -= 1
    head = "".join(buf[i:min(i + 3, j)])
    if head == '"""':
        return j - i >= 6 and "".join(buf[j - 3:j]) == '"""'
    if head[:1] == '"':
        return j - i >= 2 and buf[j - 1] == '"'
    return True


def decode(data: bytes) -> str:
    """Bytes → text like ``unicode.BOMOverride(UTF8 decoder)``: honour a UTF-8/UTF-16 BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


# -- the state machine ---------------------------------------------------------------------

class Command(BaseModel):
    """One parsed instruction, as the CLI's ``parser.Command`` (FROM is named ``model``)."""

    name: str
    args: str
    line: int
    end_line: int


_NIL, _NAME, _VALUE, _PARAM, _MESSAGE, _COMMENT = range(6)
_EOF = object()


def _step(r: str, state: int) -> tuple[int, str, object]:
    """``parseRuneForState``: (next state, rune to keep or "", error)."""
    if state == _NIL:
        if r == "#":
            return _COMMENT, "", None
        if _is_space(r) or is_newline(r):
            return _NIL, "", None
        return _NAME, r, None
    if state == _NAME:
        if _is_alpha(r):
            return _NAME, r, None
        if _is_space(r):
            return _VALUE, "", None
        return _NIL, "", ERR_INVALID_COMMAND
    if state == _VALUE:
        if is_newline(r) or _is_space(r):
            return _NIL, r, None
        return _VALUE, r, None
    if state == _PARAM:
        if _is_alpha(r) or "0" <= r <= "9" or r == "_":
            return _PARAM, r, None
        if _is_space(r):
            return _VALUE, "", None
        return _NIL, "", _EOF
    if state == _MESSAGE:
        if _is_alpha(r):
            return _MESSAGE, r, None
        if _is_space(r):
            return _VALUE, "", None
        return _NIL, "", _EOF
    # comment
    return (_NIL if is_newline(r) else _COMMENT), "", None


_HINT_COMMAND = ("Modelfile instructions (Ollama 0.11.4) are FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE and "
                 "MESSAGE, each followed by a space and its value")


def parse_commands(text: str, *, source: str | None = None, require_from: bool = True) -> list[Command]:
    """Parse Modelfile text into commands exactly like ``parser.ParseFile``; raise on what it rejects."""
    if text.startswith("\ufeff"):
        text = text[1:]
    commands: list[Command] = []
    state, line, start = _NIL, 1, 1
    buf: list[str] = []
    name = role = ""
    n = len(text)

    def fail(msg: str, at: int | None, hint: str | None = None) -> ModelfileSyntaxError:
        return ModelfileSyntaxError(msg, at, hint=hint, source=source)

    for i, r in enumerate(text):
        here = line  # the line this rune is on (the CLI counts the newline first; \r\n is one line here)
        if r == "\n" or (r == "\r" and (i + 1 >= n or text[i + 1] != "\n")):
            line += 1
        nxt, keep, err = _step(r, state)
        if err is _EOF:
            what = "message role" if state == _MESSAGE else "parameter name"
            raise fail(f"{ERR_EOF}: {''.join(buf)}", here,
                       f"a {what} is letters{', digits and _' if state == _PARAM else ''}, then a space and the value")
        if err is not None:
            raise fail(str(err), here, _HINT_COMMAND)
        if nxt != state:
            if state == _NAME:
                word = "".join(buf)
                if word.lower() not in INSTRUCTIONS:
                    raise fail(ERR_INVALID_COMMAND, here, _HINT_COMMAND + f" (got {word!r})")
                low = word.lower()
                if low == "from":
                    name = "model"
                elif low == "parameter":
                    nxt = _PARAM
                elif low == "message":
                    nxt = _MESSAGE
                    name = low
                else:
                    name = low
            elif state == _PARAM:
                name = "".join(buf)
            elif state == _MESSAGE:
                word = "".join(buf)
                if word not in ROLES:
                    raise fail(ERR_INVALID_ROLE, here, f"got {word!r}; roles are lower-case")
                role = word
            elif state == _VALUE:
                # at a space the CLI always keeps reading; at a newline only if the quote is still open
                if _is_space(keep) or not _buffer_complete(buf):
                    buf.append(keep)
                    continue
                value, _ = unquote("".join(buf).strip(WHITESPACE))
                if role:
                    value, role = f"{role}: {value}", ""
                commands.append(Command(name=name, args=value, line=start, end_line=here))
            elif state == _NIL and nxt == _NAME:
                start = here
            buf.clear()
            state = nxt
        if keep and is_print(keep):
            buf.append(keep)

    if state == _VALUE:
        value, ok = unquote("".join(buf).strip(WHITESPACE))
        if not ok:
            raise fail(ERR_EOF, start, f"the quoted value that starts on line {start} is never closed")
        if role:
            value = f"{role}: {value}"
        commands.append(Command(name=name, args=value, line=start, end_line=line))
    elif state not in (_NIL, _COMMENT):
        raise fail(ERR_EOF, line, "the last instruction has no value")

    if require_from and not any(c.name == "model" for c in commands):
        raise fail(ERR_NO_FROM, None, "add `FROM <model name or path to weights>`")
    return commands
