"""Template failures as one line: ``TemplateError`` (a ``UsageError``, exit 2) with the template
``file:line`` and a hint, and ``translate_error``, which turns whatever Jinja raised (syntax,
undefined variables, sandbox refusals and limits, recursion, unrepresentable values) into one.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelkit.errors import UsageError

SANDBOX_HINT = "templates run in Jinja's sandbox: attributes starting with '_' and Python internals are off limits"


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


def error_location(e: BaseException, templates_dir: Path, display: Callable[[str], str]) -> tuple[str | None, int | None]:
    """The innermost frame of ``e``'s traceback that runs a template file: (display name, line)."""
    root = str(templates_dir.resolve())
    file = line = None
    tb = e.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root + os.sep):
            file = display(os.path.relpath(filename, root))
            line = tb.tb_lineno
        tb = tb.tb_next
    return file, line


def translate_error(e: BaseException, variables: Mapping[str, Any], *, templates_dir: Path,
                    display: Callable[[str], str], label: str) -> TemplateError:
    """``e`` (raised while rendering from ``templates_dir``) as one ``TemplateError`` line with a hint.

    ``display`` names a template in messages; ``label`` is how the folder appears in hints.
    """
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from modelkit.modelfile_quoting import UnrepresentableValue

    file, line = error_location(e, templates_dir, display)
    if isinstance(e, TemplateSyntaxError):
        if e.filename:
            file = display(os.path.relpath(e.filename, templates_dir.resolve()))
        line = e.lineno
        hint = "see https://jinja.palletsprojects.com/en/stable/templates/"
        if "unexpected '.'" in (e.message or "") or "expected token" in (e.message or ""):
            hint = ("Ollama's TEMPLATE is a Go template whose {{ .Prompt }} clashes with Jinja: "
                    "wrap it in {% raw %}…{% endraw %}")
        return TemplateError(f"syntax error: {e.message}", file=file, line=line, hint=hint)
    if isinstance(e, TemplateNotFound):
        return TemplateError(
            f"template {e.name!r} not found", file=file, line=line,
            hint=f"include/extends/import load only files inside {label or templates_dir}/, "
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
            return TemplateError(msg, file=file, line=line, hint=SANDBOX_HINT)
        return TemplateError(msg, file=file, line=line, hint=hint)
    if isinstance(e, SecurityError):
        hint = ("list it under [project] env in modelkit.toml" if "environment variable" in str(e)
                else SANDBOX_HINT)
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
