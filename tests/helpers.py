"""Test helpers: run the CLI in-process, create models from real weights."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelkit.ollama_api import Ollama


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@contextlib.contextmanager
def patched_env(env: dict[str, str | None]):
    old = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(argv: list[str], env: dict[str, str | None] | None = None) -> CliResult:
    """``modelkit ARGV`` through ``modelkit.cli.main`` (the real error boundary), output captured."""
    from modelkit.cli import main

    out, err = io.StringIO(), io.StringIO()
    with patched_env({"COLUMNS": "200", **(env or {})}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return CliResult(code, out.getvalue(), err.getvalue())


def create_from_gguf(api: Ollama, name: str, gguf: Path, **fields: Any) -> str:
    """Upload ``gguf`` as a blob (if the server lacks it) and create ``name`` from it."""
    from modelkit.digests import sha256_file

    digest = sha256_file(gguf)
    if not api.has_blob(digest):
        api.upload_blob(gguf, digest)
    statuses = [p.status for p in api.create(name, files={gguf.name: digest}, **fields)]
    assert statuses[-1] == "success", statuses
    return name


def unload_all(api: Ollama, timeout: float = 30.0) -> None:
    """Unload every loaded model and wait until /api/ps is empty.

    Ollama shares one runner between models made from the same blob with the same load
    options, and /api/ps names the runner after the model that loaded it: a test that wants
    to see *its* model in ps must start from an empty server.
    """
    import time

    deadline = time.monotonic() + timeout
    while (loaded := api.ps()) and time.monotonic() < deadline:
        for m in loaded:
            api.unload(m.model or m.name or "", wait=0)
        time.sleep(0.1)
    assert not api.ps(), "models still loaded after unload"
