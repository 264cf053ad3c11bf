"""The Modelfile parser, typing and writer against the rules of the ollama CLI v0.11.4.

Expected values were checked against the real ``parser.ParseFile`` / ``CreateRequest`` of
v0.11.4 (a Go harness over the module source); the server-side parity is in
test_modelfile_server.py.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelkit import parameters as P
from modelkit.modelfile import (
    ERR_INVALID_COMMAND,
    ERR_INVALID_ROLE,
    Message,
    Modelfile,
    ModelfileSyntaxError,
    Parameter,
    UnrepresentableValue,
    Value,
    decode,
    parse_commands,
    quote,
)


def cmds(text: str) -> list[tuple[str, str]]:
    return [(c.name, c.args) for c in parse_commands(text)]


def syntax_error(text: str) -> ModelfileSyntaxError:
    with pytest.raises(ModelfileSyntaxError) as e:
        parse_commands(text)
    return e.value


# -- instructions, case, whitespace, comments ------------------------------------------------

def test_the_seven_instructions_case_insensitive():
    text = ("from base\nAdapter ./a.gguf\ntemplate {{ .Prompt }}\nSYSTEM be brief\n"
            "LiCeNsE MIT\nparameter seed 1\nmessage user hi\n")
    assert cmds(text) == [("model", "base"), ("adapter", "./a.gguf"), ("template", "{{ .Prompt }}"),
                          ("system", "be brief"), ("license", "MIT"), ("seed", "1"), ("message", "user: hi")]


@pytest.mark.parametrize("word", ["REQUIRES", "RENDERER", "PARSER", "DRAFT", "FROM1", "foo"])
def test_other_instructions_are_rejected(word):
    e = syntax_error(f"FROM x\n{word} y\n")
    assert e.ollama_message == ERR_INVALID_COMMAND and e.line == 2


def test_value_is_rest_of_line_trimmed_and_tabs_separate():
    assert cmds("FROM x\nSYSTEM\t  two  words \t\n") == [("model", "x"), ("system", "two  words")]


def test_keyword_needs_a_space_before_the_value():
    assert syntax_error("FROM\n").ollama_message == ERR_INVALID_COMMAND
    assert syntax_error("FROM x\nSYSTEM").ollama_message == "unexpected EOF"


def test_comments_only_where_an_instruction_may_start():
    text = "# a comment\n   # indented comment\nFROM x # not a comment\nSYSTEM #hash\n"
    assert cmds(text) == [("model", "x # not a comment"), ("system", "#hash")]


def test_blank_lines_crlf_and_bom():
    assert cmds("\ufeff\r\n\r\nFROM x\r\nSYSTEM y\r\n") == [("model", "x"), ("system", "y")]
    assert decode(b"\xef\xbb\xbfFROM x\n") == "FROM x\n"
    assert decode("FROM x\n".encode("utf-16")) == "FROM x\n"


def test_line_numbers_are_kept():
    p = parse_commands("# c\nFROM x\n\nSYSTEM \"\"\"a\nb\"\"\"\nPARAMETER seed 1\n")
    assert [(c.name, c.line, c.end_line) for c in p] == [("model", 2, 2), ("system", 4, 5), ("seed", 6, 6)]


# -- quoting -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ('"hello"', "hello"),
    ('"  padded  "', "  padded  "),
    ('""', ""),
    ('""""""', ""),
    ('"""a\nb"""', "a\nb"),
    ('"a\nb"', "a\nb"),
    ('"a"b"', 'a"b'),
    ('"""He said "hi" """', 'He said "hi" '),
    ("'single'", "'single'"),
    (r'"no \"escapes\""', r'no \"escapes\"'),
    ('"""a""\nb"""', 'a""\nb'),
    ('x "y"', 'x "y"'),
])
def test_quotes_strip_one_level(value, expected):
    assert cmds(f"FROM x\nSYSTEM {value}\n")[1] == ("system", expected)


def test_a_value_ends_at_the_first_newline_where_its_quote_is_complete():
    # the CLI checks at every newline: a line ending in '"' closes a "-quoted value early
    assert cmds('FROM x\nSYSTEM "hello" world\nPARAMETER x "y"\n') == [
        ("model", "x"), ("system", 'hello" world\nPARAMETER x "y')]


def test_multiline_value_keeps_hash_lines():
    assert cmds('FROM x\nSYSTEM """one\n# two\nthree"""\n')[1] == ("system", "one\n# two\nthree")


@pytest.mark.parametrize("text", ['FROM x\nSYSTEM "open\n', 'FROM x\nSYSTEM """a\n"\n', 'FROM x\nSYSTEM """',
                                  'FROM x\nSYSTEM """abc"""def\n'])
