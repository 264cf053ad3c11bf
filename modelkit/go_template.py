"""A light check of Go ``text/template`` syntax (what the server parses TEMPLATE with): balanced
``{{ }}`` delimiters and block keywords, so that lint reports what ``/api/create`` would reject.
"""

from __future__ import annotations

import re

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_OPENERS = ("if", "range", "with", "define", "block")


def go_template_problem(text: str) -> str | None:
    """A light check of Go text/template syntax: balanced delimiters and block keywords."""
    stack: list[str] = []
    pos = 0
    for m in _ACTION.finditer(text):
        if "{{" in text[pos:m.start()]:
            return "an unclosed '{{'"
        pos = m.end()
        body = m.group(2).strip()
        if body.startswith("/*"):
            if not body.endswith("*/"):
                return "an unterminated comment"
            continue
        word = body.split(None, 1)[0] if body else ""
        if not body:
            return "an empty action {{ }}"
        if word in _OPENERS:
            stack.append(word)
        elif word == "end":
            if not stack:
                return "an {{ end }} without a matching if/range/with/define/block"
            stack.pop()
        elif word in ("else",) and not stack:
            return "an {{ else }} outside if/range/with"
    if "{{" in text[pos:]:
        return "an unclosed '{{'"
    if stack:
        return f"{{{{ {stack[-1]} }}}} is never closed with {{{{ end }}}}"
    return None
