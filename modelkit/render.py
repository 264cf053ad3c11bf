"""Rendering Modelfile templates in Jinja's sandbox.

* ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``: no Python internals (``__class__``,
  ``__globals__``…), no mutation of values, and an undefined variable is an error.
* The loader is confined to the templates folder (``modelfiles/``): include/extends/import
  names are relative to it; ``..``, absolute names and symlinks leading out are refused.
* Environment variables are visible only when the project file lists them (``env.NAME``).
* Limits: ``range()`` at most ``max_range`` items per call and ``max_steps`` per render,
  ``*``/``**``/``%`` and width-taking filters/methods checked before they allocate, and the
  output capped at ``max_output`` characters.
* Filters that make any value safe in a Modelfile: ``quote`` (``q``) writes the text so that
  the ollama CLI reads back exactly that value; ``param`` spells a PARAMETER value.

Errors become ``TemplateError`` (a ``UsageError``, exit 2): one line with the template
``file:line`` and a hint.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelkit.errors import UsageError

DEFAULT_MAX_OUTPUT = 2_000_000
DEFAULT_MAX_RANGE = 10_000
DEFAULT_MAX_STEPS = 100_000


class TemplateError(UsageError):
    """A template that does not render. ``file``/``line`` locate it when known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, hint: str | None = None):
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        super().__init__(where + message, hint=hint)
        self.file = file
        self.line = line
        self.reason = message


class SandboxLimit(Exception):
    """Raised inside a render when a guard trips (converted to TemplateError)."""


def quote_filter(value: Any) -> str:
    """``{{ x | quote }}``: the Modelfile spelling of ``x`` that reads back as exactly ``x``."""
    from modelkit.modelfile import quote

    return quote(value_text(value))


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SandboxLimit(f"{value!r} is not a finite number")
        return repr(value)
    return str(value)


def param_filter(value: Any) -> str:
    """``PARAMETER temperature {{ t | param }}``: bools as true/false, numbers plainly, text quoted."""
    return quote_filter(value)


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


# -- the sandbox -----------------------------------------------------------------------------

def _make_environment(templates_dir: Path, *, max_output: int, max_range: int, max_steps: int):
    from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, nodes  # noqa: F401
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    root = templates_dir.resolve()

    class ConfinedLoader(FileSystemLoader):
        def get_source(self, environment, template):  # type: ignore[override]
            if template.startswith(("/", "\\")) or os.path.isabs(template):
                raise TemplateNotFound(template)
            source, filename, uptodate = super().get_source(environment, template)
            if not Path(filename).resolve().is_relative_to(root):
                raise TemplateNotFound(template)
            return source, filename, uptodate

    class ModelfileSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%"})
        steps = 0

        def call_binop(self, context, operator, left, right):  # type: ignore[override]
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > max_output:
                        raise SandboxLimit(f"{type(seq).__name__} * {n} would exceed the output limit")
            elif operator == "**":
                if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and \
                        right * math.log2(abs(left)) > 4096:
                    raise SandboxLimit(f"{left} ** {right} is too large")
            elif operator == "%" and isinstance(left, str):
                _check_format_widths(left, max_output)
            return super().call_binop(context, operator, left, right)

        def wrap_str_format(self, value):  # type: ignore[override]
            if getattr(value, "__name__", "") in ("format", "format_map") and isinstance(
                    getattr(value, "__self__", None), str):
                _check_format_widths(value.__self__, max_output)
            return super().wrap_str_format(value)

        def call(__self, __context, __obj, *args, **kwargs):  # type: ignore[override]  # noqa: N805
            name = getattr(__obj, "__name__", "")
            owner = getattr(__obj, "__self__", None)
            if isinstance(owner, str):
                if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int) \
                        and args[0] > max_output:
                    raise SandboxLimit(f"str.{name}({args[0]}) would exceed the output limit")
                if name == "expandtabs" and len(owner) * (args[0] if args and isinstance(args[0], int) else 8) > max_output:
                    raise SandboxLimit("str.expandtabs would exceed the output limit")
            result = super().call(__context, __obj, *args, **kwargs)
            _check_size(result, max_output)
            return result

    env = ModelfileSandbox(
        loader=ConfinedLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        cache_size=0,
    )

    def guarded_range(*args: int) -> Iterable[int]:
        r = range(*args)
        if len(r) > max_range:
            raise SandboxLimit(f"range() of {len(r)} items; the sandbox allows {max_range}")
        return _Budget(r, env, max_steps)

    env.globals["range"] = guarded_range
    env.globals.pop("lipsum", None)
    for fname in list(env.filters):
        env.filters[fname] = _guard_filter(env.filters[fname], fname, max_output)
    env.filters["quote"] = env.filters["q"] = quote_filter
    env.filters["param"] = param_filter
    return env


class _Budget:
    """An iterator over a range() that charges a per-render step budget."""

    def __init__(self, r: range, env: Any, max_steps: int):
        self.r, self.env, self.max_steps = r, env, max_steps

    def __iter__(self):
        for i in self.r:
            self.env.steps += 1
            if self.env.steps > self.max_steps:
                raise SandboxLimit(f"more than {self.max_steps} loop steps over range() in one render")
            yield i

    def __len__(self) -> int:
        return len(self.r)


_WIDTH = re.compile(r"%[-#0 +]*(\d+)|\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")


def _check_format_widths(fmt: str, limit: int) -> None:
    for m in _WIDTH.finditer(fmt):
        width = int(m.group(1) or m.group(2))
        if width > limit:
            raise SandboxLimit(f"a format width of {width} would exceed the output limit")


def _check_size(result: Any, limit: int) -> None:
    if isinstance(result, (str, list, tuple)) and len(result) > limit:
        raise SandboxLimit(f"a value of {len(result)} items/characters exceeds the output limit ({limit})")


