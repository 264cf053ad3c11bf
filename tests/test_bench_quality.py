"""Quality checks on hand-written reports (good and bad), and the shipped prompt set."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelkit.bench.prompts import CITATION, load_prompt_set, render_digest
from modelkit.bench.quality import SECTION_ALIASES, check_report, language_share
from modelkit.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
PS = load_prompt_set()
SMALL = PS.digest("small")  # items #12 #13 #15 #16 #17 #18
EN = PS.system_for("en")
ZH = PS.system_for("zh")

GOOD_EN = """## Summary
A quiet week: a crash in `modelkit list` was fixed, `ps` learned JSON output and v0.1.1 shipped.

## New features
- `modelkit ps --json` prints machine-readable output (#15).

## Improvements
- The docs explain how --host and OLLAMA_HOST take precedence (#16).
- File digests are cached, so unchanged weights are not hashed again (#17).

## Bug fixes
- `modelkit list` no longer crashes on models without a quantization level (#12, fixed by #13).

## Releases
- v0.1.1 ships the list fix and faster rebuilds (#18).
"""

GOOD_ZH = """## 概述
本周较为平静：修复了 `modelkit list` 的崩溃问题，`ps` 支持输出 JSON，并发布了 v0.1.1 版本。

## 新功能
- #15 为 `modelkit ps` 增加了 `--json` 选项，可以输出机器可读的结果。

## 改进
- #16 文档说明了 `--host` 与 `OLLAMA_HOST` 的优先级。
- #17 缓存文件摘要，未改变的权重不再重复计算哈希。

## 问题修复
- #12 修复了模型没有量化级别时 `modelkit list` 崩溃的问题，由 #13 完成。

## 版本发布
- #18 发布 v0.1.1，包含列表修复和更快的重新构建。
"""


def test_good_english_report_scores_full_marks():
    q = check_report(GOOD_EN, SMALL, EN)
    assert q.lang_ok and q.lang_share == 1.0
    assert q.sections_missing == [] and q.sections == 1.0
    assert q.cited == [12, 13, 15, 16, 17, 18] and q.coverage == 1.0
    assert q.invented == [] and q.placement == 1.0
    assert q.length_bounds[0] <= q.length <= q.length_bounds[1]
    assert q.score == 100.0


def test_good_chinese_report_scores_full_marks():
    q = check_report(GOOD_ZH, SMALL, ZH)
    assert q.lang == "zh" and q.lang_ok and q.lang_share > 0.9
    assert q.sections_missing == []
    assert q.coverage == 1.0 and q.invented == [] and q.placement == 1.0
    assert q.score == 100.0


def test_english_report_to_a_chinese_prompt_fails_the_language_check():
    q = check_report(GOOD_EN, SMALL, ZH)
    assert not q.lang_ok and q.lang_share < 0.05
    assert q.sections_missing == []  # English headings still count: the language check is what fails
    assert q.score < 5


def test_chinese_report_to_an_english_prompt_fails_the_language_check():
    q = check_report(GOOD_ZH, SMALL, EN)
    assert not q.lang_ok and q.lang_share < 0.3
    assert q.score < 30


def test_mixed_language_report_gets_partial_credit():
    half = GOOD_ZH.split("## 改进")[0] + "## Improvements\n" + GOOD_EN.split("## Improvements")[1]
    q = check_report(half, SMALL, ZH)
    assert 0.05 < q.lang_share < 0.6 and not q.lang_ok
    assert 5 < q.score < 90


def test_missing_sections_are_named_and_cost_points():
    report = GOOD_EN.split("## Bug fixes")[0]  # no Bug fixes, no Releases
    q = check_report(report, SMALL, EN)
    assert q.sections_missing == ["fixes", "releases"]
    assert q.sections == pytest.approx(0.6)
    assert q.missing == [12, 13, 18]
    assert q.coverage == pytest.approx(0.5)
    assert q.score < 80


def test_invented_numbers_are_listed_and_penalised():
    report = GOOD_EN + "- Also merged #99 and #123, see #15 again.\n"
    q = check_report(report, SMALL, EN)
    assert q.invented == [99, 123]
    assert q.coverage == 1.0
    assert q.score == pytest.approx(80.0)  # 100 − 2 × 10


def test_numbers_in_the_digest_text_are_not_invented():
    # "#12" is an item; everything the digest mentions is fair to cite
    assert SMALL.numbers == {12, 13, 15, 16, 17, 18}
    assert check_report("## Summary\n#12 #13", SMALL, EN).invented == []


def test_items_under_the_wrong_section_lower_placement():
    swapped = GOOD_EN.replace("(#15)", "(#TMP)").replace("(#18)", "(#15)").replace("(#TMP)", "(#18)")
    q = check_report(swapped, SMALL, EN)
    assert q.coverage == 1.0
    assert q.placement == pytest.approx(4 / 6, abs=1e-3)
    assert q.score == pytest.approx(100 - 10 * (2 / 6), abs=0.01)


def test_tolerant_heading_forms_in_both_languages():
    report = """**Overview**: we shipped #15 and a fix.

What's new:
- #15 ps --json

### 2. Enhancements & performance
- #16 docs; #17 digest cache

【问题修复】
- #12 #13

Release notes
- #18 v0.1.1
"""
    q = check_report(report, SMALL, EN)
    assert q.sections_missing == []
    assert q.coverage == 1.0
    assert q.placement == 1.0


def test_chinese_headings_without_markdown_and_numbered():
    report = "一、概述\n本周发布了新版本。\n\n二、新功能：\n- #15\n\n**改进与优化**\n- #16 #17\n\n3. 问题修复\n- #12 #13\n\n版本发布：\n- #18\n"
    q = check_report(report, SMALL, ZH)
    assert q.sections_missing == [], q
    assert q.placement == 1.0


def test_long_sentences_are_not_headings():
    # a heading that merely contains a section word in a long sentence does not count
    report = "## 把摘要中使用Markdown文框记录的所有内容都整理一下\n- #12\n"
    q = check_report(report, SMALL, ZH)
    assert "summary" not in q.sections_found
    report = "1. Added summary support for the new features of the CLI tooling here:\n"
    assert check_report(report, SMALL, EN).sections_found == []


def test_a_report_wrapped_in_a_code_fence_is_still_read():
    q = check_report("```markdown\n" + GOOD_EN + "```\n", SMALL, EN)
    assert q.score == 100.0


def test_length_out_of_bounds():
    short = "## Summary\nFixed #12.\n## New features\n## Improvements\n## Bug fixes\n## Releases\n"
    q = check_report(short, SMALL, EN)
    assert q.length < q.length_bounds[0] and q.length_score < 0.5
    long = GOOD_EN + ("More words about the week. " * 200)
    q = check_report(long, SMALL, EN)
    assert q.length > q.length_bounds[1] and q.length_score < 1.0


def test_empty_report_scores_zero():
    q = check_report("", SMALL, EN)
    assert q.score == 0.0 and not q.lang_ok and q.coverage == 0.0


def test_language_share_ignores_code_urls_and_numbers():
    assert language_share("修复了 `modelkit build --adapter` 的问题 https://example.com/x #12", "zh") == 1.0
    assert language_share("", "en") == 0.0


# -- the prompt set ---------------------------------------------------------------------------


@pytest.mark.parametrize("digest_id", ["small", "medium", "large"])
def test_shipped_digests_carry_their_facts(digest_id):
    d = PS.digest(digest_id)
    numbers = {int(n) for n in CITATION.findall(d.text)}
    assert numbers == set(d.item_numbers), "every #number in the digest text is an item and vice versa"
    assert all(i.section in EN.sections for i in d.items)
    assert {i.kind for i in d.items} == {"issue", "pr", "commit", "release"}
    assert 123 not in numbers  # the system prompts' example number is never a real item


def test_digest_sizes_grow():
    sizes = [len(PS.digest(x).items) for x in ("small", "medium", "large")]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_both_report_languages_share_sections_and_headings_match_the_aliases():
    assert EN.lang == "en" and ZH.lang == "zh" and EN.sections == ZH.sections
    for sp in (EN, ZH):
        headings = [line[3:] for line in sp.text.splitlines() if line.startswith("## ")]
        assert len(headings) == len(sp.sections)
        q = check_report("\n".join(f"## {h}" for h in headings), SMALL, sp)
        assert q.sections_missing == [], (sp.id, headings)
    assert set(EN.sections) <= set(SECTION_ALIASES)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_system_prompts_match_the_shipped_report_modelfiles(lang):
    """The bench's system prompt is the one the report models are built with (modelfiles/)."""
    partial = ROOT / "modelfiles" / "partials" / f"system.{lang}.j2"
    assert partial.read_text(encoding="utf-8").strip() == PS.system_for(lang).text


def test_user_prompt_dirs_add_and_replace(tmp_path):
    (tmp_path / "digests").mkdir()
    (tmp_path / "system").mkdir()
    (tmp_path / "digests" / "mine.toml").write_text(
        'id = "mine"\ntext = """Issues:\n- #7 crash on start\n- #8 faster start"""\n'
        '[[items]]\nnumber = 7\nkind = "issue"\nsection = "fixes"\n[[items]]\nnumber = 8\nkind = "pr"\nsection = "improvements"\n')
    (tmp_path / "system" / "report-en.toml").write_text(
        'lang = "en"\nsections = ["fixes", "risks"]\ntext = "Write sections Fixes and Risks."\n'
        '[aliases]\nrisks = ["Risks", "风险"]\n')
    ps = load_prompt_set([tmp_path])
    assert "small" in ps.digests and ps.digest("mine").numbers == {7, 8}
    sp = ps.system_for("en")
    assert sp.text.startswith("Write sections") and sp.sections == ("fixes", "risks")
    q = check_report("## Fixes\n- #7\n## Risks\n- none\n", ps.digest("mine"), sp)
    assert q.sections_missing == [] and q.cited == [7]


def test_rendered_digest_lists_every_item():
    text = render_digest(SMALL)
    for i in SMALL.items:
        assert f"#{i.number}" in text
    assert "Pull requests:" in text and "Releases:" in text


@pytest.mark.parametrize("content, message", [
    ('id = "x"\n[[items]]\nkind = "issue"\n', "integer `number`"),
    ('id = "x"\n[[items]]\nnumber = 1\nkind = "tweet"\n', "kind 'tweet'"),
    ('id = "x"\n', "needs `text` or [[items]]"),
    ('id = "x\n', "TOML"),
])
def test_bad_digest_files_are_usage_errors(tmp_path, content, message):
    (tmp_path / "digests").mkdir()
    (tmp_path / "digests" / "x.toml").write_text(content)
    with pytest.raises(UsageError) as e:
        load_prompt_set([tmp_path])
    assert message in e.value.message or message in (e.value.hint or "") or "TOML" in e.value.one_line()


def test_unknown_prompt_and_language_name_what_exists():
    with pytest.raises(UsageError) as e:
        PS.digest("huge")
    assert "small" in (e.value.hint or "")
    with pytest.raises(UsageError) as e:
        PS.system_for("fr")
    assert "zh" in (e.value.hint or "")


def test_rambling_of_the_right_length_earns_nothing():
    ramble = "The project is going well and we are happy with it. " * 12  # ~120 words, no headings, no #numbers
    q = check_report(ramble, SMALL, EN)
    assert q.lang_ok and q.length_score == 1.0
    assert q.sections == 0 and q.coverage == 0
    assert q.score == 0.0
