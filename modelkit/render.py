"""Rendering Modelfile templates in Jinja's sandbox (``modelkit.template_sandbox``).

``Renderer(templates_dir)`` renders a template of that folder (or a templated string of the
project file) to text; ``Rendered.locate`` maps a rendered line back to the template file and
line that most likely produced it. Errors become ``TemplateError`` (a ``UsageError``, exit 2):
one line with the template ``file:line`` and a hint (``modelkit.template_errors``). The output
is capped at ``max_output`` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelkit.template_errors import SandboxLimit, TemplateError, translate_error
from modelkit.template_sandbox import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_MAX_RANGE,
    DEFAULT_MAX_STEPS,
    EnvVars,
    compile_string,
    make_environment,
    param_filter,
    quote_filter,
    value_text,
)

__all__ = [
    "DEFAULT_MAX_OUTPUT", "DEFAULT_MAX_RANGE", "DEFAULT_MAX_STEPS", "EnvVars", "Rendered", "Renderer",
    "SandboxLimit", "TemplateError", "param_filter", "quote_filter", "value_text",
]


@dataclass
class Rendered:
    """The text of one rendered template and where its lines came from."""

    text: str
    template: str  #: template name, relative to the templates folder
    display: str  #: how to show it in messages (e.g. ``modelfiles/report.Modelfile.j2``)
    sources: dict[str, str] = field(default_factory=dict)  #: display name → source of every template used

    def locate(self, line: int) -> tuple[str, int] | None:
        """The template file and line that most likely produced rendered line ``line`` (1-based)."""
        lines = self.text.splitlines()
        if not 1 <= line <= len(lines):
            return None
        target = lines[line - 1]
        best: tuple[int, int, str, int] | None = None  # (score, -order, file, line)
        for order, (name, source) in enumerate(self.sources.items()):
            for i, src in enumerate(source.splitlines(), 1):
                score = _line_score(src, target)
                if score is not None and (best is None or (score, -order) > best[:2]):
                    best = (score, -order, name, i)
        return (best[2], best[3]) if best else None


_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})")


def _line_score(src: str, target: str) -> int | None:
    parts = _TAG.split(src)
    pattern, literal = [], 0
    for part in parts:
        if part.startswith("{{"):
            pattern.append("(.*?)")
        elif part.startswith(("{%", "{#")):
            continue
        else:
            if "{{" in part or "{%" in part:  # a tag continued on the next line
                head = part.split("{{")[0].split("{%")[0]
                pattern.append(re.escape(head) + ".*")
                literal += len(head.strip())
                break
            pattern.append(re.escape(part))
            literal += len(part.strip())
    if literal < 3:
        return None
    regex = "".join(pattern)
    if re.fullmatch(regex, target) or re.fullmatch(regex.strip(), target.strip()):
        return literal
    return None


# -- rendering -------------------------------------------------------------------------------

class Renderer:
    """Renders templates from one folder. ``label`` is how the folder appears in messages."""

    def __init__(self, templates_dir: Path, *, label: str | None = None, env_allow: Sequence[str] = (),
                 max_output: int = DEFAULT_MAX_OUTPUT, max_range: int = DEFAULT_MAX_RANGE,
                 max_steps: int = DEFAULT_MAX_STEPS):
        self.templates_dir = Path(templates_dir)
        self.label = label if label is not None else self.templates_dir.name
        self.env_allow = tuple(env_allow)
        self.max_output = max_output
        self.max_range = max_range
        self.max_steps = max_steps
        self._env = None

    @property
    def env(self):
        if self._env is None:
            self._env = make_environment(self.templates_dir, max_output=self.max_output,
                                          max_range=self.max_range, max_steps=self.max_steps)
        return self._env

    def display(self, name: str) -> str:
        return f"{self.label}/{name}" if self.label else name

    def context(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        ctx = dict(variables)
        ctx["env"] = EnvVars(self.env_allow)
        return ctx

    def render(self, template: str, variables: Mapping[str, Any]) -> Rendered:
        """Render ``template`` (a name inside the templates folder)."""
        from jinja2 import TemplateNotFound

        env = self.env
        env.steps = 0
        sources: dict[str, str] = {}
        loader = env.loader
        original = loader.get_source

        def recording_get_source(environment: Any, name: str) -> Any:
            result = original(environment, name)
            sources.setdefault(self.display(name), result[0])
            return result

        loader.get_source = recording_get_source  # type: ignore[method-assign]
        try:
            try:
                tmpl = env.get_template(template)
            except TemplateNotFound as e:
                if e.name == template:
                    raise TemplateError(
                        f"template {template!r} not found in {self.label or self.templates_dir}/",
                        hint=f"templates live in {self.templates_dir}; `template` names a file there") from None
                raise
            text = self._run(tmpl.generate(self.context(variables)))
        except TemplateError:
            raise
        except Exception as e:  # noqa: BLE001 - every template failure becomes one clear line
            raise self._translate(e, variables) from None
        finally:
            loader.get_source = original  # type: ignore[method-assign]
        return Rendered(text=text, template=template, display=self.display(template), sources=sources)

    def render_string(self, source: str, variables: Mapping[str, Any], *, where: str,
                      file: str | None = None, line: int | None = None) -> str:
        """Render a templated string of the project file; errors name ``where`` (and ``file:line``)."""
        env = self.env
        env.steps = 0
        try:
            tmpl = compile_string(env, source)
            return self._run(tmpl.generate(self.context(variables)))
        except Exception as e:  # noqa: BLE001
            err = self._translate(e, variables)
            raise TemplateError(f"{where}: {err.reason}", file=file, line=line, hint=err.hint) from None

    def _run(self, chunks: Iterable[str]) -> str:
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > self.max_output:
                raise SandboxLimit(f"the rendered output exceeds {self.max_output} characters")
            out.append(chunk)
        return "".join(out)

    def _translate(self, e: BaseException, variables: Mapping[str, Any]) -> TemplateError:
        return translate_error(e, variables, templates_dir=self.templates_dir, display=self.display, label=self.label)
