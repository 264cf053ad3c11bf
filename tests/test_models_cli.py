"""list / ps / show / rm / cp against the real session server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelkit.digests import sha256_file
from modelkit.inventory import ModelEntry, RunningModel, list_models
from modelkit.ollama_api import Ollama
from tests.helpers import unload_all

pytestmark = pytest.mark.integration

MODELKIT = str(Path(sys.executable).with_name("modelkit"))
A, B, C = "mk-list-a:latest", "mk-list-b:v1", "mk-list-c:latest"
LONG_SYSTEM = "You write project progress reports. " * 600  # ~21 KB: makes B the biggest


@pytest.fixture(scope="module")
def listed(api: Ollama, smol_model: str, smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three models with different sizes, quantizations and creation times."""
    from modelkit.testing.tiny_llama import make_tiny_llama

    api.copy(smol_model, A)
    time.sleep(1.1)
    statuses = [p.status for p in api.create(B, from_=smol_model, system=LONG_SYSTEM)]
    assert statuses[-1] == "success"
    time.sleep(1.1)
    tiny = make_tiny_llama(tmp_path_factory.mktemp("tiny") / "m", smollm2_gguf)
    files = {}
    for f in sorted(tiny.iterdir()):
        digest = sha256_file(f)
        if not api.has_blob(digest):
            api.upload_blob(f, digest)
        files[f.name] = digest
    statuses = [p.status for p in api.create(C, files=files)]
    assert statuses[-1] == "success", statuses
    return [A, B, C]


def names(result) -> list[str]:
    assert result.code == 0, result.err
    return [m["name"] for m in result.json()]


def test_list_sorts_filters_and_round_trips(cli, api: Ollama, listed: list[str]) -> None:
    assert sorted(names(cli("list", "--json", "mk-list"))) == [A, B, C]
    assert names(cli("list", "--json", "--sort", "size", "mk-list")) == [B, A, C]
    assert names(cli("list", "--json", "--sort", "size", "--reverse", "mk-list")) == [C, A, B]
    assert names(cli("list", "--json", "--sort", "name", "mk-list")) == [A, B, C]
    assert names(cli("list", "--json", "--sort", "modified", "mk-list")) == [C, B, A]
    assert names(cli("list", "--json", "-s", "modified", "-r", "mk-list")) == [A, B, C]
    assert names(cli("list", "--json", "--sort", "name", "mk-list-?:latest")) == [A, C]  # glob on the full name
    assert names(cli("list", "--json", "--sort", "name", "MK-LIST-*")) == [A, B, C]  # case-insensitive
    assert names(cli("list", "--json", "--sort", "name", "list-a", "list-c")) == [A, C]  # any of several
    assert names(cli("list", "--json", "--quantization", "f16", "mk-list")) == [C]
    assert names(cli("list", "--json", "--sort", "name", "-q", "Q4*", "mk-list")) == [A, B]
    assert names(cli("list", "--json", "--sort", "name", "--family", "llama", "mk-list")) == [A, B, C]
    assert names(cli("list", "--json", "--family", "qwen2", "mk-list")) == []

    # --json round-trips: parse, validate, dump again → the same document; same as the library's view
    raw = cli("list", "--json").out
    doc = json.loads(raw)
    entries = [ModelEntry.model_validate(e) for e in doc]
    assert [e.model_dump(mode="json") for e in entries] == doc
    assert {e.name: e for e in entries} == {e.name: e for e in list_models(api)}
    for e in doc:
        assert isinstance(e["size"], int) and e["modified_at"].endswith("Z") or "+" in e["modified_at"]
    c = next(e for e in entries if e.name == C)
    assert c.quantization == "F16" and c.family == "llama"

    table = cli("list", "--sort", "name", "mk-list")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "FAMILY", "PARAMS", "QUANT", "MODIFIED"]
    assert [line.split()[0] for line in lines[1:]] == [A, B, C]
    assert "F16" in lines[3] and "Q4_1" in lines[1]


def test_ps_shows_split_context_expiry_and_filters(cli, api: Ollama, listed: list[str]) -> None:
    unload_all(api)  # a runner loaded for another model of the same blob would be named after it
    api.load(A, keep_alive="10m")
    try:
        running = cli("ps", "--json", "mk-list")
        assert running.code == 0, running.err
        [entry] = running.json()
        assert entry["name"] == A and entry["processor"] == "100% CPU" and entry["gpu_percent"] == 0
        assert entry["size_vram"] == 0 and entry["size"] > 0 and entry["context_length"] == 4096
        assert "T" in entry["expires_at"]
        assert RunningModel.model_validate(entry).model_dump(mode="json") == entry
        assert cli("ps", "--json", "no-such-model").json() == []
        assert cli("ps", "--json", "--quantization", "F16", "mk-list").json() == []
        assert names(cli("ps", "--json", "--sort", "size", "-q", "q4_1", "mk-list")) == [A]
        table = cli("ps", "mk-list")
        assert A in table.out and "100% CPU" in table.out and "4096" in table.out and "from now" in table.out
    finally:
        api.unload(A)


