"""hf:// downloads through huggingface_hub from a Hub endpoint on loopback (tests/hf_endpoint.py).

The endpoint serves real files: the SmolLM2 GGUF, and a tiny llama safetensors repository made
by modelkit.testing.tiny_llama (two revisions). What lands in the cache is then turned into
models on the real session server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelkit.digests import sha256_file
from modelkit.errors import ModelkitError
from modelkit.ollama_api import Ollama
from tests.hf_endpoint import FakeHub, HubServer
from tests.helpers import create_from_gguf, patched_env
from tests.registry import free_port

pytestmark = pytest.mark.integration

MODELKIT = str(Path(sys.executable).with_name("modelkit"))
GGUF_REPO = "acme/smollm2-gguf"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_REF = f"hf://{GGUF_REPO}/{GGUF_FILE}"
TINY = "acme/tiny-llama"
DEFAULT_FILES = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                 "tokenizer_config.json"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Iterator[tuple[FakeHub, str]]:
    from modelkit.testing.tiny_llama import make_tiny_llama

    base = tmp_path_factory.mktemp("hub-files")
    main = make_tiny_llama(base / "main", smollm2_gguf, seed=0)
    v0 = make_tiny_llama(base / "v0", smollm2_gguf, seed=1)
    fake = FakeHub()
    fake.add_repo(GGUF_REPO, {GGUF_FILE: smollm2_gguf, "README.md": b"# SmolLM2 135M, Q4_1\n"})
    tiny_files: dict[str, Path | bytes] = {p.name: p for p in main.iterdir()}
    tiny_files |= {"pytorch_model.bin": b"\0" * 4096, "onnx/model.onnx": b"\1" * 2048,
                   "README.md": b"# tiny llama\n", "LICENSE.md": b"Apache-2.0\n"}
    fake.add_repo(TINY, tiny_files)
    fake.add_repo(TINY, {p.name: p for p in v0.iterdir() if p.name != "generation_config.json"}, revision="v0")
    server = HubServer(fake).start()
    try:
        yield fake, server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf-home")


def hf_env(url: str, home: Path, offline: bool = False) -> dict[str, str | None]:
    return {"HF_ENDPOINT": url, "HF_HOME": str(home), "HF_HUB_CACHE": None, "HF_TOKEN": None,
            "HF_HUB_OFFLINE": "1" if offline else None, "HF_HUB_DISABLE_TELEMETRY": "1"}


def modelkit(*args: str, env: dict[str, str | None], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full = {**os.environ}
    for k, v in env.items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return subprocess.run([MODELKIT, *args], capture_output=True, text=True, timeout=timeout, env=full)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("modelkit: error:")]
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    return errors[0]


def test_hf_gguf_download_then_create_on_the_server(hub, hf_home: Path, smollm2_gguf: Path, api: Ollama, cli) -> None:
    fake, url = hub
    fake.reset()
    done = modelkit("pull", GGUF_REF, "--progress", "plain", env=hf_env(url, hf_home))
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    commit = fake.find(GGUF_REPO, "main").commit
    assert path == hf_home / "hub" / "models--acme--smollm2-gguf" / "snapshots" / commit / GGUF_FILE
    assert sha256_file(path) == sha256_file(smollm2_gguf)
    [get] = fake.downloads(GGUF_FILE)
    assert get.bytes == smollm2_gguf.stat().st_size

    # plain, throttled progress lines for the file
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith(GGUF_FILE)]
    assert lines[-1] == f"{GGUF_FILE} 100% 98 MB / 98 MB"
    assert 2 <= len(lines) <= 12, lines

    # the downloaded GGUF becomes a model on the real server
    create_from_gguf(api, "hf-smollm2:latest", path)
    shown = cli("show", "hf-smollm2", "--json").json()
    assert shown["family"] == "llama" and shown["quantization"] == "Q4_1"

    # the library call the build uses: same path, nothing downloaded again
    from modelkit.hub import resolve_hf

    with patched_env(hf_env(url, hf_home)):
        assert resolve_hf(GGUF_REF) == path
        assert resolve_hf(f"hf://{GGUF_REPO}/*.gguf") == path  # a glob that names one file
    assert len(fake.downloads(GGUF_FILE)) == 1


def test_hf_repo_snapshot_patterns_and_revision(hub, hf_home: Path, api: Ollama, cli) -> None:
    fake, url = hub
    fake.reset()
    env = hf_env(url, hf_home)
    done = modelkit("pull", f"hf://{TINY}", "--json", "--progress", "none", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    main = fake.find(TINY, "main")
    assert result["files"] == DEFAULT_FILES and result["commit"] == main.commit and result["revision"] == "main"
    snapshot = Path(result["path"])
    assert snapshot == hf_home / "hub" / "models--acme--tiny-llama" / "snapshots" / main.commit
    assert sorted(p.name for p in snapshot.iterdir()) == DEFAULT_FILES  # no .bin, no onnx, no README
    assert fake.downloads("pytorch_model.bin") == [] and fake.downloads("model.onnx") == []
    assert result["size"] == sum((snapshot / f).stat().st_size for f in DEFAULT_FILES)

    from safetensors import safe_open

    with safe_open(str(snapshot / "model.safetensors"), "np") as st:
        assert "model.embed_tokens.weight" in set(st.keys())

    # include / exclude
    done = modelkit("pull", f"hf://{TINY}", "--include", "*.md", "--include", "onnx/*", "--exclude", "LICENSE*",
                    "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == ["README.md", "onnx/model.onnx"]

    # another revision: another commit, its own files
    done = modelkit("pull", f"hf://{TINY}", "--revision", "v0", "--json", env=env)
    assert done.returncode == 0, done.stderr
    v0 = json.loads(done.stdout)
    assert v0["commit"] == fake.find(TINY, "v0").commit != main.commit
    assert "generation_config.json" not in v0["files"] and "model.safetensors" in v0["files"]
    same = modelkit("pull", f"hf://{TINY}@v0", "--json", env=env)
    assert json.loads(same.stdout)["path"] == v0["path"]

    # the snapshot directory is a model the server can import (safetensors → GGUF on the server)
    files = {}
    for name in DEFAULT_FILES:
        digest = sha256_file(snapshot / name)
        if not api.has_blob(digest):
            api.upload_blob(snapshot / name, digest)
        files[name] = digest
    statuses = [p.status for p in api.create("hf-tiny-llama:latest", files=files)]
    assert statuses[-1] == "success", statuses
    shown = cli("show", "hf-tiny-llama", "--json").json()
    assert shown["architecture"] == "llama" and shown["quantization"] == "F16"


def test_hf_offline_uses_a_warm_cache_and_fails_clearly_on_a_cold_one(hub, hf_home: Path, tmp_path: Path) -> None:
    fake, url = hub
    from modelkit.hub import resolve_hf

    with patched_env(hf_env(url, hf_home)):  # warm the cache (no-op when the tests above ran)
        gguf = resolve_hf(GGUF_REF)
        snapshot = resolve_hf(f"hf://{TINY}")
    fake.reset()

    offline = hf_env(url, hf_home, offline=True)
    for ref, expected in ((GGUF_REF, gguf), (f"hf://{TINY}", snapshot), (f"hf://{GGUF_REPO}/*.gguf", gguf)):
        done = modelkit("pull", ref, env=offline)
        assert done.returncode == 0, done.stderr
        assert Path(done.stdout.strip()) == expected
    with patched_env(offline):
        assert resolve_hf(GGUF_REF) == gguf
    assert fake.served == []  # offline: not one request

    cold = hf_env(url, tmp_path / "cold", offline=True)
    for ref in (GGUF_REF, f"hf://{TINY}", f"hf://{GGUF_REPO}/*.gguf"):
        done = modelkit("pull", ref, env=cold)
        assert done.returncode == 1
        line = one_error_line(done)
        assert f"{ref} is not in the Hugging Face cache at {tmp_path / 'cold' / 'hub'}" in line
        assert "HF_HUB_OFFLINE is set" in line and "hint:" in line
    with patched_env(cold), pytest.raises(ModelkitError, match="HF_HUB_OFFLINE"):
        resolve_hf(GGUF_REF)
    assert fake.served == []


@pytest.mark.parametrize("args, code, expect", [
    (["hf://acme/no-such-repo"], 1, "Hugging Face repository 'acme/no-such-repo' not found"),
    ([f"hf://{GGUF_REPO}/no-such.gguf"], 1, "file 'no-such.gguf' not found in hf://acme/smollm2-gguf"),
    ([f"hf://{TINY}", "--revision", "v9"], 1, "revision 'v9' not found"),
    ([f"hf://{TINY}/*.md"], 2, "matches 2 files"),
    ([f"hf://{TINY}/*.xyz"], 1, "no file of hf://acme/tiny-llama matches '*.xyz'"),
    ([GGUF_REF, "--include", "*.gguf"], 2, "apply to a repository"),
    (["hf://acme"], 2, "needs an owner and a repository"),
    (["some-model", "--revision", "v1"], 2, "hf:// references only"),
])
def test_hf_errors_are_one_line(hub, tmp_path: Path, args: list[str], code: int, expect: str) -> None:
    _, url = hub
    done = modelkit("pull", *args, env=hf_env(url, tmp_path / "hf"))
    assert done.returncode == code, done.stderr
    line = one_error_line(done)
    assert expect in line and "hint:" in line


def test_hf_unreachable_endpoint(tmp_path: Path) -> None:
    done = modelkit("pull", f"hf://{TINY}", env=hf_env(f"http://127.0.0.1:{free_port()}", tmp_path / "hf"))
    assert done.returncode == 1
    line = one_error_line(done)
    assert "cannot reach Hugging Face at http://127.0.0.1:" in line and "hint:" in line


BUILD_TEMPLATE = """\
FROM {{ from | quote }}
SYSTEM "You are terse."
PARAMETER temperature 0.1
"""

BUILD_PROJECT = f"""\
[project]
templates = "modelfiles"

