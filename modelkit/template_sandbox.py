"""The Jinja sandbox that renders Modelfile templates.

* ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``: no Python internals (``__class__``,
  ``__globals__``…), no mutation of values, and an undefined variable is an error.
* The loader is confined to the templates folder: include/extends/import names are relative
  to it; ``..``, absolute names and symlinks leading out are refused.
* ``env``: environment variables, visible only when the project file lists them.
* Guards: ``range()`` at most ``max_range`` items per call and ``max_steps`` per render,
  ``*``/``**``/``%`` and width-taking filters/methods checked before they allocate
  (``SandboxLimit``).
* Filters that make any value safe in a Modelfile: ``quote`` (``q``) writes the text so that
  the ollama CLI reads back exactly that value; ``param`` spells a PARAMETER value.

jinja2 is imported only when an environment is made.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelkit.template_errors import SandboxLimit

DEFAULT_MAX_OUTPUT = 2_000_000
DEFAULT_MAX_RANGE = 10_000
DEFAULT_MAX_STEPS = 100_000


def quote_filter(value: Any) -> str:
    """``{{ x | quote }}``: the Modelfile spelling of ``x`` that reads back as exactly ``x``."""
    from modelkit.modelfile_quoting import quote

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


# -- the sandbox -----------------------------------------------------------------------------

def make_environment(templates_dir: Path, *, max_output: int, max_range: int, max_steps: int):
    from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
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
        cache_size=0,  # get_source on every render: Renderer records the sources a render used
        bytecode_cache=_memory_bytecode_cache(),  # … but compile each source only once per process
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


_BYTECODE: Any = None


def _memory_bytecode_cache() -> Any:
    """A process-wide, in-memory Jinja bytecode cache. Every environment made here has the same
    settings (sandbox class, intercepted operators, whitespace options), so the code compiled for
    one is valid for all; buckets are keyed by template name and file and checked against the
    source's checksum, so an edited template is compiled again."""
    global _BYTECODE
    if _BYTECODE is None:
        from jinja2 import BytecodeCache

        class MemoryBytecodeCache(BytecodeCache):
            def __init__(self) -> None:
                self.store: dict[str, bytes] = {}

            def load_bytecode(self, bucket: Any) -> None:
                if (data := self.store.get(bucket.key)) is not None:
                    bucket.bytecode_from_string(data)

            def dump_bytecode(self, bucket: Any) -> None:
                self.store[bucket.key] = bucket.bytecode_to_string()

        _BYTECODE = MemoryBytecodeCache()
    return _BYTECODE


_STRING_CODE: dict[str, Any] = {}


def compile_string(env: Any, source: str) -> Any:
    """``env.from_string(source)`` with the compiled code kept per process (the project file's
    templated ``name``/``from``/``adapter`` strings are the same for every matrix cell)."""
    code = _STRING_CODE.get(source)
    if code is None:
        code = _STRING_CODE[source] = env.compile(source)
    return env.template_class.from_code(env, code, env.make_globals(None), None)


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

