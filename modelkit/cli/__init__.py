"""The ``modelkit`` command line: thin Typer wiring over the library.

``main()`` is the single error boundary: a ``ModelkitError`` becomes one line on stderr
(message and hint) and its exit code; any other exception becomes one line too. Set
``MODELKIT_DEBUG=1`` to get the traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def debug_enabled() -> bool:
    return os.environ.get("MODELKIT_DEBUG", "").lower() not in ("", "0", "false", "no")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    from modelkit.errors import ModelkitError

    try:
        from modelkit.cli.app import app

        app(args=list(argv) if argv is not None else None, prog_name="modelkit")
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except ModelkitError as e:
        if debug_enabled():
            raise
        print(f"modelkit: error: {e.one_line()}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        print("modelkit: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still one line, the traceback on request
        if debug_enabled():
            raise
        print(
            f"modelkit: internal error: {type(e).__name__}: {_one_line(str(e))} "
            "(hint: rerun with MODELKIT_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1
    return 0