def _guard_filter(fn: Any, name: str, limit: int) -> Any:
    import functools

    from jinja2.utils import pass_context, pass_environment, pass_eval_context

    def check_args(args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        if name in ("center", "indent", "slice", "batch", "wordwrap", "truncate"):
            for a in list(args[1:]) + list(kwargs.values()):
                if isinstance(a, int) and not isinstance(a, bool) and a > limit:
                    raise SandboxLimit(f"{name}({a}) exceeds the sandbox limit")
        if name == "format" and args and isinstance(args[0], str):
            _check_format_widths(args[0], limit)

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0
        check_args(args[skip:], kwargs)
        result = fn(*args, **kwargs)
        _check_size(result, limit)
        return result

    kind = getattr(fn, "jinja_pass_arg", None)
    if kind is not None:
        decorator = {"context": pass_context, "eval_context": pass_eval_context,
                     "environment": pass_environment}[kind.name]
        return decorator(guarded)
    return guarded


class EnvVars(dict):
    """``env`` in templates: only the listed variables; asking for another one is an error."""

    def __init__(self, allowed: Sequence[str]):
        super().__init__({k: os.environ[k] for k in allowed if k in os.environ})
        self.allowed = tuple(allowed)

    def __getitem__(self, key: str) -> str:
        if key not in self.allowed:
            from jinja2.exceptions import SecurityError

            raise SecurityError(f"environment variable {key!r} is not listed in the project's env")
        return super().__getitem__(key)


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
            self._env = _make_environment(self.templates_dir, max_output=self.max_output,
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
            raise self._translate(e, template, variables) from None
        finally:
            loader.get_source = original  # type: ignore[method-assign]
        return Rendered(text=text, template=template, display=self.display(template), sources=sources)

    def render_string(self, source: str, variables: Mapping[str, Any], *, where: str,
                      file: str | None = None, line: int | None = None) -> str:
        """Render a templated string of the project file; errors name ``where`` (and ``file:line``)."""
        env = self.env
        env.steps = 0
        try:
            tmpl = env.from_string(source)
            return self._run(tmpl.generate(self.context(variables)))
        except Exception as e:  # noqa: BLE001
            err = self._translate(e, None, variables)
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

    # -- errors ----------------------------------------------------------------------------

    def _location(self, e: BaseException) -> tuple[str | None, int | None]:
        root = str(self.templates_dir.resolve())
        file = line = None
        tb = e.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(root + os.sep):
                file = self.display(os.path.relpath(filename, root))
                line = tb.tb_lineno
            tb = tb.tb_next
        return file, line

    def _translate(self, e: BaseException, template: str | None, variables: Mapping[str, Any]) -> TemplateError:
        from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
        from jinja2.exceptions import SecurityError

        from modelkit.modelfile import UnrepresentableValue

        file, line = self._location(e)
        if isinstance(e, TemplateSyntaxError):
            if e.filename:
                file = self.display(os.path.relpath(e.filename, self.templates_dir.resolve()))
            line = e.lineno
            hint = "see https://jinja.palletsprojects.com/en/stable/templates/"
            if "unexpected '.'" in (e.message or "") or "expected token" in (e.message or ""):
                hint = ("Ollama's TEMPLATE is a Go template whose {{ .Prompt }} clashes with Jinja: "
                        "wrap it in {% raw %}…{% endraw %}")
            return TemplateError(f"syntax error: {e.message}", file=file, line=line, hint=hint)
        if isinstance(e, TemplateNotFound):
            return TemplateError(
                f"template {e.name!r} not found", file=file, line=line,
                hint=f"include/extends/import load only files inside {self.label or self.templates_dir}/, "
                     "by their path relative to it")
        if isinstance(e, UndefinedError):
            msg = e.message or str(e)
            m = re.match(r"'([^']+)' is undefined", msg)
            hint = "define it in [defaults.vars] or the target's vars, or pass --set NAME=VALUE"
            if m:
                known = [k for k in variables if not k.startswith("_")]
                close = difflib.get_close_matches(m.group(1), known, n=1)
                if close:
                    hint = f"did you mean {close[0]!r}? " + hint
                return TemplateError(f"undefined variable {m.group(1)!r}", file=file, line=line, hint=hint)
            env_var = re.search(r"EnvVars object' has no attribute '([^']+)'", msg)
            if env_var:
                return TemplateError(f"environment variable {env_var.group(1)!r} is not set", file=file, line=line,
                                     hint=f"set it, or give a default: {{{{ env.{env_var.group(1)} | default('…') }}}}")
            if "__" in msg or "unsafe" in msg:
                return TemplateError(msg, file=file, line=line, hint=_SANDBOX_HINT)
            return TemplateError(msg, file=file, line=line, hint=hint)
        if isinstance(e, SecurityError):
            hint = ("list it under [project] env in modelkit.toml" if "environment variable" in str(e)
                    else _SANDBOX_HINT)
            return TemplateError(str(e), file=file, line=line, hint=hint)
        if isinstance(e, (SandboxLimit, OverflowError, MemoryError)):
            return TemplateError(f"sandbox limit: {e}", file=file, line=line,
                                 hint="templates may not produce huge values or loop without bound")
        if isinstance(e, RecursionError):
            return TemplateError("recursion too deep", file=file, line=line,
                                 hint="a macro or include calls itself without an end condition")
        if isinstance(e, UnrepresentableValue):
            return TemplateError(e.message, file=file, line=line, hint=e.hint)
        return TemplateError(f"{type(e).__name__}: {e}", file=file, line=line,
                             hint="check the expression on that line")


_SANDBOX_HINT = "templates run in Jinja's sandbox: attributes starting with '_' and Python internals are off limits"
