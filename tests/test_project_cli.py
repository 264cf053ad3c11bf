"""init / render / lint through the CLI, and the shipped project on the real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelkit.digests import sha256_file
from modelkit.modelfile import Modelfile
from modelkit.ollama_api import Ollama
from modelkit.project import load_project
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parent.parent


# -- init ------------------------------------------------------------------------------------

def test_init_then_lint_and_render(tmp_path: Path, smollm2_gguf: Path):
    result = run_cli(["init", str(tmp_path)])
    assert result.code == 0, result.err
    assert (tmp_path / "modelkit.toml").is_file() and (tmp_path / "modelfiles" / "model.Modelfile.j2").is_file()
    lint = run_cli(["lint", "-p", str(tmp_path)])
    assert lint.code == 0, lint.out + lint.err
    assert "3 targets: 0 errors, 0 warnings" in lint.out
    render = run_cli(["render", "-p", str(tmp_path), "assistant-sweep[temperature=1.0]"])
    assert render.code == 0
    mf = Modelfile.parse(render.out)
    assert mf.from_[0].value == str(smollm2_gguf)
    assert mf.system.value == "You are a concise assistant." and mf.params == {"temperature": 1.0}

    again = run_cli(["init", str(tmp_path)])
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert run_cli(["init", str(tmp_path), "--force"]).code == 0


# -- render ----------------------------------------------------------------------------------

def test_render_one_target_prints_exactly_its_modelfile(smollm2_gguf: Path):
    result = run_cli(["render", "-p", str(REPO), "report-base"])
    assert result.code == 0, result.err
    (target,) = load_project(REPO).resolve(["report-base"])
    assert result.out == target.modelfile_text


def test_render_many_with_headers_and_set(smollm2_gguf: Path):
    result = run_cli(["render", "-C", str(REPO), "report-tuned", "--set", "lang=zh"])
    assert result.code == 0, result.err
    headers = [ln for ln in result.out.splitlines() if ln.startswith("# ==> ")]
    assert headers == ["# ==> report-tuned[temperature=0.2] (report-smollm2:zh-t0.2) <==",
                       "# ==> report-tuned[temperature=0.7] (report-smollm2:zh-t0.7) <=="]
    assert "请用简体中文" in result.out


def test_render_output_dir_writes_portable_files(tmp_path: Path, smollm2_gguf: Path):
    out = tmp_path / "out"
    result = run_cli(["render", "-p", str(REPO), "report-lora", "report-tuned[lang=en,temperature=0.7]",
                      "--output", str(out)])
    assert result.code == 0, result.err
    files = sorted(p.name for p in out.iterdir())
    assert files == ["report-lora.Modelfile", "report-tuned.lang=en.temperature=0.7.Modelfile"]
    written = Modelfile.parse((out / "report-lora.Modelfile").read_text(), base_dir=out)
    assert written.adapter.value == str(REPO / "adapters" / "smollm2-demo-lora.gguf")  # made absolute
    (target,) = load_project(REPO).resolve(["report-lora"])
    assert written.create_fields() == target.modelfile.create_fields()
    assert not list(out.glob(".*.tmp"))


def test_render_json(smollm2_gguf: Path):
    result = run_cli(["render", "-p", str(REPO), "--json", "report-lora"])
    assert result.code == 0
    (doc,) = result.json()
    assert doc["id"] == "report-lora" and doc["name"] == "report-smollm2:en-lora"
    assert doc["adapter"] == "adapters/smollm2-demo-lora.gguf"
    assert doc["create"]["parameters"]["temperature"] == 0.2
    assert doc["vars"] == {"top_p": 0.9, "top_k": 40, "repeat_penalty": 1.1, "num_ctx": 4096, "lang": "en",
                           "temperature": 0.2}


# -- lint ------------------------------------------------------------------------------------

@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "modelfiles").mkdir()
    (tmp_path / "modelfiles" / "m.j2").write_text(
        "FROM base:latest\nPARAMETER temprature {{ t }}\nPARAMETER mirostat 1\nPARAMETER num_ctx many\n")
    (tmp_path / "modelfiles" / "w.j2").write_text("FROM base:latest\nPARAMETER mirostat 1\n")
    (tmp_path / "modelkit.toml").write_text(
        '[targets.bad]\ntemplate = "m.j2"\nvars = { t = 0.5 }\n\n[targets.warn]\ntemplate = "w.j2"\n')
    return tmp_path


def test_lint_reports_everything_and_exits_2(broken: Path):
    result = run_cli(["lint", "-p", str(broken)])
    assert result.code == 2
    assert result.out.splitlines() == [
        "modelfiles/m.j2:2 (rendered line 2): error: unknown parameter 'temprature' [bad] "
        "(hint: did you mean 'temperature'?)",
        "modelfiles/m.j2:3 (rendered line 3): warning: parameter mirostat is deprecated; the ollama CLI drops it "
        "[bad] (hint: remove the line)",
        "modelfiles/m.j2:4 (rendered line 4): error: parameter num_ctx: invalid int value [many] [bad] "
        "(hint: num_ctx takes an integer)",
        "modelfiles/w.j2:2 (rendered line 2): warning: parameter mirostat is deprecated; the ollama CLI drops it "
        "[warn] (hint: remove the line)",
        "2 targets: 2 errors in 1, 2 warnings",
    ]
    assert result.err.startswith("modelkit: error: lint found errors: 2 targets: 2 errors in 1, 2 warnings")
    assert "Traceback" not in result.err


def test_lint_json_and_strict(broken: Path):
    result = run_cli(["lint", "-p", str(broken), "--json"])
    assert result.code == 2 and result.err == ""
    doc = result.json()
    assert [(f["severity"], f["code"], f["line"]) for f in doc["targets"][0]["findings"]] == [
        ("error", "unknown-parameter", 2), ("warning", "deprecated-parameter", 3), ("error", "bad-parameter-value", 4)]
    assert run_cli(["lint", "-p", str(broken), "warn"]).code == 0
    strict = run_cli(["lint", "-p", str(broken), "warn", "--strict"])
    assert strict.code == 2 and "warnings (--strict)" in strict.err


def test_help_imports_nothing_heavy():
    """`modelkit --help` loads no heavy library; the project commands' --help none of ours either
    (typer >= 0.29 itself imports pydantic to build any subcommand, so it is not checked there)."""
    code = ("import sys\nfrom modelkit.cli import main\n"
            "heavy = {'jinja2', 'gguf', 'numpy', 'ollama', 'httpx', 'pydantic'}\n"
            "loaded = lambda: sorted({m.split('.')[0] for m in sys.modules} & heavy)\n"
            "assert main(['--help']) == 0\nprint('LOADED', loaded())\n"
            "for args in (['render', '--help'], ['lint', '--help'], ['init', '--help']):\n"
            "    assert main(args) == 0\n"
            "print('LOADED', loaded())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    top, sub = [ln.removeprefix("LOADED ") for ln in done.stdout.splitlines() if ln.startswith("LOADED ")]
    assert top == "[]"
    assert sub in ("[]", "['pydantic']")


# -- the shipped project on the real server ----------------------------------------------------

@pytest.fixture(scope="module")
def shipped(api: Ollama, smollm2_gguf: Path) -> list[tuple[Any, dict[str, Any]]]:
    """Every shipped target created on the session's server from its create fields."""
    targets = load_project(REPO).resolve()
    uploaded: dict[Path, str] = {}

    def blob(path: Path) -> dict[str, str]:
        if path not in uploaded:
            uploaded[path] = sha256_file(path)
            if not api.has_blob(uploaded[path]):
                api.upload_blob(path, uploaded[path])
        return {path.name: uploaded[path]}

    out = []
    for t in targets:
        mf = t.modelfile
        fields = mf.create_fields(files=blob(Path(mf.from_[0].value)),
                                  adapters=blob(REPO / mf.adapter.value) if mf.adapter else None)
        statuses = [p.status for p in api.create(t.name, **fields)]
        assert statuses[-1] == "success", (t.id, statuses)
        out.append((t, fields))
    return out