def test_unclosed_quote_is_unexpected_eof(text):
    e = syntax_error(text)
    assert e.ollama_message == "unexpected EOF"
    assert e.line == 2


def test_unprintable_characters_are_dropped_like_the_cli():
    assert cmds("FROM x\nSYSTEM a\x07b\u00a0c\u200dd\n")[1] == ("system", "abcd")
    assert cmds("FROM x\nSYSTEM 中文 🙂 é\n")[1] == ("system", "中文 🙂 é")


# -- PARAMETER and MESSAGE syntax --------------------------------------------------------------

def test_parameter_name_charset_and_errors():
    assert cmds("FROM x\nPARAMETER num_ctx 8\n")[1] == ("num_ctx", "8")
    e = syntax_error("FROM x\nPARAMETER top-k 1\n")
    assert e.ollama_message == "unexpected EOF: top"
    assert syntax_error("FROM x\nPARAMETER temperature\n").ollama_message == "unexpected EOF: temperature"
    # two spaces: an empty name, the rest is the value (then an unknown parameter '')
    assert cmds("FROM x\nPARAMETER  temperature 1\n")[1] == ("", "temperature 1")


def test_message_roles_are_exact():
    assert cmds("FROM x\nMESSAGE assistant  hello there\n")[1] == ("message", "assistant: hello there")
    e = syntax_error("FROM x\nMESSAGE User hi\n")
    assert e.ollama_message == ERR_INVALID_ROLE and e.line == 2
    assert syntax_error("FROM x\nMESSAGE assistant: hi\n").ollama_message.startswith("unexpected EOF")
    assert syntax_error("FROM x\nMESSAGE user").ollama_message == "unexpected EOF"


def test_at_least_one_from():
    assert syntax_error("PARAMETER seed 1\n").ollama_message == "no FROM line"
    assert syntax_error("# only a comment\n").ollama_message == "no FROM line"


def test_syntax_error_is_a_usage_error_with_location():
    e = syntax_error("FROM x\nMESSAGE User hi\n")
    assert e.exit_code == 2
    assert e.message.startswith("Modelfile:2: message role")
    assert e.hint


# -- typing: the 19 parameters -----------------------------------------------------------------

def test_there_are_19_parameters_and_9_deprecated():
    assert len(P.PARAMETERS) == 19
    kinds = {}
    for name, kind in P.PARAMETERS.items():
        kinds.setdefault(kind, set()).add(name)
    assert kinds["int"] == {"num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread", "num_keep", "seed",
                            "num_predict", "top_k", "repeat_last_n"}
    assert kinds["bool"] == {"use_mmap"}
    assert kinds["float"] == {"top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty",
                              "frequency_penalty"}
    assert kinds["list"] == {"stop"}
    assert len(P.DEPRECATED) == 9


@pytest.mark.parametrize(("name", "raw", "value"), [
    ("num_ctx", "4096", 4096), ("seed", "-1", -1), ("top_k", "+5", 5), ("num_keep", "007", 7),
    ("num_predict", "9223372036854775807", 2**63 - 1),
    ("use_mmap", "true", True), ("use_mmap", "True", True), ("use_mmap", "TRUE", True), ("use_mmap", "t", True),
    ("use_mmap", "1", True), ("use_mmap", "0", False), ("use_mmap", "F", False), ("use_mmap", "false", False),
    ("temperature", "0.7", 0.7), ("temperature", "1", 1.0), ("top_p", ".5", 0.5), ("top_p", "5.", 5.0),
    ("min_p", "1e-3", 0.001), ("repeat_penalty", "1_000.5", 1000.5), ("typical_p", "0x1p-2", 0.25),
    ("presence_penalty", "0.1234567891", 0.12345679),  # float32, as Go's JSON writes it
    ("frequency_penalty", "123456789", 123456790.0), ("temperature", "7e-46", 0.0),
    ("stop", "<|im_end|>", "<|im_end|>"), ("stop", "a b", "a b"),
])
def test_parameter_values_are_typed_like_the_cli(name, raw, value):
    mf = Modelfile.parse(f"FROM x\nPARAMETER {name} {raw}\n")
    assert not mf.errors()
    got = mf.params[name]
    assert (got == [value]) if name == "stop" else (got == value and type(got) is type(value))


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("num_ctx", "1.5", "invalid int value [1.5]"),
    ("num_ctx", "1_000", "invalid int value [1_000]"),
    ("seed", "9223372036854775808", "invalid int value [9223372036854775808]"),
    ("top_k", "0x10", "invalid int value [0x10]"),
    ("use_mmap", "yes", "invalid bool value [yes]"),
    ("use_mmap", "tRue", "invalid bool value [tRue]"),
    ("temperature", "warm", "invalid float value [warm]"),
    ("temperature", "1e39", "invalid float value [1e39]"),
    ("temperature", "_1", "invalid float value [_1]"),
    ("temperature", "+nan", "invalid float value [+nan]"),
    ("temperature", "nan", "json: unsupported value: NaN"),
    ("top_p", "-Inf", "json: unsupported value: -Inf"),
])
def test_bad_values_are_errors_with_the_cli_message(name, raw, message):
    mf = Modelfile.parse(f"FROM x\nPARAMETER {name} {raw}\n")
    (err,) = mf.errors()
    assert message in err.message and err.line == 2 and err.hint
    assert name not in mf.params


