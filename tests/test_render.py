"""Rendering: the sandbox (through the real CLI error boundary), the quoting filters, env vars."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelkit import parameters as P
from modelkit.modelfile import Modelfile, UnrepresentableValue, quote
from modelkit.render import Renderer, TemplateError
from tests.helpers import run_cli


def make_project(root: Path, templates: dict[str, str], *, env: list[str] | None = None,
                 extra: str = "") -> Path:
    (root / "modelfiles").mkdir(parents=True, exist_ok=True)
    for name, text in templates.items():
        path = root / "modelfiles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    targets = "".join(f'[targets.{Path(n).stem.replace(".", "-")}]\ntemplate = "{n}"\n\n'
                      for n in templates if not n.startswith("partials/"))
    (root / "modelkit.toml").write_text(f"[project]\nenv = {env or []!r}\n\n{extra}{targets}".replace("'", '"'))
    return root


# -- the sandbox, end to end: exit 2, one line, no traceback ------------------------------------

ATTACKS = {
    "class-walk": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "access to attribute '__class__'"),
    "globals": ("{{ cycler.__init__.__globals__.os }}", "is unsafe"),
    "subclasses": ("{{ [].__class__.__base__.__subclasses__() }}", "is unsafe"),
    "func-globals": ("{{ joiner.__call__.__globals__ }}", "is unsafe"),
    "dunder-item": ("{{ namespace()['__init__'] }}", "has no attribute '__init__'"),
    "include-parent": ("{% include '../secret.txt' %}", "template '../secret.txt' not found"),
    "include-absolute": ("{% include '/etc/passwd' %}", "template '/etc/passwd' not found"),
    "include-symlink": ("{% include 'link.j2' %}", "template 'link.j2' not found"),
    "extends-outside": ("{% extends '../secret.txt' %}", "not found"),
    "undefined": ("FROM x\nSYSTEM {{ sytem_prompt }}", "undefined variable 'sytem_prompt'"),
    "huge-range": ("{% for i in range(10**9) %}x{% endfor %}", "range() of 1000000000 items"),
    "nested-ranges": ("{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}",
                      "loop steps"),
    "string-times": ("{{ 'x' * 10**10 }}", "would exceed the output limit"),
    "format-width": ("{{ '%999999999s' % 'x' }}", "format width"),
    "center": ("{{ 'x' | center(10**9) }}", "sandbox limit"),
    "huge-output": ("{% for i in range(9000) %}{{ 'y' * 1000 }}{% endfor %}", "rendered output exceeds"),
    "recursion": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "recursion too deep"),
    "env-unlisted": ("{{ env.HOME }}", "environment variable 'HOME' is not listed"),
    "go-template": ("TEMPLATE {{ .Prompt }}", "syntax error"),
}


@pytest.fixture(scope="module")
def attack_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attacks")
    (root / "secret.txt").write_text("TOP SECRET")
    project = make_project(root, {f"{k}.j2": v[0] for k, v in ATTACKS.items()})
    (root / "modelfiles" / "link.j2").symlink_to(root / "secret.txt")
    return project


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_sandbox_blocks_with_one_clear_line(attack_project: Path, attack: str):
    result = run_cli(["render", "-p", str(attack_project), attack])
    assert result.code == 2, result
    assert "TOP SECRET" not in result.out + result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("modelkit: error: "), result.err
    assert ATTACKS[attack][1] in lines[0]
    assert "(hint: " in lines[0]
    if attack not in ("huge-output",):  # the output cap is checked on the whole text
        assert f"modelfiles/{attack}.j2:" in lines[0]


def test_undefined_variable_suggests_the_close_name(tmp_path: Path):
    make_project(tmp_path, {"m.j2": "FROM x\nSYSTEM {{ sytem }}\n"},
                 extra='[defaults.vars]\nsystem = "hi"\n\n')
    result = run_cli(["lint", "-p", str(tmp_path)])
    assert result.code == 2
    assert "modelfiles/m.j2:2: error: undefined variable 'sytem'" in result.out
    assert "did you mean 'system'?" in result.out


def test_includes_extends_and_macros_inside_the_folder(tmp_path: Path):
    templates = {
        "base.j2": "FROM {{ base_model }}\n{% block body %}{% endblock %}\n",
        "partials/macros.j2": "{% macro param(k, v) %}PARAMETER {{ k }} {{ v | param }}\n{% endmacro %}",
        "partials/system.j2": "Be brief.\n",
        "child.j2": ('{% extends "base.j2" %}{% import "partials/macros.j2" as m %}{% block body %}'
                     '{{ m.param("seed", 42) }}SYSTEM {% filter quote %}{% include "partials/system.j2" %}'
                     '{% endfilter %}\n{% endblock %}'),
    }
    make_project(tmp_path, templates, extra='[defaults.vars]\nbase_model = "smollm2:latest"\n\n')
    r = Renderer(tmp_path / "modelfiles")
    out = r.render("child.j2", {"base_model": "smollm2:latest"})
    mf = Modelfile.parse(out.text)
    assert mf.params == {"seed": 42} and mf.system.value == "Be brief.\n"
    assert set(out.sources) == {"modelfiles/child.j2", "modelfiles/base.j2", "modelfiles/partials/macros.j2",
                                "modelfiles/partials/system.j2"}


def test_env_vars_only_when_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MK_TEST_LISTED", "from-env")
    monkeypatch.delenv("MK_TEST_UNSET", raising=False)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "t.j2").write_text("{{ env.MK_TEST_LISTED }} {{ env.MK_TEST_UNSET | default('fallback') }}")
    (tmp_path / "m" / "u.j2").write_text("{{ env.MK_TEST_UNSET }}")
    r = Renderer(tmp_path / "m", env_allow=["MK_TEST_LISTED", "MK_TEST_UNSET"])
    assert r.render("t.j2", {}).text == "from-env fallback"
    with pytest.raises(TemplateError, match="environment variable 'MK_TEST_UNSET' is not set"):
        r.render("u.j2", {})
    with pytest.raises(TemplateError, match="not listed"):
        Renderer(tmp_path / "m").render("t.j2", {})


def test_rendered_lines_map_back_to_template_lines(tmp_path: Path):
    (tmp_path / "m" / "partials").mkdir(parents=True)
    (tmp_path / "m" / "main.j2").write_text("# header\nFROM {{ f }}\n{% include 'partials/p.j2' %}\nSYSTEM hi\n")
    (tmp_path / "m" / "partials" / "p.j2").write_text("PARAMETER seed 1\nPARAMETER temprature {{ t }}\n")
    out = Renderer(tmp_path / "m").render("main.j2", {"f": "x", "t": 0.5})
    assert out.text == "# header\nFROM x\nPARAMETER seed 1\nPARAMETER temprature 0.5\nSYSTEM hi\n"
    assert [out.locate(i) for i in range(1, 6)] == [
        ("m/main.j2", 1), ("m/main.j2", 2), ("m/partials/p.j2", 1), ("m/partials/p.j2", 2), ("m/main.j2", 4)]


# -- the quoting filters: template → render → parse keeps the value ---------------------------

texts = st.lists(
    st.one_of(st.sampled_from(['"', '"""', "#", "\n", "\r\n", " ", "\t", "{{", "}}", "{%", "\\"]),
              st.characters(exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"])),
    max_size=30).map("".join)


