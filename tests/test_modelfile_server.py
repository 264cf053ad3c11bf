"""Parity with the real thing: the ollama CLI v0.11.4 (`ollama create -f`) and the server.

A Modelfile that lint accepts, sent as modelkit's ``create_fields``, must produce the same
model as ``ollama create`` does with the same file: /api/show returns the same parameters,
system, template, messages and license. Modelfiles the CLI rejects are rejected by modelkit
with the CLI's own message.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modelkit import paths
from modelkit.modelfile import Modelfile, ModelfileSyntaxError
from modelkit.ollama_api import Ollama

pytestmark = pytest.mark.integration

#: every instruction and all 19 parameters, in awkward spellings
PARITY = r'''# parity check: everything the grammar allows
from {base}
Template """{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
SYSTEM """He said "hi".
# this line is not a comment
  indented, with trailing spaces  """
system "  the last SYSTEM wins  "
PARAMETER num_ctx 2048
PARAMETER num_batch 256
PARAMETER num_gpu 0
PARAMETER main_gpu 0
PARAMETER use_mmap True
PARAMETER num_thread 2
PARAMETER num_keep 4
PARAMETER seed -1
parameter num_predict 16
PARAMETER top_k +40
PARAMETER top_p .9
PARAMETER min_p 1e-3
PARAMETER typical_p 1_0.0
PARAMETER repeat_last_n 64
PARAMETER temperature 0.1234567891
PARAMETER temperature 0.7
PARAMETER repeat_penalty 0x1.2p0
PARAMETER presence_penalty 0
PARAMETER frequency_penalty -0.5
PARAMETER stop <|im_end|>
PARAMETER stop "  spaced  "
PARAMETER stop """say "stop" """
PARAMETER mirostat 2
MESSAGE user Hello "there"
MESSAGE assistant """two
lines"""
LICENSE MIT
LICENSE """second
license"""
'''


def ollama_cli(host: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = paths.ollama_binary()
    assert exe, "the ollama binary is needed for parity tests (scripts/install-ollama.sh)"
    env = {**os.environ, "OLLAMA_HOST": host}
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def create_with_fields(api: Ollama, name: str, mf: Modelfile) -> None:
    statuses = [p.status for p in api.create(name, **mf.create_fields())]
    assert statuses[-1] == "success", statuses


def shown_parameters(show: dict[str, Any]) -> dict[str, Any]:
    """/api/show's ``parameters`` text (``%-30s %#v`` lines, map order) as a dict."""
    out: dict[str, Any] = {}
    for line in show.get("parameters", "").splitlines():
        key, _, raw = line.partition(" ")
        value = json.loads(raw.strip())
        if key == "stop":
            out.setdefault("stop", []).append(value)
        else:
            out[key] = value
    return out


def test_create_fields_match_ollama_create(api: Ollama, host: str, smol_model: str, tmp_path: Path):
    text = PARITY.format(base=smol_model)
    mf = Modelfile.parse(text, base_dir=tmp_path)
    assert not mf.errors(), mf.errors()
    assert [d.code for d in mf.diagnostics] == ["overridden", "deprecated-parameter"]
    assert len(mf.params) == 19

    create_with_fields(api, "parity-modelkit:latest", mf)
    (tmp_path / "Modelfile").write_text(text)
    done = ollama_cli(host, "create", "parity-cli:latest", "-f", str(tmp_path / "Modelfile"))
    assert done.returncode == 0, done.stderr
    assert "warning: parameter mirostat is deprecated" in done.stdout + done.stderr

    ours, theirs = api.show("parity-modelkit:latest"), api.show("parity-cli:latest")
    for key in ("system", "template", "license", "messages"):
        assert ours.get(key) == theirs.get(key), key
    assert sorted(ours["parameters"].splitlines()) == sorted(theirs["parameters"].splitlines())

    # …and both hold what the Modelfile says
    assert ours["system"] == "  the last SYSTEM wins  "
    assert ours["template"] == mf.template.value
    assert ours["messages"] == [{"role": "user", "content": 'Hello "there"'},
                                {"role": "assistant", "content": "two\nlines"}]
    assert ours["license"] == "MIT\nsecond\nlicense"
    shown = shown_parameters(ours)
    assert shown == mf.params
    assert shown["stop"] == ["<|im_end|>", "  spaced  ", 'say "stop" ']
    assert shown["temperature"] == 0.7 and shown["repeat_penalty"] == 1.125 and shown["typical_p"] == 10.0


def test_written_modelfile_creates_the_same_model(api: Ollama, host: str, smol_model: str, tmp_path: Path):
    """The canonical text modelkit writes, given to `ollama create`, yields modelkit's model."""
    mf = Modelfile.parse(PARITY.format(base=smol_model), base_dir=tmp_path)
    (tmp_path / "Modelfile").write_text(mf.to_text())
    done = ollama_cli(host, "create", "parity-written:latest", "-f", str(tmp_path / "Modelfile"))
    assert done.returncode == 0, done.stderr
    create_with_fields(api, "parity-modelkit2:latest", mf)
    a, b = api.show("parity-written:latest"), api.show("parity-modelkit2:latest")
    for key in ("system", "template", "license", "messages"):
        assert a.get(key) == b.get(key)
    assert sorted(a["parameters"].splitlines()) == sorted(b["parameters"].splitlines())


@pytest.mark.parametrize(("body", "message"), [
    ("PARAMETER seed 1\n", "no FROM line"),
    ("FROM {base}\nFOO bar\n", 'command must be one of "from"'),
    ("FROM {base}\nMESSAGE User hi\n", 'message role must be one of "system", "user", or "assistant"'),
    ('FROM {base}\nSYSTEM "never closed\n', "unexpected EOF"),
    ("FROM {base}\nPARAMETER top-k 1\n", "unexpected EOF: top"),
    ("FROM {base}\nPARAMETER temprature 0.5\n", "unknown parameter 'temprature'"),
    ("FROM {base}\nPARAMETER num_ctx 1.5\n", "invalid int value [1.5]"),
    ("FROM {base}\nPARAMETER use_mmap yes\n", "invalid bool value [yes]"),
    ("FROM {base}\nPARAMETER temperature 1e39\n", "invalid float value [1e39]"),
    ("FROM {base}\nPARAMETER temperature nan\n", "json: unsupported value: NaN"),
])
def test_rejected_by_both_with_the_same_message(host: str, smol_model: str, tmp_path: Path, body: str, message: str):
    text = body.format(base=smol_model)
    (tmp_path / "Modelfile").write_text(text)
    done = ollama_cli(host, "create", "never-created:latest", "-f", str(tmp_path / "Modelfile"))
    assert done.returncode != 0 and message in done.stderr, done.stderr
    try:
        mf = Modelfile.parse(text)
    except ModelfileSyntaxError as e:
        assert message in e.ollama_message
    else:
        assert any(message in d.message for d in mf.errors())


def test_server_does_not_check_parameter_types(api: Ollama, smol_model: str):
    """Why lint types PARAMETERs: the server stores a wrong type at create without complaint."""
    statuses = [p.status for p in api.create("bad-type:latest", from_=smol_model, parameters={"num_ctx": "lots"})]
    assert statuses[-1] == "success"
    assert "lots" in api.show("bad-type:latest")["parameters"]


def test_empty_system_does_not_clear_the_base_system(api: Ollama, host: str, smol_model: str, tmp_path: Path):
    """Why lint warns about SYSTEM "": neither the CLI nor modelkit sends it, so the base's stays."""
    create_with_fields(api, "with-system:latest", Modelfile.parse(f"FROM {smol_model}\nSYSTEM keep me\n"))
    text = 'FROM with-system:latest\nSYSTEM ""\n'
    mf = Modelfile.parse(text)
    assert [d.code for d in mf.diagnostics] == ["empty-system"] and "system" not in mf.create_fields()
    create_with_fields(api, "empty-system-modelkit:latest", mf)
    (tmp_path / "Modelfile").write_text(text)
    assert ollama_cli(host, "create", "empty-system-cli:latest", "-f", str(tmp_path / "Modelfile")).returncode == 0
    assert api.show("empty-system-modelkit:latest")["system"] == "keep me"
    assert api.show("empty-system-cli:latest")["system"] == "keep me"