def test_unknown_parameter_is_an_error_with_a_suggestion():
    mf = Modelfile.parse("FROM x\nPARAMETER temprature 0.5\nPARAMETER Temperature 0.5\n")
    a, b = mf.errors()
    assert a.message == "unknown parameter 'temprature'" and "temperature" in a.hint
    assert b.message == "unknown parameter 'Temperature'"  # names are case-sensitive


def test_deprecated_parameters_warn_and_are_dropped():
    mf = Modelfile.parse("FROM x\nPARAMETER mirostat 2\nPARAMETER penalize_newline true\nPARAMETER seed 1\n")
    assert not mf.errors()
    assert [d.code for d in mf.diagnostics] == ["deprecated-parameter"] * 2
    assert mf.params == {"seed": 1}


def test_stop_accumulates_others_last_wins():
    mf = Modelfile.parse("FROM x\nPARAMETER stop a\nPARAMETER temperature 0.1\nPARAMETER stop b\n"
                         "PARAMETER temperature 0.2\n")
    assert mf.params == {"stop": ["a", "b"], "temperature": 0.2}


def test_template_system_last_wins_license_message_accumulate():
    mf = Modelfile.parse("FROM x\nSYSTEM one\nSYSTEM two\nTEMPLATE t1\nTEMPLATE t2\nLICENSE a\nLICENSE b\n"
                         "MESSAGE user q\nMESSAGE assistant a\n")
    assert mf.system.value == "two" and mf.template.value == "t2"
    assert [w.code for w in mf.diagnostics] == ["overridden", "overridden"]
    f = mf.create_fields()
    assert f["license"] == ["a", "b"]
    assert f["messages"] == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]


# -- create fields ---------------------------------------------------------------------------

def test_create_fields_map_one_to_one(tmp_path):
    weights = tmp_path / "w.gguf"
    weights.write_bytes(b"GGUF")
    mf = Modelfile.parse("FROM ./w.gguf\nADAPTER ./a.gguf\nSYSTEM s\nTEMPLATE t\nPARAMETER seed 3\n",
                         base_dir=tmp_path)
    fields = mf.create_fields(files={"w.gguf": "sha256:" + "0" * 64}, adapters={"a.gguf": "sha256:" + "1" * 64})
    assert fields == {"files": {"w.gguf": "sha256:" + "0" * 64}, "adapters": {"a.gguf": "sha256:" + "1" * 64},
                      "template": "t", "system": "s", "parameters": {"seed": 3}}
    # a FROM that is not an existing path is a model name: the last one is sent as `from`
    assert Modelfile.parse("FROM a\nFROM b\n", base_dir=tmp_path).create_fields() == {"from_": "b"}


def test_empty_system_and_template_are_not_sent():
    mf = Modelfile.parse('FROM x\nSYSTEM ""\nTEMPLATE ""\n')
    assert mf.create_fields() == {"from_": "x"}
    assert [d.code for d in mf.diagnostics] == ["empty-system"]


def test_several_adapters_warn_and_the_last_is_the_adapter():
    mf = Modelfile.parse("FROM x\nADAPTER a\nADAPTER b\n")
    assert mf.adapter.value == "b" and mf.diagnostics[0].code == "multiple-adapters"


# -- the writer ------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "written"), [
    ("plain", "plain"),
    ("two words", "two words"),
    ("", '""'),
    (" padded ", '" padded "'),
    ('"quoted"', '""quoted""'),
    ("a\nb", '"a\nb"'),
    ('line "one"\ntwo', '"""line "one"\ntwo"""'),
    ("#hash\nline", '"#hash\nline"'),
    ('ends with """', 'ends with """'),
])
def test_quote_picks_the_shortest_safe_spelling(value, written):
    assert quote(value) == written
    assert cmds(f"FROM x\nSYSTEM {written}\n")[1] == ("system", value)


def test_quote_refuses_what_the_parser_would_change():
    with pytest.raises(UnrepresentableValue, match="U\\+0007"):
        quote("bell\x07")
    with pytest.raises(UnrepresentableValue, match="cannot be written"):
        quote('a"\nb"""\nc')


