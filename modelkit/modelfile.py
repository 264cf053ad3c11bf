"""Modelfiles, parsed and written exactly as the ollama CLI v0.11.4 does (``parser/parser.go``).

Three layers, in three modules:

* ``parse_commands(text)`` (``modelkit.modelfile_parser``) — the CLI's rune-by-rune state
  machine; errors are ``ModelfileSyntaxError`` (exit 2) with the line and the CLI's own wording.
* ``Modelfile`` (here) — the typed result, 1:1 with the ``/api/create`` fields the CLI would send
  (``create_fields``): FROM lines, the ADAPTER, TEMPLATE/SYSTEM (last wins), PARAMETERs typed
  like ``api.FormatParams`` (``stop`` accumulates, deprecated ones dropped with a warning,
  unknown names and bad values are error diagnostics), MESSAGEs, LICENSEs. Every item keeps
  the line it came from.
* ``quote`` / ``Modelfile.to_text()`` (``modelkit.modelfile_quoting``) — a writer whose output
  parses back to the same values (round-trip stable); a value no quoting can carry raises
  ``UnrepresentableValue``.

The parser's and the writer's public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modelkit import parameters as P
from modelkit.modelfile_parser import (
    ERR_EOF,
    ERR_INVALID_COMMAND,
    ERR_INVALID_ROLE,
    ERR_NO_FROM,
    INSTRUCTIONS,
    ROLES,
    Command,
    ModelfileSyntaxError,
    decode,
    is_print,
    parse_commands,
    unquote,
)
from modelkit.modelfile_quoting import UnrepresentableValue, describe_char, quote

__all__ = [
    "ERR_EOF", "ERR_INVALID_COMMAND", "ERR_INVALID_ROLE", "ERR_NO_FROM", "INSTRUCTIONS", "ROLES",
    "Command", "Diagnostic", "Message", "Modelfile", "ModelfileSyntaxError", "Parameter", "Severity",
    "UnrepresentableValue", "Value", "decode", "describe_char", "is_print", "parse_commands", "quote", "unquote",
]


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
