"""`modelkit build` on real projects against the real server: build and verify, no-op rebuild,
one changed variable, lint errors, plain CI output, and SIGKILL of a build mid-create."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modelkit.model_details import parse_parameters
from modelkit.lockfile import LockFile
from modelkit.ollama_api import Ollama

pytestmark = pytest.mark.integration

TEMPLATE = """\
# {{ name }} ({{ target }})
FROM {{ from | quote }}
{% if adapter %}
ADAPTER {{ adapter | quote }}
{% endif %}
SYSTEM {{ system | quote }}
{% if temperature is defined %}
PARAMETER temperature {{ temperature }}
{% endif %}
PARAMETER stop "<|im_end|>"
"""

PROJECT = """\
[project]
templates = "modelfiles"
adapters = "adapters"

[defaults]
template = "m.Modelfile.j2"
from = "{{{{ weights }}}}"
vars = {{ weights = "{weights}", system = "You are terse." }}

[targets.plain]
name = "cli-plain"
vars = {{ system = "{plain_system}", temperature = 0.2 }}

[targets.grid]
name = "cli-grid:t{{{{ temperature }}}}"
matrix = {{ temperature = [0.2, 0.7] }}

[targets.lora]
name = "cli-lora"
adapter = "demo"
vars = {{ temperature = 0.2 }}
"""

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def write_project(d: Path, weights: Path, lora: Path, plain_system: str = "You answer in one line.") -> Path:
    (d / "modelfiles").mkdir(parents=True, exist_ok=True)
    (d / "adapters").mkdir(exist_ok=True)
    (d / "modelfiles" / "m.Modelfile.j2").write_text(TEMPLATE)
    if not (d / "adapters" / "demo.gguf").exists():
        shutil.copy(lora, d / "adapters" / "demo.gguf")
    (d / "modelkit.toml").write_text(PROJECT.format(weights=weights, plain_system=plain_system))
    return d


def statuses(report: dict) -> dict[str, str]:
    return {t["id"]: t["status"] for t in report["targets"]}


def test_build_skip_and_rebuild_exactly_what_changed(cli, api: Ollama, host: str, tmp_path: Path,
                                                      smollm2_gguf: Path, smol_lora_gguf: Path) -> None:
    proj = write_project(tmp_path / "p", smollm2_gguf, smol_lora_gguf)
    dry = cli("build", "--project", str(proj), "--dry-run", "--progress", "none")
    assert dry.code == 0, dry.err
    assert dry.out.count("would-build") == 4 and not api.exists("cli-plain")

    r = cli("build", "--project", str(proj), "-j", "2", "--json", "--progress", "plain")
    assert r.code == 0, r.err
    report = r.json()
    assert statuses(report) == {"plain": "built", "grid[temperature=0.2]": "built", "grid[temperature=0.7]": "built",
                                "lora": "built"}
    # CI output: plain lines, every one naming its target, no control characters
    assert not CONTROL.search(r.out) and not CONTROL.search(r.err)
    assert all(line.startswith("[") for line in r.err.splitlines()), r.err

    shown = api.show("cli-plain")
    assert shown["system"] == "You answer in one line."
    params = parse_parameters(shown["parameters"])
    assert float(params["temperature"]) == pytest.approx(0.2) and params["stop"] == ["<|im_end|>"]
    assert float(parse_parameters(api.show("cli-grid:t0.7")["parameters"])["temperature"]) == pytest.approx(0.7)
    lora = api.show("cli-lora")
    assert re.search(r"^ADAPTER \S+sha256-[0-9a-f]{64}$", lora["modelfile"], re.M)
    assert lora["system"] == "You are terse."
    lock = LockFile.load(proj)
    assert set(lock.targets) == {"plain", "grid[temperature=0.2]", "grid[temperature=0.7]", "lora"}

    # straight after: nothing to do
    again = cli("build", "--project", str(proj), "--json", "--progress", "none")
    assert again.code == 0, again.err
    rep = again.json()
    assert set(statuses(rep).values()) == {"skipped"}
    assert rep["stats"]["hashed_files"] == 0 and rep["stats"]["uploaded_blobs"] == 0 and rep["stats"]["creates"] == 0

    # one variable of one target changes: exactly that target is rebuilt
    write_project(proj, smollm2_gguf, smol_lora_gguf, plain_system="You answer in two lines.")
    dry = cli("build", "--project", str(proj), "--dry-run", "--json", "--progress", "none").json()
    assert statuses(dry) == {"plain": "would-build", "grid[temperature=0.2]": "would-skip",
                             "grid[temperature=0.7]": "would-skip", "lora": "would-skip"}
    assert dry["targets"][0]["reason"].startswith("rendered Modelfile changed")
    rep = cli("build", "--project", str(proj), "--json", "--progress", "none").json()
    assert statuses(rep) == {"plain": "built", "grid[temperature=0.2]": "skipped", "grid[temperature=0.7]": "skipped",
                             "lora": "skipped"}
    assert rep["stats"]["creates"] == 1 and rep["stats"]["uploaded_blobs"] == 0
    assert api.show("cli-plain")["system"] == "You answer in two lines."

    # a --set that touches only the matrix target's variable
    rep = cli("build", "--project", str(proj), "grid", "--set", "temperature=0.4", "--json", "--progress", "none").json()
    assert statuses(rep) == {"grid": "built"} and api.exists("cli-grid:t0.4")


def test_lint_errors_exit_2_and_send_nothing(cli, api: Ollama, tmp_path: Path, smollm2_gguf: Path,
                                             smol_lora_gguf: Path) -> None:
    proj = write_project(tmp_path / "bad", smollm2_gguf, smol_lora_gguf)
    (proj / "modelfiles" / "m.Modelfile.j2").write_text(TEMPLATE.replace("PARAMETER stop", "PARAMETER stopp"))
    r = cli("build", "--project", str(proj), "--progress", "none")
    assert r.code == 2, (r.out, r.err)
    assert "stopp" in r.err and "Traceback" not in r.err
    assert not (proj / "modelkit.lock").exists()
    assert not api.exists("cli-plain") or "stopp" not in (api.show("cli-plain").get("parameters") or "")


def test_unreachable_server_is_exit_1_in_one_line(cli, tmp_path: Path, smollm2_gguf: Path,
                                                  smol_lora_gguf: Path) -> None:
    proj = write_project(tmp_path / "p", smollm2_gguf, smol_lora_gguf)
    r = cli("build", "--project", str(proj), "--host", "127.0.0.1:9", "--progress", "none")
    assert r.code == 1 and "cannot reach Ollama" in r.err and len(r.err.strip().splitlines()) == 1


KILL_PROJECT = """\
[defaults]
template = "k.Modelfile.j2"