def test_writer_is_canonical_and_round_trip_stable():
    text = ('from  "/w.gguf"\nparameter stop a\nSYSTEM   hi  \nPARAMETER temperature 0.50\nMESSAGE user "q"\n'
            'PARAMETER stop b\nLICENSE """MIT\nx"""\n# comment\nTEMPLATE """{{ .Prompt }}"""\nADAPTER ./l.gguf\n')
    mf = Modelfile.parse(text)
    canonical = mf.to_text()
    assert canonical == ('FROM /w.gguf\nADAPTER ./l.gguf\nTEMPLATE {{ .Prompt }}\nSYSTEM hi\nPARAMETER stop a\n'
                         'PARAMETER stop b\nPARAMETER temperature 0.5\nMESSAGE user q\nLICENSE "MIT\nx"\n')
    again = Modelfile.parse(canonical)
    assert again.create_fields() == mf.create_fields()
    assert again.to_text() == canonical


# -- properties ------------------------------------------------------------------------------

#: the characters the CLI keeps, weighted toward the ones that matter to quoting
texts = st.text(
    alphabet=st.one_of(st.sampled_from(['"', "#", "\n", "\r", " ", "\t", "'", "\\", "{", "}", ":"]),
                       st.characters(exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"]),
                       st.just(" ")),
    max_size=60)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example('He said "hi"\n"""\n# not a comment\n')
@example('"""')
@example(' "')
def test_written_values_read_back_unchanged(value):
    """writer → parser keeps any value; the only refusals are texts no quoting can delimit."""
    try:
        written = quote(value)
    except UnrepresentableValue:
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:-1]
        assert any(ln.rstrip(" \t").endswith('"') for ln in lines)
        assert any(ln.rstrip(" \t").endswith('"""') for ln in lines)
        return
    for keyword in ("SYSTEM", "TEMPLATE", "LICENSE", "MESSAGE user", "PARAMETER stop"):
        mf = Modelfile.parse(f"FROM x\n{keyword} {written}\nPARAMETER seed 1\n")
        got = {"SYSTEM": lambda: mf.system.value, "TEMPLATE": lambda: mf.template.value,
               "LICENSE": lambda: mf.license[0].value, "MESSAGE user": lambda: mf.messages[0].content,
               "PARAMETER stop": lambda: mf.params["stop"][0]}[keyword]()
        assert got == value
        assert mf.params["seed"] == 1  # and nothing after it was swallowed


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"],
                                      exclude_characters='"'), max_size=40).map(lambda s: s.replace("\\", "\n")))
def test_texts_without_quotes_are_always_representable(value):
    assert Modelfile.parse(f"FROM x\nSYSTEM {quote(value)}\n").system.value == value


finite = st.floats(allow_nan=False, allow_infinity=False, width=32)
param_values = st.one_of(
    st.tuples(st.sampled_from([n for n, k in P.PARAMETERS.items() if k == "int"]), st.integers(-2**63, 2**63 - 1)),
    st.tuples(st.sampled_from([n for n, k in P.PARAMETERS.items() if k == "float"]), finite),
    st.tuples(st.just("use_mmap"), st.booleans()),
    st.tuples(st.just("stop"), texts),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(system=st.one_of(st.none(), texts), template=st.one_of(st.none(), texts),
       params=st.lists(param_values, max_size=6),
       messages=st.lists(st.tuples(st.sampled_from(["system", "user", "assistant"]), texts), max_size=3),
       licenses=st.lists(texts, max_size=2))
def test_typed_modelfile_round_trips_through_text(system, template, params, messages, licenses):
    mf = Modelfile(**{"from": [Value(value="base:latest")]},
                   system=Value(value=system) if system is not None else None,
                   template=Value(value=template) if template is not None else None,
                   parameters=[Parameter(name=n, value=P.wire_float(v) if isinstance(v, float) else v)
                               for n, v in params],
                   messages=[Message(role=r, content=c) for r, c in messages],
                   license=[Value(value=v) for v in licenses])
    try:
        text = mf.to_text()
    except UnrepresentableValue:
        return
    back = Modelfile.parse(text)
    assert not back.errors()
    assert back.create_fields() == mf.create_fields()
    assert back.to_text() == text


def test_float_formatting_is_float32_shortest():
    assert P.format_value(P.wire_float(P.go_parse_float32("0.1234567891"))) == "0.12345679"
    assert P.format_value(0.7) == "0.7"
    assert P.format_value(True) == "true" and P.format_value(-3) == "-3"
    assert math.isnan(P.go_parse_float32("NaN"))