def test_show_details_modelfile_json_verbose(cli, listed: list[str]) -> None:
    shown = cli("show", B, "--json")
    assert shown.code == 0, shown.err
    d = shown.json()
    assert d["name"] == B and d["system"] == LONG_SYSTEM
    assert d["architecture"] == "llama" and d["context_length"] == 8192 and d["embedding_length"] == 576
    assert d["parameter_count"] == 134515008 and d["quantization"] == "Q4_1"
    assert "completion" in d["capabilities"]
    assert d["parameters"]["stop"] == ["<|im_start|>", "<|im_end|>"]
    assert "<|im_start|>" in d["template"]
    assert d["model_info"]["general.architecture"] == "llama"
    assert d["model_info"]["tokenizer.ggml.tokens"] is None  # elided without --verbose
    assert d["tensors"] is None

    verbose = cli("show", B, "--json", "--verbose").json()
    assert len(verbose["model_info"]["tokenizer.ggml.tokens"]) == 49152
    assert any(t["name"] == "token_embd.weight" for t in verbose["tensors"])

    modelfile = cli("show", B, "--modelfile")
    assert modelfile.code == 0
    assert modelfile.out.startswith("# Modelfile generated") and "\nFROM " in modelfile.out
    assert 'SYSTEM "' in modelfile.out or "SYSTEM " in modelfile.out

    table = cli("show", B)
    assert table.code == 0
    for text in ("Model", "architecture", "Capabilities", "completion", "Parameters", "System", "Template",
                 "Metadata (", "llama.context_length", "more characters; --verbose shows all"):
        assert text in table.out, text
    assert "token_embd.weight" not in table.out
    assert "token_embd.weight" in cli("show", B, "--verbose").out

    missing = cli("show", "no-such-model")
    assert missing.code == 1 and len(missing.err.strip().splitlines()) == 1
    assert "model 'no-such-model' not found" in missing.err


def test_cp_and_rm(cli, api: Ollama, listed: list[str]) -> None:
    done = cli("cp", A, "mk-cp-x")
    assert done.code == 0 and "copied" in done.out
    assert api.exists("mk-cp-x")
    again = cli("cp", A, "mk-cp-x")
    assert again.code == 1 and "already exists" in again.err and "--force" in again.err
    assert cli("cp", "--force", B, "mk-cp-x").code == 0
    assert cli("show", "mk-cp-x", "--json").json()["system"] == LONG_SYSTEM
    assert cli("cp", "--json", A, "mk-cp-y").json() == {"source": A, "destination": "mk-cp-y", "host": api.host}
    missing = cli("cp", "no-such-model", "whatever")
    assert missing.code == 1 and len(missing.err.strip().splitlines()) == 1

    # a missing model: exit 1, one line, and nothing else is removed
    gone = cli("rm", "--yes", "no-such-model")
    assert gone.code == 1 and gone.out == ""
    assert gone.err.strip().splitlines() == [gone.err.strip()] and "model 'no-such-model' not found" in gone.err
    partly = cli("rm", "--yes", "mk-cp-x", "no-such-model")
    assert partly.code == 1 and api.exists("mk-cp-x")

    # no terminal to ask on and no --yes: refuse
    refused = cli("rm", "mk-cp-x")
    assert refused.code == 2 and "--yes" in refused.err and api.exists("mk-cp-x")

    removed = cli("rm", "--yes", "--json", "mk-cp-*")
    assert removed.code == 0 and sorted(removed.json()["removed"]) == ["mk-cp-x:latest", "mk-cp-y:latest"]
    assert not api.exists("mk-cp-x") and not api.exists("mk-cp-y")


def test_rm_asks_on_a_terminal(host: str, api: Ollama, listed: list[str]) -> None:
    api.copy(A, "mk-ask")
    for answer, expect_gone in (("n\n", False), ("y\n", True)):
        master, slave = os.openpty()
        try:
            proc = subprocess.Popen([MODELKIT, "rm", "mk-ask"], stdin=slave, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env={**os.environ, "OLLAMA_HOST": host})
            os.write(master, answer.encode())
            out, err = proc.communicate(timeout=60)
        finally:
            os.close(master)
            os.close(slave)
        assert "Remove 1 model?" in err and "mk-ask:latest" in err
        assert api.exists("mk-ask") is not expect_gone
        assert proc.returncode == (0 if expect_gone else 1), err
