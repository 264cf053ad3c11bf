"""The build library against the real server: every weight kind, verification, no-op rebuilds,
safety when the server dies mid-create, and the per-project file lock.

These tests drive ``modelkit.builder.run_build`` with ``BuildSpec``s directly (no project file),
so they exercise exactly the create requests for each kind of weights; ``test_build_cli.py``
drives ``modelkit build`` on projects.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from modelkit.builder import BuildOptions, BuildSpec, run_build
from modelkit.model_details import parse_parameters
from modelkit.errors import ModelkitError
from modelkit.lockfile import LockFile
from modelkit.ollama_api import Ollama
from tests.conftest import start_server

pytestmark = pytest.mark.integration

OPTS = {"temperature": 0, "seed": 7, "num_predict": 8}


def reply(api: Ollama, model: str, prompt: str = "Name three colours.") -> str:
    chunks = api.chat(model, [{"role": "user", "content": prompt}], options=OPTS)
    return "".join(c.message.content or "" for c in chunks)


def spec(id: str, name: str, from_: str | Path, base_dir: Path, **kw) -> BuildSpec:
    text = f"FROM {from_}\n" + "".join(f"# {k}={v}\n" for k, v in sorted(kw.items()))
    return BuildSpec(id=id, name=name, modelfile_text=text, base_dir=base_dir, from_=str(from_), **kw)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    d = tmp_path / "project"
    d.mkdir()
    return d


def test_every_weight_kind_builds_verifies_and_adapters_change_output(
        api: Ollama, host: str, project: Path, smollm2_gguf: Path, smol_lora_gguf: Path, tiny_llama_dir: Path,
        tiny_peft_dir: Path, smol_f16_gguf: Path) -> None:
    specs = [
        spec("smol", "bw-smol", smollm2_gguf, project, fields={
            "system": "You answer briefly.", "parameters": {"temperature": 0.3, "num_ctx": 2048,
                                                            "stop": ["<|im_end|>", "###"]}}),
        spec("smol-lora", "bw-smol-lora:v1", "bw-smol", project, adapters=[str(smol_lora_gguf)]),
        spec("tiny", "bw-tiny", tiny_llama_dir, project, fields={"parameters": {"top_k": 20}}),
        spec("tiny-peft", "bw-tiny-peft", "bw-tiny", project, adapters=[str(tiny_peft_dir)]),
        spec("smol-q8", "bw-smol-q8", smol_f16_gguf, project, quantize="q8_0"),
    ]
    report = run_build(specs, project, BuildOptions(host=host, jobs=2))
    assert [t.status for t in report.targets] == ["built"] * 5, report.model_dump_json(indent=1)
    assert report.stats.creates == 5

    smol = api.show("bw-smol")
    assert smol["system"] == "You answer briefly."
    params = parse_parameters(smol["parameters"])
    assert float(params["temperature"]) == pytest.approx(0.3)
    assert params["num_ctx"] == 2048 and params["stop"] == ["<|im_end|>", "###"]

    lora = api.show("bw-smol-lora:v1")
    assert "ADAPTER " in lora["modelfile"] and smol_lora_gguf.name not in lora["modelfile"]
    assert smol_lora_gguf and lora["system"] == "You answer briefly."  # inherited from the FROM model
    peft = api.show("bw-tiny-peft")
    assert "ADAPTER " in peft["modelfile"]
    assert api.show("bw-tiny")["details"]["family"] == "llama"  # converted from safetensors by the server
    assert api.show("bw-smol-q8")["details"]["quantization_level"] == "Q8_0"

    # the adapters are really applied: same prompt, seed and temperature 0, different output
    assert reply(api, "bw-smol") != reply(api, "bw-smol-lora:v1")
    assert reply(api, "bw-tiny") != reply(api, "bw-tiny-peft")
    assert reply(api, "bw-smol-q8").strip()

    lock = json.loads((project / "modelkit.lock").read_text())
    assert set(lock["targets"]) == {"smol", "smol-lora", "tiny", "tiny-peft", "smol-q8"}
    rec = lock["targets"]["smol-lora"][host]
    assert rec["model"] == "bw-smol-lora:v1" and len(rec["model_digest"]) == 64
    assert rec["inputs"]["FROM bw-smol"] == lock["targets"]["smol"][host]["model_digest"]

    # straight after: nothing hashed, uploaded or created
    hashed: list[str] = []
    import modelkit.digests as digests_mod

    real_sha = digests_mod.sha256_file
    digests_mod.sha256_file = lambda p: hashed.append(str(p)) or real_sha(p)  # type: ignore[assignment]
    calls: list[str] = []
    real_create, real_upload = Ollama.create, Ollama.upload_blob
    Ollama.create = lambda self, *a, **k: calls.append("create") or real_create(self, *a, **k)  # type: ignore
    Ollama.upload_blob = lambda self, *a, **k: calls.append("upload") or real_upload(self, *a, **k)  # type: ignore
    try:
        again = run_build(specs, project, BuildOptions(host=host, jobs=2))
    finally:
        digests_mod.sha256_file = real_sha  # type: ignore[assignment]
        Ollama.create, Ollama.upload_blob = real_create, real_upload  # type: ignore[method-assign]
    assert [t.status for t in again.targets] == ["skipped"] * 5
    assert hashed == [] and calls == []
    assert again.stats.hashed_files == 0 and again.stats.uploaded_blobs == 0 and again.stats.creates == 0
    assert again.stats.blobs_checked == 0

    # a rebuilt base makes its dependant rebuild too (its FROM digest changed)
    specs[0].fields["system"] = "You answer in one word."
    third = run_build(specs, project, BuildOptions(host=host))
    status = {t.id: t.status for t in third.targets}
    assert status == {"smol": "built", "smol-lora": "built", "tiny": "skipped", "tiny-peft": "skipped",
                      "smol-q8": "skipped"}
    assert "FROM bw-smol" in next(t.reason for t in third.targets if t.id == "smol-lora")
    assert third.stats.uploaded_blobs == 0


def test_missing_model_is_rebuilt_and_dry_run_sends_nothing(api: Ollama, host: str, project: Path,
                                                             smollm2_gguf: Path) -> None:
    specs = [spec("a", "bw-dry-a", smollm2_gguf, project, fields={"system": "A"})]
    dry = run_build(specs, project, BuildOptions(host=host, dry_run=True))
    assert dry.targets[0].status == "would-build" and dry.targets[0].reason == "never built on this server"
    assert not api.exists("bw-dry-a") and not (project / "modelkit.lock").exists()
    assert run_build(specs, project, BuildOptions(host=host)).targets[0].status == "built"
    api.delete("bw-dry-a")
    dry = run_build(specs, project, BuildOptions(host=host, dry_run=True))
    assert dry.targets[0].status == "would-build" and "missing on the server" in dry.targets[0].reason
    assert run_build(specs, project, BuildOptions(host=host)).targets[0].status == "built"
    forced = run_build(specs, project, BuildOptions(host=host, force=True))
    assert forced.targets[0].status == "built" and forced.targets[0].reason == "--force"


def test_a_failed_create_keeps_the_previous_model_and_the_lock(api: Ollama, host: str, project: Path,
                                                               smollm2_gguf: Path, tiny_peft_dir: Path) -> None:
    good = [spec("t", "bw-keep", smollm2_gguf, project, fields={"system": "v1"})]
    assert run_build(good, project, BuildOptions(host=host)).targets[0].status == "built"
    before = (project / "modelkit.lock").read_text()
    digest = {m.model: m.digest for m in api.list()}["bw-keep:latest"]
    # a 4-bit source cannot be quantized: the server refuses after the blobs are there
    bad = [spec("t", "bw-keep", smollm2_gguf, project, fields={"system": "v2"}, quantize="q8_0")]
    report = run_build(bad, project, BuildOptions(host=host))
    assert report.targets[0].status == "failed" and report.targets[0].error
    assert {m.model: m.digest for m in api.list()}["bw-keep:latest"] == digest
    assert api.show("bw-keep")["system"] == "v1" and reply(api, "bw-keep").strip()
    assert (project / "modelkit.lock").read_text() == before


def test_server_dying_mid_create_leaves_the_previous_model_working(tmp_path: Path, project: Path,
                                                                   smollm2_gguf: Path, smol_f16_gguf: Path) -> None:
    from modelkit.server import LocalServer

    base = tmp_path / "dying"
    server = start_server(base)
    v1 = [spec("m", "bw-die", smollm2_gguf, project, fields={"system": "v1"})]
    assert run_build(v1, project, BuildOptions(host=server.url)).targets[0].status == "built"
    lock_before = (project / "modelkit.lock").read_text()

    v2 = [spec("m", "bw-die", smol_f16_gguf, project, fields={"system": "v2"}, quantize="q8_0")]
    seen = threading.Event()

    def on_event(e) -> None:
        if e.phase == "create" and "quantiz" in e.text:
            seen.set()

    def kill_when_quantizing() -> None:
        if seen.wait(600):
            server.stop(timeout=0.1)  # SIGTERM then SIGKILL of the whole process group

    killer = threading.Thread(target=kill_when_quantizing, daemon=True)
    killer.start()
    report = run_build(v2, project, BuildOptions(host=server.url), on_event=on_event)
    killer.join(5)
    assert seen.is_set(), "the create never reached quantizing"
    assert report.targets[0].status == "failed"
    assert (project / "modelkit.lock").read_text() == lock_before
    LockFile.load(project)  # parses

    again = LocalServer(models_dir=base / "models", home=base / "home", log_path=base / "serve-2.log")
    again.start(timeout=120)
    try:
        with Ollama(again.url) as api2:
            assert api2.show("bw-die")["system"] == "v1"
            assert reply(api2, "bw-die").strip()
    finally:
        again.stop()


def test_two_builds_of_one_project_serialize(host: str, project: Path, smollm2_gguf: Path) -> None:
    from filelock import FileLock

    specs = [spec("s", "bw-serial", smollm2_gguf, project)]
    (project / ".modelkit").mkdir()
    held = FileLock(str(project / ".modelkit" / "build.lock"))
    held.acquire()
    try:
        events: list[str] = []
        with pytest.raises(ModelkitError, match="another `modelkit build` of this project"):
            run_build(specs, project, BuildOptions(host=host, lock_timeout=0.3), on_event=lambda e: events.append(e.text))
        assert any("waiting for another build" in t for t in events)
        result: list = []
        t = threading.Thread(target=lambda: result.append(run_build(specs, project, BuildOptions(host=host))))
        t.start()
        time.sleep(0.5)
        assert t.is_alive() and not result  # blocked on the lock, nothing done
    finally:
        held.release()
    t.join(300)
    assert result and result[0].targets[0].status == "built"