[targets.k]
name = "cli-kill"
from = "{from_}"
{quantize}
vars = {{ system = "{system}" }}
"""


def test_sigkill_mid_create_keeps_the_previous_model_and_a_valid_lock(
        cli, api: Ollama, host: str, tmp_path: Path, smollm2_gguf: Path, smol_f16_gguf: Path) -> None:
    proj = tmp_path / "kill"
    (proj / "modelfiles").mkdir(parents=True)
    (proj / "modelfiles" / "k.Modelfile.j2").write_text(
        'FROM {{ from | quote }}\nSYSTEM {{ system | quote }}\nPARAMETER stop "<|im_end|>"\n')
    (proj / "modelkit.toml").write_text(KILL_PROJECT.format(from_=smollm2_gguf, quantize="", system="v1"))
    first = cli("build", "--project", str(proj), "--json", "--progress", "none")
    assert first.code == 0, first.err
    old_digest = first.json()["targets"][0]["model_digest"]
    lock_before = (proj / "modelkit.lock").read_text()

    # v2: an F16 source quantized to q8_0 on the server: seconds of work to interrupt
    (proj / "modelkit.toml").write_text(KILL_PROJECT.format(from_=smol_f16_gguf, quantize='quantize = "q8_0"',
                                                           system="v2"))
    env = {**os.environ, "OLLAMA_HOST": host, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "modelkit", "build", "--project", str(proj), "--progress", "plain"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "quantizing" in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)

    # the lock still parses and still describes v1; the model of that name answers
    assert (proj / "modelkit.lock").read_text() == lock_before
    assert LockFile.load(proj).get("k", host).model_digest == old_digest  # type: ignore[union-attr]
    reply = "".join(c.message.content or "" for c in api.chat(
        "cli-kill", [{"role": "user", "content": "Say hello."}], options={"temperature": 0, "seed": 1, "num_predict": 8}))
    assert reply.strip()
    assert api.show("cli-kill")["system"] in ("v1", "v2")  # v2 only if the server finished the create on its own

    # the next build notices and completes v2
    again = cli("build", "--project", str(proj), "--json", "--progress", "none")
    assert again.code == 0, again.err
    rep = again.json()["targets"][0]
    assert rep["status"] == "built" and rep["model_digest"] != old_digest
    assert api.show("cli-kill")["system"] == "v2"
    assert api.show("cli-kill")["details"]["quantization_level"] == "Q8_0"
    assert json.loads((proj / "modelkit.lock").read_text())["targets"]["k"][host]["model_digest"] == rep["model_digest"]


def test_the_shipped_project_builds_and_verifies(cli, api: Ollama, tmp_path: Path, smollm2_gguf: Path) -> None:
    """modelkit's own modelkit.toml (the report family) on the session's server, from a copy."""
    root = Path(__file__).resolve().parents[1]
    proj = tmp_path / "shipped"
    proj.mkdir()
    shutil.copy(root / "modelkit.toml", proj)
    for d in ("modelfiles", "adapters"):
        shutil.copytree(root / d, proj / d)
    r = cli("build", "--project", str(proj), "-j", "2", "--json", "--progress", "none")
    assert r.code == 0, r.err
    targets = r.json()["targets"]
    assert targets and {t["status"] for t in targets} == {"built"}
    for t in targets:
        shown = api.show(t["model"])
        params = parse_parameters(shown.get("parameters"))
        assert "<|im_end|>" in params.get("stop", []), t
        if t["id"].startswith(("report-tuned", "report-lora")):
            assert shown.get("system"), t  # the report SYSTEM prompt
            assert "temperature" in params and "top_p" in params, t
        if t["id"] == "report-lora":
            assert re.search(r"^ADAPTER ", shown["modelfile"], re.M), t
    again = cli("build", "--project", str(proj), "--json", "--progress", "none").json()
    assert {t["status"] for t in again["targets"]} == {"skipped"}
    assert again["stats"]["hashed_files"] == 0 and again["stats"]["creates"] == 0


def test_build_bench_benchmarks_what_was_built(cli, api: Ollama, tmp_path: Path, smollm2_gguf: Path,
                                               smol_lora_gguf: Path) -> None:
    proj = write_project(tmp_path / "b", smollm2_gguf, smol_lora_gguf)
    with open(proj / "modelkit.toml", "a") as f:
        f.write('\n[bench]\nprompts = ["small"]\nlangs = ["en"]\nrepeat = 1\nwarmup = 0\nnum_predict = 12\n')
    r = cli("build", "--project", str(proj), "plain", "--bench", "--json", "--progress", "none")
    assert r.code == 0, r.err
    bench = r.json()["bench"]
    assert bench["models"] == ["cli-plain"]
    run = json.loads(Path(bench["saved"]).read_text())
    assert run["id"] == bench["run_id"] and [m["model"]["name"] for m in run["models"]] == ["cli-plain:latest"]
    again = cli("build", "--project", str(proj), "plain", "--bench", "--json", "--progress", "none").json()
    assert again["bench"] is None  # nothing was built, nothing to benchmark
    forced = cli("build", "--project", str(proj), "plain", "--bench", "--force", "--progress", "none")
    assert forced.code == 0, forced.err
    assert "Speed" in forced.out and "Report quality" in forced.out and "cli-plain" in forced.out
    assert "benchmark run " in forced.out
