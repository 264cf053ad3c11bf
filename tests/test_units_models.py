"""Unit tests of model management: names, references, selection, parsing, progress lines, errors.

The one fake here (pytest-httpserver standing in for Ollama) only checks the exact payload
that `pull hf.co/...` sends; the real-server tests are in test_pull_registry.py / test_hub.py.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from modelkit.errors import ModelkitError, ServerError, UsageError
from modelkit.hub import HFRef
from modelkit.inventory import ModelEntry, RunningModel, name_matches, select, sort_models
from modelkit.model_details import details_from_show, parse_parameters
from modelkit.progress import Progress, Status
from modelkit.pulling import ModelName, _explain
from tests.helpers import run_cli


@pytest.mark.parametrize("name, parts", [
    ("qwen3", ("registry.ollama.ai", "library", "qwen3", "latest")),
    ("qwen3:0.6b", ("registry.ollama.ai", "library", "qwen3", "0.6b")),
    ("me/mine:v2", ("registry.ollama.ai", "me", "mine", "v2")),
    ("localhost:5000/library/smol:test", ("localhost:5000", "library", "smol", "test")),
    ("localhost:5000/library/smol", ("localhost:5000", "library", "smol", "latest")),
    ("hf.co/acme/repo-GGUF:Q4_K_M", ("hf.co", "acme", "repo-GGUF", "Q4_K_M")),
])
def test_model_name_parse(name: str, parts: tuple[str, str, str, str]) -> None:
    n = ModelName.parse(name)
    assert (n.host, n.namespace, n.model, n.tag) == parts


@pytest.mark.parametrize("ref, repo, path, rev", [
    ("hf://acme/repo", "acme/repo", None, None),
    ("hf://acme/repo/", "acme/repo", None, None),
    ("hf://acme/repo/model.Q4_K_M.gguf", "acme/repo", "model.Q4_K_M.gguf", None),
    ("hf://acme/repo/sub/dir/m.gguf", "acme/repo", "sub/dir/m.gguf", None),
    ("hf://acme/repo@v1.0/m.gguf", "acme/repo", "m.gguf", "v1.0"),
    ("hf://acme/repo@0123abcd", "acme/repo", None, "0123abcd"),
])
def test_hf_ref_parse(ref: str, repo: str, path: str | None, rev: str | None) -> None:
    r = HFRef.parse(ref)
    assert (r.repo_id, r.path, r.revision) == (repo, path, rev)
    assert HFRef.parse(str(r)) == r


@pytest.mark.parametrize("ref", ["hf://", "hf://acme", "hf://acme/repo@/x", "hf://acme/repo/../x", "acme/repo"])
def test_hf_ref_rejects(ref: str) -> None:
    with pytest.raises(UsageError):
        HFRef.parse(ref)


def test_hf_ref_glob() -> None:
    assert HFRef.parse("hf://a/b/*Q4_K_M.gguf").is_glob and not HFRef.parse("hf://a/b/x.gguf").is_glob


def _entry(name: str, size: int, family: str | None = "llama", quant: str | None = "Q4_K_M",
           modified: datetime | None = None, families: list[str] | None = None) -> ModelEntry:
    return ModelEntry(name=name, id="0" * 12, digest="0" * 64, size=size, family=family, families=families,
                      quantization=quant, modified_at=modified)


def test_select_and_sort() -> None:
    t = lambda d: datetime(2025, 1, d, tzinfo=timezone.utc)  # noqa: E731
    models = [_entry("qwen2.5:7b", 4_700, "qwen2", "Q4_K_M", t(3)),
              _entry("llava:latest", 4_500, "llama", "Q4_0", t(1), ["llama", "clip"]),
              _entry("smol:latest", 98, "llama", "Q4_1", None),
              _entry("Big:f16", 14_000, "llama", "F16", t(2))]
    pick = lambda **kw: [m.name for m in select(models, **kw)]  # noqa: E731
    assert pick(patterns=["QWEN"]) == ["qwen2.5:7b"]
    assert pick(patterns=["*:latest"]) == ["llava:latest", "smol:latest"]
    assert pick(patterns=["smol"]) == pick(patterns=["smol*"]) == pick(patterns=["sm?l"]) == ["smol:latest"]
    assert pick(family="clip") == ["llava:latest"]  # matched against families too
    assert pick(family="LLAMA", quantization="q4*") == ["llava:latest", "smol:latest"]
    assert pick(quantization="f16") == ["Big:f16"]
    assert pick(quantization="Q4") == []  # not a substring: exact or glob

    order = lambda key, rev=False: [m.name for m in sort_models(models, key, reverse=rev)]  # noqa: E731
    assert order("name") == ["Big:f16", "llava:latest", "qwen2.5:7b", "smol:latest"]
    assert order("size") == ["Big:f16", "qwen2.5:7b", "llava:latest", "smol:latest"]
    assert order("size", True) == ["smol:latest", "llava:latest", "qwen2.5:7b", "Big:f16"]
    assert order("modified") == ["qwen2.5:7b", "Big:f16", "llava:latest", "smol:latest"]  # unknown last
    with pytest.raises(ValueError):
        sort_models(models, "colour")

    running = [RunningModel(name="b", id="", digest="", size=10, size_vram=10, expires_at=t(2)),
               RunningModel(name="a", id="", digest="", size=20, size_vram=5, expires_at=t(1))]
    assert [m.name for m in sort_models(running, "until")] == ["a", "b"]
    assert running[1].processor == "75%/25% CPU/GPU" and running[0].processor == "100% GPU"
    assert running[1].model_dump()["gpu_percent"] == 25


def test_name_matches_latest_is_optional_for_globs() -> None:
    assert name_matches("smol:latest", "smol") and name_matches("smol:latest", "s*l")
    assert not name_matches("smol:v1", "s*l")


def test_parse_parameters_types() -> None:
    text = ('stop                           "<|im_start|>"\nstop                           "a\\"b"\n'
            "temperature                    0.7\nnum_ctx                        8192\nuse_mmap                       true\n"
            "top_k                          40\nunknown_thing                  \"x\"\n")
    assert parse_parameters(text) == {"stop": ["<|im_start|>", 'a"b'], "temperature": 0.7, "num_ctx": 8192,
                                      "use_mmap": True, "top_k": 40, "unknown_thing": "x"}
    assert parse_parameters(None) == {}
    assert parse_parameters('stop "<|im_end|>"\ntemperature 1') == {"stop": ["<|im_end|>"], "temperature": 1.0}


def test_details_from_show() -> None:
    doc = {"details": {"family": "llama", "quantization_level": "Q4_1", "parameter_size": "134.52M"},
           "model_info": {"general.architecture": "llama", "llama.context_length": 8192,
                          "llama.embedding_length": 576, "general.parameter_count": 134515008},
           "capabilities": ["completion"], "parameters": "temperature 0.1", "license": ["MIT", "Apache"],
           "modified_at": "2025-01-02T03:04:05.5+01:00"}
    d = details_from_show("m", doc)
    assert (d.architecture, d.context_length, d.embedding_length, d.parameter_count) == ("llama", 8192, 576, 134515008)
    assert d.parameters == {"temperature": 0.1} and d.license == "MIT\nApache" and d.modified_at.year == 2025


def test_plain_progress_lines_are_throttled_and_plain() -> None:
    from modelkit.cli.progress import PlainProgress

    out = io.StringIO()
    view = PlainProgress(out)
    view(Status("pulling manifest"))
    view(Status("pulling manifest"))  # repeated status: once
    for done in range(0, 1001, 7):
        view(Progress(key="sha256:ab", label="pulling abcdef012345", completed=done * 1000, total=1_000_000))
    view(Progress(key="sha256:ab", label="pulling abcdef012345", completed=1_000_000, total=1_000_000))
    view(Progress(key="x", label="x.bin", completed=5, total=None))
    view(Progress(key="x", label="x.bin", completed=9, total=None))
    view(Progress(key="f", label="files", completed=1, total=3, unit="files", note="resuming"))
    view(Status("success"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "pulling manifest" and lines[-1] == "success"
    layer = [line for line in lines if line.startswith("pulling abc")]
    assert layer[0] == "pulling abcdef012345 0% 0 B / 1.0 MB" and layer[-1] == "pulling abcdef012345 100% 1.0 MB / 1.0 MB"
    assert len(layer) == 11  # 0 %, then one line per 10 %, and 100 % once
    assert [line for line in lines if line.startswith("x.bin")] == ["x.bin ? 5 B"]
    assert "files: resuming" in lines and "files 33% 1/3 files" in lines
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


@pytest.mark.parametrize("text, kind, expect", [
    ("invalid model name", UsageError, "invalid model name"),
    ("pull model manifest: file does not exist", ModelkitError, "was not found in the registry localhost:5000"),
    ('pull model manifest: Get "http://localhost:5000/v2/library/x/manifests/y": dial tcp 127.0.0.1:5000: connect: '
     "connection refused", ModelkitError, "cannot reach registry localhost:5000: connection refused"),
    ('pull model manifest: Get "https://nope.example/v2/x/y/manifests/z": dial tcp: lookup nope.example on '
     "10.0.0.53:53: no such host", ModelkitError, "cannot resolve nope.example"),
    ('pull model manifest: Get "https://localhost:5000/v2/library/x/manifests/y": http: server gave HTTP response '
     "to HTTPS client", ModelkitError, "speaks plain http"),
    ("http: no Location header in response", ModelkitError, "without a redirect"),
    ("something new went wrong", ModelkitError, "pull of 'localhost:5000/library/x:y' failed: something new"),
])
def test_pull_errors_explained(text: str, kind: type, expect: str) -> None:
    host = "http://127.0.0.1:11434"
    name = "localhost:5000/library/x:y"
    err = _explain(ServerError(f"{host}: {text}", status_code=400 if "invalid" in text else -1), host, name,
                   ModelName.parse(name), insecure=False)
    assert type(err) is kind and expect in err.one_line() and err.hint


def test_hf_co_names_go_to_the_server(httpserver) -> None:
    """Ollama's own hf.co/... names are the server's business: modelkit sends them to /api/pull as is."""
    stream = "\n".join(json.dumps(x) for x in [
        {"status": "pulling manifest"},
        {"status": "pulling 0123456789ab", "digest": "sha256:" + "0" * 64, "total": 10, "completed": 10},
        {"status": "success"}]) + "\n"
    httpserver.expect_request("/api/pull", method="POST").respond_with_data(stream, content_type="application/x-ndjson")
    httpserver.expect_request("/api/tags").respond_with_json({"models": []})
    result = run_cli(["pull", "hf.co/acme/repo-GGUF:Q4_K_M", "--json", "--host", httpserver.url_for("/")])
    assert result.code == 0, result.err
    [pull, _] = httpserver.log
    assert json.loads(pull[0].data) == {"model": "hf.co/acme/repo-GGUF:Q4_K_M", "insecure": False, "stream": True}
    assert result.json()["registry"] == "hf.co"
