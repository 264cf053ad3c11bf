"""What ``modelkit lint`` reports: ``Finding`` (severity, code, message, hint and where: the
template ``file:line`` and the rendered line), per target (``TargetReport``) and per project
(``LintReport``). ``--json`` dumps these models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning", "info"]


class Finding(BaseModel):
    severity: Severity
    code: str
    message: str
    hint: str | None = None
    target: str | None = None  #: the resolved target id
    file: str | None = None  #: template file (relative to the project) or modelkit.toml
    line: int | None = None
    rendered_line: int | None = None  #: line in the rendered Modelfile

    @property
    def location(self) -> str:
        where = self.file or ""
        if self.file and self.line:
            where += f":{self.line}"
        if self.rendered_line and (self.file is None or self.line is None or not self.file.endswith("(rendered)")):
            where += f" (rendered line {self.rendered_line})" if where else f"rendered line {self.rendered_line}"
        return where

    def one_line(self) -> str:
        head = f"{self.location}: " if self.location else ""
        text = f"{head}{self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return " ".join(text.split())


class TargetReport(BaseModel):
    id: str
    name: str | None
    findings: list[Finding] = Field(default_factory=list)
    weights: dict[str, Any] | None = None  #: what inspecting FROM found (GGUF summary, safetensors arch…)
    adapter: dict[str, Any] | None = None


class LintReport(BaseModel):
    project: str
    targets: list[TargetReport] = Field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for t in self.targets for f in t.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]
