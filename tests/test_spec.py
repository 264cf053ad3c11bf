"""modelkit.toml: validation with located errors, inheritance, matrix, variable precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelkit.errors import UsageError
from modelkit.project import load_project
from modelkit.spec import parse_set_value, parse_spec
from tests.helpers import run_cli

TEMPLATE = "FROM {{ from }}\nSYSTEM {{ system | quote }}\nPARAMETER temperature {{ temperature | param }}\n"


def project(tmp_path: Path, toml: str, template: str = TEMPLATE) -> Path:
    (tmp_path / "modelfiles").mkdir(exist_ok=True)
    (tmp_path / "modelfiles" / "m.j2").write_text(template)
    (tmp_path / "modelkit.toml").write_text(toml)
    return tmp_path


BASE = '''
[defaults]
template = "m.j2"
from = "base:latest"
[defaults.vars]
system = "default system"
temperature = 0.5
'''


def spec_error(text: str) -> str:
    with pytest.raises(UsageError) as e:
        parse_spec(text)
    assert e.value.exit_code == 2
    return e.value.one_line()


# -- validation ------------------------------------------------------------------------------

def test_unknown_keys_name_their_place_and_line():
    assert spec_error('[targets.a]\nname = "x"\nnmae = "y"\n') == (
        "modelkit.toml:3: unknown key 'targets.a.nmae' (hint: did you mean 'name'? keys allowed here: name, "
        "description, template, from, adapter, quantize, inherits, vars, matrix)")
    assert spec_error('[defaults]\ntemplat = "m.j2"\n').startswith("modelkit.toml:2: unknown key 'defaults.templat'")
    assert spec_error('colour = "red"\n').startswith("modelkit.toml:1: unknown key 'colour'")
    assert "project.envs" in spec_error('[project]\nenvs = []\n')


@pytest.mark.parametrize(("text", "expected"), [
    ('[targets.a]\nname = 1\n', "modelkit.toml:2: targets.a.name: Input should be a valid string"),
    ('[targets.a]\nmatrix = { t = [] }\n', "matrix.t is an empty list"),
    ('[targets.a]\nmatrix = { t = 1 }\n', "targets.a.matrix.t: Input should be a valid list"),
    ('[targets.a]\nvars = { name = "x" }\n', "variable name 'name' is reserved"),
    ('[targets.a.vars]\n"bad-name" = 1\n', "variable name 'bad-name' is not an identifier"),
    ('[targets."a b"]\n', "target id 'a b' must be letters"),
    ('[targets.a\n', "invalid TOML"),
])
def test_bad_values(text, expected):
    assert expected in spec_error(text)


def test_inheritance_cycles_and_missing_parents():
    assert "inheritance cycle: a → b → c → a" in spec_error(
        '[targets.a]\ninherits = "b"\n[targets.b]\ninherits = "c"\n[targets.c]\ninherits = "a"\n')
    assert "inheritance cycle: a → a" in spec_error('[targets.a]\ninherits = "a"\n')
    msg = spec_error('[targets.base]\n[targets.a]\ninherits = "bsae"\n')
    assert "modelkit.toml:3: targets.a.inherits: no target 'bsae'" in msg and "did you mean 'base'?" in msg


def test_set_values_read_as_toml_when_they_are():
    assert parse_set_value("0.2") == 0.2 and parse_set_value("7") == 7 and parse_set_value("true") is True
    assert parse_set_value("[1, 2]") == [1, 2] and parse_set_value('"quoted"') == "quoted"
    assert parse_set_value("zh") == "zh" and parse_set_value("a b") == "a b" and parse_set_value("") == ""


# -- resolution ------------------------------------------------------------------------------

def test_precedence_defaults_target_matrix_set(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + '''
[targets.a]
name = "a:{{ temperature }}"
vars = { system = "target system" }
matrix = { temperature = [0.1, 0.2] }
'''))
    (t1, t2) = p.resolve()
    assert (t1.id, t1.name, t1.vars) == ("a[temperature=0.1]", "a:0.1", {"system": "target system", "temperature": 0.1})
    assert t2.modelfile.params == {"temperature": 0.2} and t2.modelfile.system.value == "target system"
    # --set beats everything and collapses the matrix dimension it names
    (only,) = p.resolve(sets={"temperature": "0.9", "system": "from --set"})
    assert (only.id, only.name, only.vars["temperature"]) == ("a", "a:0.9", 0.9)
    assert only.modelfile.system.value == "from --set"


def test_matrix_is_a_cartesian_product_in_key_order(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + '''
[targets.grid]
name = "grid:{{ lang }}-{{ temperature }}"
matrix = { lang = ["en", "zh"], temperature = [0.2, 0.5, 0.8] }
'''))
    ids = [t.id for t in p.resolve()]
    assert ids == [f"grid[lang={lang},temperature={t}]" for lang in ("en", "zh") for t in (0.2, 0.5, 0.8)]
    # one cell, with the keys in any order
    (cell,) = p.resolve(["grid[temperature=0.5,lang=zh]"])
    assert cell.name == "grid:zh-0.5"


def test_generated_names_must_be_unique(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + '[targets.m]\nname = "same"\nmatrix = { temperature = [1, 2] }\n'))
    with pytest.raises(UsageError, match="both create the model 'same'"):
        p.resolve()
    p = load_project(project(tmp_path, BASE + '[targets.a]\nname = "X:latest"\n[targets.b]\nname = "x"\n'))
    with pytest.raises(UsageError, match="targets a and b both create"):
        p.resolve()


def test_inherits_merges_vars_and_overrides_fields(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + '''
[targets.parent]
name = "p"
from = "parent-base:latest"
vars = { system = "parent", temperature = 0.3 }
matrix = { temperature = [0.1, 0.2] }

[targets.child]
inherits = "parent"
name = "c-{{ temperature }}"
vars = { system = "child" }

[targets.grandchild]
inherits = "child"
name = "g"
matrix = {}
'''))
    child = p.resolve(["child"])
    assert [(t.name, t.from_, t.vars["system"]) for t in child] == [
        ("c-0.1", "parent-base:latest", "child"), ("c-0.2", "parent-base:latest", "child")]
    (g,) = p.resolve(["grandchild"])
    assert (g.vars, g.from_) == ({"system": "child", "temperature": 0.3}, "parent-base:latest")


def test_templated_fields_and_builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "style.gguf").write_bytes(b"GGUF")
    p = load_project(project(tmp_path, BASE + '''
[targets.t]
from = "{{ weights_dir }}/w.gguf"
adapter = "style"
name = "t-{{ target }}"
''', template=TEMPLATE + "ADAPTER {{ adapter }}\n# {{ name }} {{ project_dir }} {{ cache_dir }}\n"))
    (t,) = p.resolve()
    assert t.from_ == str(tmp_path / "cache" / "weights" / "w.gguf")
    assert t.adapter == "adapters/style.gguf" and t.modelfile.adapter.value == "adapters/style.gguf"
    assert t.name == "t-t" and t.base_dir == tmp_path.resolve()
    assert f"# t-t {tmp_path.resolve()} {tmp_path / 'cache'}" in t.modelfile_text


def test_selection_by_id_glob_and_suggestions(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + '[targets.report-en]\n[targets.report-zh]\n[targets.other]\n'))
    assert [t.id for t in p.resolve(["report-*"])] == ["report-en", "report-zh"]
    assert [t.id for t in p.resolve(["other", "report-en"])] == ["other", "report-en"]
    with pytest.raises(UsageError, match="no target 'report-fr'") as e:
        p.resolve(["report-fr"])
    assert "did you mean 'report-" in e.value.hint


def test_load_project_searches_parents_and_reports_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project(tmp_path, BASE + "[targets.a]\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    assert load_project().root == tmp_path.resolve()
    assert load_project(tmp_path / "modelkit.toml").root == tmp_path.resolve()
    empty = tmp_path.parent / (tmp_path.name + "-empty")
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = run_cli(["render"])
    assert result.code == 2 and "no modelkit.toml in" in result.err and "modelkit init" in result.err
    result = run_cli(["lint", "-p", str(empty / "nowhere")])
    assert result.code == 2 and "no project file at" in result.err


def test_template_errors_raise_with_target_and_location(tmp_path: Path):
    p = load_project(project(tmp_path, BASE + "[targets.a]\n", template="FROM x\n{{ missing }}\n"))
    with pytest.raises(UsageError) as e:
        p.resolve()
    assert e.value.message == "target a: modelfiles/m.j2:2: undefined variable 'missing'"
    collected = p.resolve(collect=True)
    assert collected[0].modelfile is None and "missing" in collected[0].error.message