[defaults]
template = "m.Modelfile.j2"

[targets.gguf]
name = "hf-build-gguf"
from = "{GGUF_REF}"

[targets.tiny]
name = "hf-build-tiny"
from = "hf://{TINY}"
"""


def test_build_from_hf_references(hub, hf_home: Path, host: str, api: Ollama, tmp_path: Path) -> None:
    """`modelkit build` with hf:// weight sources: resolved through modelkit.hub, created on the server;
    offline it builds from a warm cache and fails with one clear line on a cold one."""
    fake, url = hub
    proj = tmp_path / "proj"
    (proj / "modelfiles").mkdir(parents=True)
    (proj / "modelfiles" / "m.Modelfile.j2").write_text(BUILD_TEMPLATE)
    (proj / "modelkit.toml").write_text(BUILD_PROJECT)

    env = {**hf_env(url, hf_home), "OLLAMA_HOST": host, "MODELKIT_STATE": str(tmp_path / "state")}
    done = modelkit("build", "--project", str(proj), "--json", "--progress", "none", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {t["id"]: t["status"] for t in report["targets"]} == {"gguf": "built", "tiny": "built"}, report
    gguf = api.show("hf-build-gguf")
    assert gguf["details"]["quantization_level"] == "Q4_1" and gguf["system"] == "You are terse."
    assert api.show("hf-build-tiny")["details"]["quantization_level"] == "F16"

    # offline with the warm cache: builds (forced), not one request to the Hub
    fake.reset()
    offline = {**hf_env(url, hf_home, offline=True), "OLLAMA_HOST": host, "MODELKIT_STATE": str(tmp_path / "state")}
    done = modelkit("build", "--project", str(proj), "--force", "--json", "--progress", "none", env=offline)
    assert done.returncode == 0, done.stderr
    assert {t["id"]: t["status"] for t in json.loads(done.stdout)["targets"]} == {"gguf": "built", "tiny": "built"}
    assert fake.served == []

    # offline with a cold cache: one clear line, the models built before stay
    cold = {**hf_env(url, tmp_path / "cold", offline=True), "OLLAMA_HOST": host,
            "MODELKIT_STATE": str(tmp_path / "state2")}
    done = modelkit("build", "--project", str(proj), "gguf", "--force", "--progress", "none", env=cold)
    assert done.returncode != 0
    assert "HF_HUB_OFFLINE is set" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert api.exists("hf-build-gguf")
