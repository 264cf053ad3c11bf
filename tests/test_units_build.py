"""Unit tests of the build's pure parts: digest cache, lock file, sources, plan decisions, verify."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from modelkit.builder.plan import BuildSpec, decide, prepare
from modelkit.builder.runner import normalize_name
from modelkit.builder.sources import directory_files, resolve_source
from modelkit.builder.verify import verify
from modelkit.digests import DigestCache, sha256_file
from modelkit.errors import UsageError
from modelkit.lockfile import BuildRecord, LockFile
from modelkit.model_details import parse_parameters


def test_digest_cache_hashes_once_and_notices_changes(tmp_path: Path) -> None:
    f = tmp_path / "w.gguf"
    f.write_bytes(b"GGUF" + b"x" * 100)
    cache = DigestCache(tmp_path / "digests.json")
    d = cache.digest(f)
    assert d == sha256_file(f) and cache.stats.hashed_files == 1
    assert cache.digest(f) == d and cache.stats.hashed_files == 1 and cache.stats.cache_hits == 1
    cache.save()
    again = DigestCache(tmp_path / "digests.json")  # a new process
    assert again.lookup(f) == d and again.digest(f) == d and again.stats.hashed_files == 0
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # touched: same size, new mtime
    assert again.lookup(f) is None
    assert again.digest(f) == d and again.stats.hashed_files == 1
    f.write_bytes(b"GGUF" + b"y" * 100)  # same size, new content and mtime
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000))
    assert again.digest(f) != d
    replaced = tmp_path / "new.gguf"
    replaced.write_bytes(b"GGUF" + b"x" * 100)
    os.utime(replaced, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replaced, f)  # same size and mtime as the first version, but a new inode
    assert again.lookup(f) is None


def test_digest_cache_survives_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "digests.json").write_text("{not json")
    f = tmp_path / "a"
    f.write_text("a")
    cache = DigestCache(tmp_path / "digests.json")
    assert cache.digest(f).startswith("sha256:")
    cache.save()
    assert json.loads((tmp_path / "digests.json").read_text())["version"] == 1


def test_lock_file_round_trip_is_sorted_and_a_bad_one_is_a_usage_error(tmp_path: Path) -> None:
    lock = LockFile.load(tmp_path)
    assert lock.targets == {}
    rec = BuildRecord(model="m:latest", model_digest="d" * 64, modelfile_sha256="sha256:1", inputs_hash="sha256:2",
                      inputs={"FROM b": "sha256:b", "ADAPTER a": "sha256:a"})
    lock.record("zeta", "http://h:1", rec)
    lock.record("alpha", "http://h:1", rec)
    text = (tmp_path / "modelkit.lock").read_text()
    assert text.index('"alpha"') < text.index('"zeta"') and text.index('"ADAPTER a"') < text.index('"FROM b"')
    assert LockFile.load(tmp_path).get("zeta", "http://h:1") == rec
    (tmp_path / "modelkit.lock").write_text('{"version": 99}')
    with pytest.raises(UsageError) as e:
        LockFile.load(tmp_path)
    assert e.value.exit_code == 2 and "unsupported version" in e.value.message


def test_sources_follow_the_cli_rules(tmp_path: Path) -> None:
    st = tmp_path / "model"
    st.mkdir()
    for name in ("model-00001.safetensors", "config.json", "tokenizer.json", "tokenizer.model", "README.md"):
        (st / name).write_bytes(b"\x00\x01" if name.endswith(".safetensors") else b"{}")
    (st / "sub").mkdir()
    (st / "sub" / "extra.json").write_text("{}")
    assert list(directory_files(st)) == ["config.json", "model-00001.safetensors", "sub/extra.json", "tokenizer.json"]
    src = resolve_source("model", tmp_path)
    assert src.kind == "safetensors" and src.path == st.resolve()
    assert resolve_source("llama3.2:1b", tmp_path).kind == "model"
    with pytest.raises(UsageError, match="not a GGUF file"):
        resolve_source("model/config.json", tmp_path)
    with pytest.raises(UsageError, match="ADAPTER missing"):
        resolve_source("missing", tmp_path, adapter=True)
    g = tmp_path / "w.gguf"
    g.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert resolve_source(str(g), Path("/")).files == {"w.gguf": g.resolve()}
    linked = tmp_path / "hf-snapshot"
    linked.mkdir()
    (linked / "config.json").symlink_to(st / "config.json")
    (linked / "model.safetensors").symlink_to(st / "model-00001.safetensors")
    assert set(resolve_source(str(linked), tmp_path).files) == {"config.json", "model.safetensors"}


def test_decide_explains_what_changed(tmp_path: Path) -> None:
    g = tmp_path / "w.gguf"
    g.write_bytes(b"GGUF1")
    cache = DigestCache(tmp_path / "d.json")
    spec = BuildSpec(id="t", name="m", modelfile_text="FROM w.gguf\nSYSTEM a", base_dir=tmp_path, from_="w.gguf",
                     fields={"system": "a"})
    prep = prepare(spec, cache)
    assert prep.request == {"files": {"w.gguf": sha256_file(g)}, "system": "a"}
    rec = BuildRecord(model="m", model_digest="d" * 64, modelfile_sha256=prep.modelfile_sha256,
                      inputs_hash=prep.inputs_hash, inputs=prep.inputs)
    assert decide(prep, rec, "d" * 64, force=False) == (False, "up to date")
    assert decide(prep, rec, "d" * 64, force=True) == (True, "--force")
    assert decide(prep, None, None, force=False) == (True, "never built on this server")
    assert "missing on the server" in decide(prep, rec, None, force=False)[1]
    assert "model on the server changed" in decide(prep, rec, "e" * 64, force=False)[1]
    g.write_bytes(b"GGUF2")
    changed = prepare(spec, cache)
    assert decide(changed, rec, "d" * 64, force=False) == (True, "changed: FROM w.gguf")
    spec.modelfile_text, spec.fields = "FROM w.gguf\nSYSTEM b", {"system": "b"}
    assert decide(prepare(spec, cache), rec, "d" * 64, force=False)[1].startswith("rendered Modelfile changed")
    spec.quantize = "q8_0"
    spec.modelfile_text = "FROM w.gguf\nSYSTEM a"
    spec.fields = {"system": "a"}
    g.write_bytes(b"GGUF1")
    assert decide(prepare(spec, cache), rec, "d" * 64, force=False) == (True, "create request changed")


def test_verify_compares_what_was_sent_with_show() -> None:
    shown = {
        "parameters": 'num_ctx                        2048\nstop                           "<|im_end|>"\n'
                      'stop                           "say \\"hi\\""\ntemperature                    0.2',
        "system": "S", "template": "T", "messages": [{"role": "user", "content": "hi"}],
        "modelfile": "FROM /m/blobs/sha256-aaa\nADAPTER /m/blobs/sha256-" + "b" * 64 + "\n",
        "details": {"quantization_level": "Q8_0"},
    }
    assert parse_parameters(shown["parameters"]) == {"num_ctx": 2048, "stop": ["<|im_end|>", 'say "hi"'],
                                                     "temperature": 0.2}
    request = {"parameters": {"num_ctx": 2048, "stop": ["<|im_end|>", 'say "hi"'], "temperature": 0.2},
               "system": "S", "template": "T", "messages": [{"role": "user", "content": "hi"}],
               "adapters": {"l.gguf": "sha256:" + "b" * 64}, "quantize": "q8_0"}
    assert verify(request, shown) == []
    bad = {**request, "system": "X", "parameters": {"temperature": 0.3, "top_k": 4},
           "adapters": {"l.gguf": "sha256:" + "c" * 64}, "quantize": "q4_K_M"}
    problems = verify(bad, shown)
    assert len(problems) == 5, problems


def test_normalize_name() -> None:
    assert normalize_name("smol") == "smol:latest"
    assert normalize_name("me/smol:v1") == "me/smol:v1"
    assert normalize_name("registry.ollama.ai/library/smol") == "smol:latest"
    assert normalize_name("localhost:5000/me/x") == "localhost:5000/me/x:latest"
