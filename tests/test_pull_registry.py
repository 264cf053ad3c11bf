"""`modelkit pull` against a real registry on loopback, between two real Ollama servers.

The session server pushes SmolLM2 to Debian's docker-registry; a second, empty server pulls it
back through ``BlobProxy`` (see tests/registry.py for why the proxy exists). ``modelkit`` runs as
a subprocess with pipes — not a terminal — so its progress must come out as plain lines.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelkit.ollama_api import Ollama
from modelkit.server import LocalServer
from tests.conftest import start_server
from tests.helpers import run_cli
from tests.registry import BlobProxy, LocalRegistry, free_port

pytestmark = pytest.mark.integration

MODELKIT = str(Path(sys.executable).with_name("modelkit"))
PLAIN_LAYER_LINE = re.compile(r"^pulling ([0-9a-f]{12}) +(\d+)% +\S+ \S+ / \S+ \S+$")


@dataclass
class Pushed:
    registry_name: str  #: the name as pushed (direct registry address)
    proxy_name: str  #: the same model through the blob proxy
    digest: str  #: manifest digest on the pushing server
    size: int
    layers: list[str]  #: blob digests in pull order (manifest layers, then config)
    model_layer: str


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    reg = LocalRegistry(tmp_path_factory.mktemp("registry")).start()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module")
def proxy(registry: LocalRegistry) -> Iterator[BlobProxy]:
    p = BlobProxy(registry.port).start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def pushed(api: Ollama, smol_model: str, registry: LocalRegistry, proxy: BlobProxy) -> Pushed:
    name = f"{registry.address}/library/smol:test"
    api.copy(smol_model, name)
    statuses = [p.status for p in api.push(name, insecure=True)]
    assert statuses[-1] == "success", statuses
    entry = next(m for m in api.list() if m.model == name)
    doc = api.show(name)
    assert doc["details"]["family"] == "llama"
    layers = _manifest_layers(registry, "library/smol", "test")
    model_layer = next(d for d, media in layers if media.endswith("image.model"))
    return Pushed(name, f"{proxy.address}/library/smol:test", entry.digest or "", int(entry.size or 0),
                  [d for d, _ in layers], model_layer)


def _manifest_layers(registry: LocalRegistry, repo: str, tag: str) -> list[tuple[str, str]]:
    """(digest, mediaType) of the manifest's layers then its config, read from the registry's storage."""
    root = registry.base / "storage/docker/registry/v2"
    link = (root / "repositories" / repo / "_manifests/tags" / tag / "current/link").read_text().strip()
    algo, hexd = link.split(":")
    manifest = json.loads((root / "blobs" / algo / hexd[:2] / hexd / "data").read_text())
    out = [(layer["digest"], layer["mediaType"]) for layer in manifest["layers"]]
    out.append((manifest["config"]["digest"], manifest["config"]["mediaType"]))
    return out


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[LocalServer]:
    server = start_server(tmp_path / "second")
    try:
        yield server
    finally:
        server.stop()


def modelkit(*args: str, host: str, state: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MODELKIT, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "OLLAMA_HOST": host, "MODELKIT_STATE": str(state)})


def start_modelkit(*args: str, host: str, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([MODELKIT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OLLAMA_HOST": host, "MODELKIT_STATE": str(state)})


def wait_for(condition, timeout: float = 120, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_plain(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text, repr(text[:500])


# -- the tests --------------------------------------------------------------------------------------


def test_push_then_pull_into_a_second_server_with_plain_progress(
        pushed: Pushed, proxy: BlobProxy, empty_server: LocalServer, tmp_path: Path) -> None:
    done = modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=tmp_path / "state")
    assert done.returncode == 0, done.stderr
    print(done.stderr)
    assert_plain(done.stderr + done.stdout)
    lines = done.stderr.splitlines()
    assert lines[0] == "pulling manifest"
    assert lines[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layer_lines = [PLAIN_LAYER_LINE.match(line) for line in lines if line.startswith("pulling ") and line != "pulling manifest"]
    assert all(layer_lines), lines
    by_layer: dict[str, list[int]] = {}
    for m in layer_lines:
        by_layer.setdefault(m.group(1), []).append(int(m.group(2)))
    assert set(by_layer) == {d[7:19] for d in pushed.layers}
    model_pcts = by_layer[pushed.model_layer[7:19]]
    assert model_pcts[-1] == 100 and model_pcts == sorted(model_pcts)
    assert len(model_pcts) <= 12  # throttled: about one line per 10 %
    assert all(p == [100] for d, p in by_layer.items() if d != pushed.model_layer[7:19])
    # the second server now has the same model and can run it (its manifest digest differs from the
    # pushing server's: the server re-serializes the manifest it pulled)
    listed = run_cli(["list", "--json"], env={"OLLAMA_HOST": empty_server.url})
    entry = {m["name"]: m for m in listed.json()}[pushed.proxy_name]
    assert re.fullmatch(rf"pulled {re.escape(pushed.proxy_name)} \(98 MB, id {entry['id']}\) in .+\n", done.stdout)
    assert entry["size"] == pushed.size and entry["family"] == "llama" and entry["quantization"] == "Q4_1"
    with Ollama(empty_server.url) as second:
        chunks = list(second.chat(pushed.proxy_name, [{"role": "user", "content": "Hi"}], options={"num_predict": 4}))
        assert chunks[-1].done and chunks[-1].eval_count


def test_pull_json_summary(pushed: Pushed, empty_server: LocalServer, tmp_path: Path) -> None:
    done = modelkit("pull", "--insecure", "--json", "--progress", "none", pushed.proxy_name,
                    host=empty_server.url, state=tmp_path / "state")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary = json.loads(done.stdout)
    assert summary["name"] == pushed.proxy_name and len(summary["digest"]) == 64
    assert summary["registry"] == pushed.proxy_name.split("/")[0]
    assert [layer["digest"] for layer in summary["layers"]] == pushed.layers
    assert summary["size"] == sum(layer["size"] for layer in summary["layers"])
    assert summary["resumed"] is False


def test_pull_fails_clearly_without_location_header(pushed: Pushed, proxy: BlobProxy, empty_server: LocalServer,
                                                    tmp_path: Path) -> None:
    """What ollama-facts.md says: a plain registry's 200 blob answer breaks Ollama 0.11.4's pull."""
    proxy.state.add_location = False
    try:
        with Ollama(empty_server.url) as second, pytest.raises(Exception) as raw:
            list(second.pull(pushed.proxy_name, insecure=True))
        assert "no Location header in response" in str(raw.value)
        done = modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=tmp_path / "state")
    finally:
        proxy.state.add_location = True
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("modelkit: error: registry ") and "without a redirect" in error and "hint:" in error
    assert "Traceback" not in done.stderr


def test_interrupted_pull_continues_without_refetching(pushed: Pushed, proxy: BlobProxy, empty_server: LocalServer,
                                                       smollm2_gguf: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    big, config = pushed.model_layer, pushed.layers[-1]
    small = [d for d in pushed.layers if d not in (big, config)]
    size = smollm2_gguf.stat().st_size
    blobs = Path(empty_server.models_dir or "") / "blobs"

    # run 1: the model layer trickles in; kill modelkit a third of the way through
    run1 = proxy.state.next_run()
    proxy.state.throttle[big] = 25e6
    try:
        proc = start_modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=state)
        wait_for(lambda: proxy.state.sent_in(big, run1) > 30e6, what="30 MB of the model layer")
        proc.kill()
        out1, err1 = proc.communicate(timeout=30)
    finally:
        proxy.state.throttle.clear()
    assert proc.returncode == -9
    assert_plain(err1)
    part_file = blobs / f"{big.replace(':', '-')}-partial-0"
    wait_for(lambda: part_file.exists() and json.loads(part_file.read_text() or "{}").get("Completed", 0) > 0,
             timeout=30, what="the server to record the partial download")
    kept = json.loads(part_file.read_text())["Completed"]
    assert 20e6 < kept < size
    assert not (blobs / big.replace(":", "-")).exists()  # not complete

    # run 2: the model layer and the small ones finish; the config blob hangs; kill again
    run2 = proxy.state.next_run()
    proxy.state.stall.add(config)
    try:
        proc = start_modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=state)
        wait_for(lambda: any(r.stalled for r in proxy.state.gets(config, run2)), what="the config blob request")
        proc.kill()
        out2, err2 = proc.communicate(timeout=30)
    finally:
        proxy.state.stall.clear()
        proxy.state.released.set()
        time.sleep(0.2)
        proxy.state.released.clear()
    print(err2)
    assert "resuming an interrupted pull" in err2
    assert re.search(rf"pulling {big[7:19]}: resuming: the earlier pull got to [1-9]\d%", err2)
    ranged = [r for r in proxy.state.gets(big, run2) if r.range]
    assert [r.range for r in ranged] == [f"bytes={kept}-{size - 1}"]  # only the missing bytes
    assert ranged[0].status == 206 and ranged[0].sent == size - kept
    assert (blobs / big.replace(":", "-")).exists()

    # run 3: completes; nothing finished before is downloaded again
    run3 = proxy.state.next_run()
    done = modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=state)
    print(done.stderr)
    assert done.returncode == 0, done.stderr
    assert "resuming an interrupted pull" in done.stderr
    assert proxy.state.gets(big, run3) == []
    for d in small:
        assert proxy.state.gets(d, run3) == [], d
    assert proxy.state.gets(config, run3), "the unfinished config blob is fetched"
    total_ranged = sum(r.sent for run in (run1, run2, run3) for r in proxy.state.gets(big, run) if r.range)
    assert total_ranged < size + 2_000_000  # the model layer crossed the wire about once in total
    assert "resumed an interrupted pull" in done.stdout
    listed = {m["name"]: m for m in run_cli(["list", "--json"], env={"OLLAMA_HOST": empty_server.url}).json()}
    assert listed[pushed.proxy_name]["size"] == pushed.size

    # and the record of the unfinished pull is gone: a fresh pull is not called a resume
    again = modelkit("pull", "--insecure", pushed.proxy_name, host=empty_server.url, state=state)
    assert again.returncode == 0 and "resuming" not in again.stderr


@pytest.mark.parametrize("case", ["unknown", "unreachable", "https", "invalid"])
def test_pull_errors_are_one_clear_line(case: str, pushed: Pushed, host: str, tmp_path: Path) -> None:
    registry = pushed.proxy_name.split("/")[0]
    args, code, expect = {
        "unknown": (["--insecure", f"{registry}/library/no-such-model:v1"], 1, "was not found in the registry"),
        "unreachable": (["--insecure", f"127.0.0.1:{free_port()}/library/smol:test"], 1, "cannot reach registry"),
        "https": ([pushed.proxy_name], 1, "--insecure"),
        "invalid": ([f"{registry}/smol:test"], 2, "invalid model name"),
    }[case]
    done = modelkit("pull", *args, host=host, state=tmp_path / "state")
    assert done.returncode == code, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("modelkit: error:")]
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    assert expect in errors[0] and "hint:" in errors[0]
