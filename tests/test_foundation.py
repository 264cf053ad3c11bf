"""The foundation: a real server, real weights, the client, list/ps/doctor and the error boundary."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelkit.digests import sha256_file
from modelkit.ollama_api import Ollama
from tests.helpers import patched_env, run_cli, unload_all

pytestmark = pytest.mark.integration


def test_gguf_blob_create_chat_list_ps(api: Ollama, cli, smollm2_gguf: Path) -> None:
    digest = sha256_file(smollm2_gguf)
    assert digest == "sha256:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    api.upload_blob(smollm2_gguf, digest)
    assert api.has_blob(digest)
    assert not api.has_blob("sha256:" + "0" * 64)

    statuses = [p.status for p in api.create("foundation:latest", files={smollm2_gguf.name: digest},
                                             parameters={"temperature": 0.0, "seed": 7})]
    assert statuses[0] == "parsing GGUF" and statuses[-1] == "success"
    assert any(s.startswith("using autodetected template") for s in statuses)

    unload_all(api)  # so that ps names the runner after this model (see unload_all)
    chunks = list(api.chat("foundation:latest", [{"role": "user", "content": "Name three colours."}],
                           options={"num_predict": 24}))
    answer = "".join(c.message.content or "" for c in chunks)
    final = chunks[-1]
    assert answer.strip()
    assert final.done
    for field in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
                  "eval_count", "eval_duration"):
        assert getattr(final, field), field
    tokens_per_s = final.eval_count / (final.eval_duration / 1e9)
    print(f"\nSmolLM2 decode: {final.eval_count} tokens, {tokens_per_s:.1f} tokens/s")

    listed = cli("list", "--json")
    assert listed.code == 0, listed.err
    entries = {m["name"]: m for m in listed.json()}
    entry = entries["foundation:latest"]
    assert entry["size"] > 90_000_000 and isinstance(entry["size"], int)
    assert len(entry["digest"]) == 64 and entry["id"] == entry["digest"][:12]
    assert entry["quantization"] == "Q4_1" and entry["family"] == "llama"
    assert "T" in entry["modified_at"]  # ISO timestamp

    running = cli("ps", "--json")
    assert running.code == 0, running.err
    loaded = {m["name"]: m for m in running.json()}
    assert "foundation:latest" in loaded
    assert loaded["foundation:latest"]["size"] > 0
    assert loaded["foundation:latest"]["context_length"] == 4096
    assert loaded["foundation:latest"]["size_vram"] == 0  # CPU only here

    table = cli("ps")
    assert "foundation:latest" in table.out and "100% CPU" in table.out and "from now" in table.out
    table = cli("list")
    assert "foundation:latest" in table.out and "MB" in table.out

    api.unload("foundation:latest")
    assert "foundation:latest" not in {m["name"] for m in cli("ps", "--json").json()}


def test_doctor_reports_real_server(cli, ollama_server) -> None:
    result = cli("doctor", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["server_version"] == "0.11.4"
    assert report["host"] == ollama_server.url
    assert report["models_dir"] == str(ollama_server.models_dir)
    assert report["machine"]["cpu_logical"] >= 1
    text = cli("doctor")
    assert "0.11.4" in text.out and str(ollama_server.models_dir) in text.out


def test_host_option_beats_ollama_host(host: str) -> None:
    result = run_cli(["ps", "--json", "--host", host], env={"OLLAMA_HOST": "127.0.0.1:9"})
    assert result.code == 0, result.err


def _modelkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("modelkit")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_unreachable_server_is_one_line_no_traceback() -> None:
    done = _modelkit("doctor", "--host", "127.0.0.1:9")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "http://127.0.0.1:9" in lines[0] and "hint:" in lines[0] and "Traceback" not in done.stderr

    done = _modelkit("list", env={"OLLAMA_HOST": "127.0.0.1:9"})
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:9" in done.stderr


def test_debug_shows_traceback() -> None:
    done = _modelkit("list", "--host", "127.0.0.1:9", env={"MODELKIT_DEBUG": "1"})
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "ServerUnreachable" in done.stderr


def test_python_dash_m_and_help() -> None:
    done = subprocess.run([sys.executable, "-m", "modelkit", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("list", "ps", "doctor", "server"):
        assert command in done.stdout
    done = subprocess.run([sys.executable, "-m", "modelkit", "--version"], capture_output=True, text=True)
    assert done.stdout.startswith("modelkit ")


def test_bad_usage_exits_2() -> None:
    done = _modelkit("list", "--no-such-option")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_start_status_stop(tmp_path: Path) -> None:
    """`modelkit server start` runs a detached `ollama serve` the README's main job can use."""
    host = f"127.0.0.1:{_free_port()}"
    from modelkit.paths import ollama_binary

    env = {"HOME": str(tmp_path / "home"), "OLLAMA_MODELS": str(tmp_path / "models"),
           "MODELKIT_OLLAMA": ollama_binary() or ""}
    with patched_env(env):
        started = run_cli(["server", "start", "--host", host])
        try:
            assert started.code == 0, started.err
            assert "started ollama 0.11.4" in started.out
            again = run_cli(["server", "start", "--host", host])
            assert again.code == 0 and "already answers" in again.out
            status = run_cli(["server", "status", "--host", host, "--json"])
            assert status.json()["version"] == "0.11.4"
        finally:
            stopped = run_cli(["server", "stop", "--host", host])
        assert stopped.code == 0 and "stopped" in stopped.out
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            gone = run_cli(["server", "status", "--host", host])
            if gone.code == 1:
                break
            time.sleep(0.2)
        assert gone.code == 1 and "cannot reach Ollama" in gone.err


def test_server_start_refuses_remote_host() -> None:
    result = run_cli(["server", "start", "--host", "10.1.2.3:11434"])
    assert result.code == 2 and "loopback" in result.err


def test_list_json_is_plain_json(cli, smol_model: str) -> None:
    out = cli("list", "--json").out
    assert "\x1b[" not in out
    assert smol_model in [m["name"] for m in json.loads(out)]