@pytest.fixture(scope="module")
def filter_renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    d = tmp_path_factory.mktemp("filters")
    (d / "values.j2").write_text(
        "FROM x\nSYSTEM {{ v | quote }}\nTEMPLATE {{ v | q }}\n"
        "MESSAGE assistant {{ v | quote }}\nPARAMETER stop {{ v | quote }}\nLICENSE {{ v | quote }}\nPARAMETER seed 7\n")
    (d / "params.j2").write_text(
        "FROM x\nPARAMETER temperature {{ t | param }}\nPARAMETER num_ctx {{ n | param }}\n"
        "PARAMETER use_mmap {{ b | param }}\n")
    return Renderer(d)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(value=texts)
def test_quote_filter_round_trips_any_text(filter_renderer: Renderer, value: str):
    try:
        quote(value)
    except UnrepresentableValue:
        with pytest.raises(TemplateError, match="cannot be written"):
            filter_renderer.render("values.j2", {"v": value})
        return
    mf = Modelfile.parse(filter_renderer.render("values.j2", {"v": value}).text)
    assert mf.system.value == value and mf.template.value == value and mf.license[0].value == value
    assert mf.messages[0].content == value
    assert mf.params == {"stop": [value], "seed": 7}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30),
       n=st.integers(-2**63, 2**63 - 1), b=st.booleans())
def test_param_filter_round_trips_typed_values(filter_renderer: Renderer, t: float, n: int, b: bool):
    mf = Modelfile.parse(filter_renderer.render("params.j2", {"t": t, "n": n, "b": b}).text)
    assert not mf.errors()
    assert mf.params == {"temperature": P.wire_float(P.go_parse_float32(repr(t))), "num_ctx": n, "use_mmap": b}


def test_param_filter_lets_lint_catch_bad_types(filter_renderer: Renderer):
    mf = Modelfile.parse(filter_renderer.render("params.j2", {"t": "warm", "n": 1.5, "b": "yes"}).text)
    assert [e.message for e in mf.errors()] == [
        "parameter temperature: invalid float value [warm]", "parameter num_ctx: invalid int value [1.5]",
        "parameter use_mmap: invalid bool value [yes]"]
