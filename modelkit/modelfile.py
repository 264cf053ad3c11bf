"""Modelfiles, parsed and written exactly as the ollama CLI v0.11.4 does (``parser/parser.go``).

Three layers:

* ``parse_commands(text)`` — a line-for-line port of the CLI's rune-by-rune state machine:
  the 7 case-insensitive instructions, values that run to the end of the line (trimmed),
  ``"…"`` / ``\"\"\"…\"\"\"`` that strip one level of quotes and may span lines, no escapes, ``#``
  comments only where an instruction could start, "unexpected EOF", "no FROM line". Errors
  are ``ModelfileSyntaxError`` (exit 2) with the line and the CLI's own wording.
* ``Modelfile`` — the typed result, 1:1 with the ``/api/create`` fields the CLI would send
  (``create_fields``): FROM lines, the ADAPTER, TEMPLATE/SYSTEM (last wins), PARAMETERs typed
  like ``api.FormatParams`` (``stop`` accumulates, deprecated ones dropped with a warning,
  unknown names and bad values are error diagnostics), MESSAGEs, LICENSEs. Every item keeps
  the line it came from.
* ``quote`` / ``Modelfile.to_text()`` — a writer whose output parses back to the same values
  (round-trip stable); a value no quoting can carry raises ``UnrepresentableValue``.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modelkit import parameters as P
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


class UnrepresentableValue(UsageError):
    """A value the Modelfile syntax cannot carry unchanged."""


# -- characters ----------------------------------------------------------------------------

_WS = " \t\r\n"


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


def _is_newline(c: str) -> bool:
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
    while i < n and buf[i] in _WS:
        i += 1
    j = n
    while j > i and buf[j - 1] in _WS:
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
        if _is_space(r) or _is_newline(r):
            return _NIL, "", None
        return _NAME, r, None
    if state == _NAME:
        if _is_alpha(r):
            return _NAME, r, None
        if _is_space(r):
            return _VALUE, "", None
        return _NIL, "", ERR_INVALID_COMMAND
    if state == _VALUE:
        if _is_newline(r) or _is_space(r):
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
    return (_NIL if _is_newline(r) else _COMMENT), "", None


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
                value, _ = unquote("".join(buf).strip(_WS))
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
        value, ok = unquote("".join(buf).strip(_WS))
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


# -- typed Modelfile -----------------------------------------------------------------------

Severity = Literal["error", "warning", "info"]


class Diagnostic(BaseModel):
    severity: Severity
    code: str
    message: str
    hint: str | None = None
    line: int | None = None


class Value(BaseModel):
    value: str
    line: int = 0


class Parameter(BaseModel):
    name: str
    value: P.ParamValue
    line: int = 0


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str
    line: int = 0


class Modelfile(BaseModel):
    """A Modelfile as the CLI understands it. ``base_dir``: where relative FROM/ADAPTER paths start."""

    model_config = ConfigDict(populate_by_name=True)

    from_: list[Value] = Field(default_factory=list, alias="from")
    adapters: list[Value] = Field(default_factory=list)
    template: Value | None = None
    system: Value | None = None
    parameters: list[Parameter] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    license: list[Value] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    base_dir: Path | None = None

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, *, base_dir: Path | None = None, source: str | None = None) -> Modelfile:
        return cls.from_commands(parse_commands(text, source=source), base_dir=base_dir)

    @classmethod
    def from_commands(cls, commands: list[Command], *, base_dir: Path | None = None) -> Modelfile:
        mf = cls(base_dir=base_dir)
        diag = mf.diagnostics
        for c in commands:
            if c.name == "model":
                mf.from_.append(Value(value=c.args, line=c.line))
            elif c.name == "adapter":
                mf.adapters.append(Value(value=c.args, line=c.line))
            elif c.name in ("template", "system"):
                previous = getattr(mf, c.name)
                if previous is not None:
                    diag.append(Diagnostic(
                        severity="warning", code="overridden", line=previous.line,
                        message=f"{c.name.upper()} on line {previous.line} is replaced by the one on line {c.line}",
                        hint="only the last one is sent; remove the earlier one"))
                setattr(mf, c.name, Value(value=c.args, line=c.line))
            elif c.name == "license":
                mf.license.append(Value(value=c.args, line=c.line))
            elif c.name == "message":
                role, _, content = c.args.partition(": ")
                mf.messages.append(Message(role=role, content=content, line=c.line))  # type: ignore[arg-type]
            elif c.name in P.DEPRECATED:
                diag.append(Diagnostic(
                    severity="warning", code="deprecated-parameter", line=c.line,
                    message=f"parameter {c.name} is deprecated; the ollama CLI drops it",
                    hint="remove the line"))
            else:
                try:
                    value = P.convert(c.name, c.args)
                except P.ParamValueError as e:
                    diag.append(_param_diagnostic(c, str(e)))
                else:
                    mf.parameters.append(Parameter(name=c.name, value=value, line=c.line))
        if len(mf.adapters) > 1:
            diag.append(Diagnostic(
                severity="warning", code="multiple-adapters", line=mf.adapters[0].line,
                message=f"{len(mf.adapters)} ADAPTER lines: the CLI sends only the last (line {mf.adapters[-1].line})",
                hint="Ollama applies one adapter per model"))
        if mf.system is not None and mf.system.value == "":
            diag.append(Diagnostic(
                severity="warning", code="empty-system", line=mf.system.line,
                message='an empty SYSTEM is not sent, so it does not clear the base model\'s system prompt',
                hint="remove the line, or give a system prompt"))
        return mf

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    # -- what the CLI sends ----------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        """The ``parameters`` object: last value wins, ``stop`` accumulates (CreateRequest)."""
        out: dict[str, Any] = {}
        for p in self.parameters:
            if p.name == "stop":
                out.setdefault("stop", []).append(p.value)
            else:
                out[p.name] = p.value
        return out

    @property
    def adapter(self) -> Value | None:
        return self.adapters[-1] if self.adapters else None

    def create_fields(self, files: Mapping[str, str] | None = None,
                      adapters: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keyword arguments for ``ollama.Client.create`` (and ``Ollama.create``), as the CLI builds them.

        ``from_`` is the last FROM that is not a local path; ``files`` / ``adapters`` are the
        ``{basename: "sha256:…"}`` maps of the uploaded local FROM / ADAPTER files (the caller
        digests and uploads them: see ``modelkit.localfiles``).
        """
        from modelkit.localfiles import resolve_from

        fields: dict[str, Any] = {}
        for f in self.from_:
            src = resolve_from(f.value, self.base_dir)
            if src.path is None:
                fields["from_"] = f.value
        if files:
            fields["files"] = dict(files)
        if adapters:
            fields["adapters"] = dict(adapters)
        if self.template is not None and self.template.value:
            fields["template"] = self.template.value
        if self.system is not None and self.system.value:
            fields["system"] = self.system.value
        if self.parameters:
            fields["parameters"] = self.params
        if self.messages:
            fields["messages"] = [{"role": m.role, "content": m.content} for m in self.messages]
        if self.license:
            fields["license"] = [v.value for v in self.license]
        return fields

    # -- writing ---------------------------------------------------------------------------

    def to_text(self) -> str:
        """Canonical Modelfile text: FROM, ADAPTER, TEMPLATE, SYSTEM, PARAMETER, MESSAGE, LICENSE."""
        lines = [f"FROM {quote(f.value)}" for f in self.from_]
        if self.adapter is not None:
            lines.append(f"ADAPTER {quote(self.adapter.value)}")
        if self.template is not None:
            lines.append(f"TEMPLATE {quote(self.template.value)}")
        if self.system is not None:
            lines.append(f"SYSTEM {quote(self.system.value)}")
        for key, value in self.params.items():
            for v in value if key == "stop" else [value]:
                lines.append(f"PARAMETER {key} {quote(P.format_value(v))}")
        lines += [f"MESSAGE {m.role} {quote(m.content)}" for m in self.messages]
        lines += [f"LICENSE {quote(v.value)}" for v in self.license]
        return "\n".join(lines) + "\n"