@pytest.mark.integration
def test_shipped_targets_create_what_render_shows(api: Ollama, shipped: list[tuple[Any, dict[str, Any]]]):
    """Every shipped target, sent as build sends it, shows back its rendered Modelfile."""
    from modelkit.builder import spec_from_target

    assert [t.name for t, _ in shipped] == [
        "report-smollm2:base", "report-smollm2:en-t0.2", "report-smollm2:en-t0.7", "report-smollm2:zh-t0.2",
        "report-smollm2:zh-t0.7", "report-smollm2:en-lora"]
    for t, fields in shipped:
        mf = t.modelfile
        assert {k: v for k, v in fields.items() if k not in ("files", "adapters")} == spec_from_target(t).fields
        shown = api.show(t.name)
        assert shown["template"] == mf.template.value
        assert shown.get("system", "") == (mf.system.value if mf.system else "")
        params: dict[str, Any] = {}
        for line in shown["parameters"].splitlines():
            key, _, raw = line.partition(" ")
            value = json.loads(raw.strip())
            if key == "stop":
                params.setdefault(key, []).append(value)
            else:
                params[key] = value
        assert params == mf.params, t.id
        assert shown["details"]["family"] == "llama" and shown["details"]["quantization_level"] == "Q4_1"


@pytest.mark.integration
def test_demo_adapter_loads_and_changes_the_output(api: Ollama, shipped: list[tuple[Any, dict[str, Any]]]):
    """report-lora is report-tuned[en, 0.2] plus the demo LoRA: same prompt and seed, other words."""
    messages = [{"role": "user", "content": "Issues: #1 crash on start (fixed by #2). Write the report."}]
    options = {"seed": 11, "temperature": 0, "num_predict": 24}

    def reply(model: str) -> str:
        return "".join(chunk.message.content for chunk in api.chat(model, messages, options=options))

    base, adapted = reply("report-smollm2:en-t0.2"), reply("report-smollm2:en-lora")
    assert base.strip() and adapted.strip()
    assert base != adapted
    assert len(adapted.split()) >= 5  # still words, not a collapse


def test_terminal_highlighting_reads_values_like_the_parser():
    from pygments.token import Comment, Keyword, String

    from modelkit.cli.cmd_project import modelfile_lexer

    text = 'FROM x\n# a comment\nSYSTEM "one\n## not a comment\ntwo"\nPARAMETER stop <|im_end|>\n'
    tokens = [(t, v) for t, v in modelfile_lexer().get_tokens(text) if v.strip()]
    assert (Comment.Single, "# a comment") in tokens
    assert [v for t, v in tokens if t is Keyword] == ["FROM", "SYSTEM", "PARAMETER"]
    assert any(t in String and "## not a comment" in v for t, v in tokens)


def test_shipped_system_prompts_are_the_benchmarks_report_instructions(smollm2_gguf: Path):
    """The bench sends modelkit/bench/data/system/report-<lang>.toml `text`; the models must carry the same."""
    import tomllib

    for t in load_project(REPO).resolve(["report-tuned"]):
        bench = tomllib.loads((REPO / "modelkit/bench/data/system" / f"report-{t.vars['lang']}.toml").read_text())
        assert t.modelfile.system.value == bench["text"], t.id