def _param_diagnostic(c: Command, ollama_message: str) -> Diagnostic:
    if c.name not in P.PARAMETERS:
        import difflib

        close = difflib.get_close_matches(c.name, list(P.PARAMETERS) + list(P.DEPRECATED), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "the parameters are: " + ", ".join(P.PARAMETERS)
        return Diagnostic(severity="error", code="unknown-parameter", line=c.line, message=ollama_message, hint=hint)
    if ollama_message.startswith("json:"):
        return Diagnostic(severity="error", code="bad-parameter-value", line=c.line,
                          message=f"parameter {c.name} {c.args}: not a finite number ({ollama_message})",
                          hint="the ollama CLI cannot send NaN or Inf; use a finite value")
    return Diagnostic(severity="error", code="bad-parameter-value", line=c.line,
                      message=f"parameter {c.name}: {ollama_message}",
                      hint=f"{c.name} takes {P.expected_type(c.name)}")


# -- quoting -------------------------------------------------------------------------------

def _ends_value(text: str, end: int) -> bool:
    """Would the CLI end a value whose buffer is ``text[:end]`` (it checks at every newline)?"""
    j = end
    while j > 0 and text[j - 1] in _WS:
        j -= 1
    if text[:3] == '"""':
        return j >= 6 and text[j - 3:j] == '"""'
    if text[:1] == '"':
        return j >= 2 and text[j - 1] == '"'
    return True


def _reads_back(candidate: str, value: str) -> bool:
    for i, c in enumerate(candidate):
        if _is_newline(c) and _ends_value(candidate, i):
            return False
    return unquote(candidate.strip(_WS)) == (value, True)


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
        if not (is_print(c) or c in _WS):
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
