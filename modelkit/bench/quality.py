"""Quality checks on one generated report, and the combined score.

Checks (docs/benchmark.md states them for users):

* language: the share of the text's words written in the requested language's script — a
  CJK character counts as one word, a run of Latin or Cyrillic letters as one word; inline
  code and URLs are ignored. Passes at ≥ 60 % for zh/ja/ko, ≥ 90 % for alphabetic languages.
* sections: headings (Markdown ``#``, a bold-only line, a short line ending in a colon, or a
  line that is just a section name) are normalised (case, numbering, emphasis, punctuation)
  and matched against each section's names in English and Chinese.
* coverage: the share of the digest's items whose ``#number`` the report cites.
* invented: ``#numbers`` cited that the digest does not mention.
* placement: the share of cited digest items cited at least once under their own section.
* length: words within the digest's bounds for the language.

score = clamp(100 · G · (0.30·S + 0.40·C + 0.10·P + 0.20·Λ·max(S, C)) − 10·I, 0, 100) with
G = min(1, language share / threshold), S sections, C coverage, P placement, Λ length score
(1 within bounds, else length/min or max/length; it counts only as far as the text is a report:
max(S, C) — rambling of the right length earns nothing), I the number of distinct invented #numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from modelkit.bench.models import Quality
from modelkit.bench.prompts import CITATION, Digest, SystemPrompt

WEIGHTS = {"sections": 0.30, "coverage": 0.40, "placement": 0.10, "length": 0.20}
INVENTED_PENALTY = 10.0
CJK_THRESHOLD = 0.60
ALPHA_THRESHOLD = 0.90

#: Heading names per section key, English and Chinese, normalised (lower case, no punctuation).
SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "overview", "highlights", "executive summary", "tl dr", "tldr",
                "概述", "概要", "摘要", "总结", "总览", "综述", "概况"),
    "features": ("new features", "features", "feature", "what's new", "whats new", "additions",
                 "新功能", "新特性", "新增功能", "功能", "特性", "新增"),
    "improvements": ("improvements", "improvement", "enhancements", "enhancement", "performance",
                     "改进", "优化", "改善", "增强", "改进与优化", "性能"),
    "fixes": ("bug fixes", "bugfixes", "fixes", "fix", "bugs", "bug fix",
              "问题修复", "修复", "缺陷修复", "错误修复", "bug 修复", "漏洞修复"),
    "releases": ("releases", "release", "release notes", "new releases", "versions", "version",
                 "版本发布", "发布", "版本", "发布说明", "新版本", "发行"),
}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)*")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"https?://\S+")
_FENCE = re.compile(r"^\s*(```|~~~)")

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)(.+?)(?:\*\*|__)\s*[:：]?\s*$")
_COLON_LINE = re.compile(r"^\s*(.{1,40}?)\s*[:：]\s*$")
_BRACKET_LINE = re.compile(r"^\s*[【\[](.{1,20})[】\]]\s*$")
_LEAD = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?([^:：*_#＃]{1,30}?)(?:\*\*|__)?\s*[:：](?:\*\*|__)?\s*(\S.*)$")
_NUMBERING = re.compile(r"^(?:\d+[.)、]|[一二三四五六七八九十]+[、.．]|[ivx]+[.)]|[(（]?[一二三四五六七八九十\d]+[)）])\s*")


def word_counts(text: str) -> dict[str, int]:
    """Words per script: CJK characters one each; Latin/Cyrillic letter runs one each."""
    text = _URL.sub(" ", _INLINE_CODE.sub(" ", text))
    text = CITATION.sub(" ", text)
    return {
        "han": len(_HAN.findall(text)),
        "kana": len(_KANA.findall(text)),
        "hangul": len(_HANGUL.findall(text)),
        "latin": len(_LATIN_WORD.findall(text)),
        "cyrillic": len(_CYRILLIC_WORD.findall(text)),
    }


def language_share(text: str, lang: str) -> float:
    c = word_counts(text)
    total = sum(c.values())
    if not total:
        return 0.0
    base = lang.split("-")[0].lower()
    if base == "zh":
        own = c["han"]
    elif base == "ja":
        own = c["han"] + c["kana"] if c["kana"] else 0
    elif base == "ko":
        own = c["hangul"] + c["han"]
    elif base in ("ru", "uk", "bg", "sr", "be", "kk"):
        own = c["cyrillic"]
    else:
        own = c["latin"]
    return own / total


def language_threshold(lang: str) -> float:
    return CJK_THRESHOLD if lang.split("-")[0].lower() in ("zh", "ja", "ko") else ALPHA_THRESHOLD


def normalize_heading(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip().lower()
    t = t.strip("#*_ \t")
    t = _NUMBERING.sub("", t)
    t = re.sub(r"[*_`~]", "", t)
    t = "".join(ch if (ch.isalnum() or ch in " '") else " " for ch in t)
    return " ".join(t.split())


def _alias_table(system: SystemPrompt | None) -> dict[str, tuple[str, ...]]:
    table = dict(SECTION_ALIASES)
    if system is not None:
        for key, names in system.aliases.items():
            table[key] = tuple(normalize_heading(n) for n in names) + table.get(key, ())
    return table


def _matches(heading: str, alias: str) -> bool:
    """``heading`` names ``alias``: equal, or contains it with only a few more words around."""
    if heading == alias:
        return True
    if _HAN.search(alias):
        return alias in heading and len(heading.replace(" ", "")) <= len(alias) + 6
    if len(heading.split()) > len(alias.split()) + 4:
        return False
    return re.search(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])", heading) is not None


@dataclass
class Heading:
    sections: set[str]
    level: int  # 1-6 for Markdown headings, 7 for bold/colon/plain headings
    rest: str = ""  # text after "Summary:" on the same line


def _sections_of(norm: str, wanted: tuple[str, ...], aliases: dict[str, tuple[str, ...]], *, exact: bool) -> set[str]:
    found = set()
    for key in wanted:
        for alias in aliases.get(key, (normalize_heading(key),)):
            if (norm == alias) if exact else _matches(norm, alias):
                found.add(key)
                break
    return found


def parse_heading(line: str, wanted: tuple[str, ...], aliases: dict[str, tuple[str, ...]]) -> Heading | None:
    """The heading a line is, with the sections it names; ``None`` when it is not a heading.

    A Markdown heading is a heading even when it names no section (it closes the previous
    one). A bold-only line, a short line ending in a colon or a bracketed line is a heading
    only when it names a section; so is a plain line that is exactly a section name, and a
    line that starts with one followed by a colon ("Summary: we shipped…").
    """
    if m := _MD_HEADING.match(line):
        raw = m.group(1)
        if CITATION.search(raw):
            return None
        level = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
        return Heading(_sections_of(normalize_heading(raw), wanted, aliases, exact=False), level)
    for pattern in (_BOLD_LINE, _BRACKET_LINE, _COLON_LINE):
        if m := pattern.match(line):
            raw = m.group(1)
            norm = normalize_heading(raw)
            if CITATION.search(raw) or not norm or len(norm.split()) > 5 or len(norm) > 30:
                return None
            found = _sections_of(norm, wanted, aliases, exact=False)
            return Heading(found, 7) if found else None
    if m := _LEAD.match(line):
        found = _sections_of(normalize_heading(m.group(1)), wanted, aliases, exact=True)
        if found:
            return Heading(found, 7, m.group(2))
    norm = normalize_heading(line)
    if norm and len(norm) <= 30:
        found = _sections_of(norm, wanted, aliases, exact=True)
        if found:
            return Heading(found, 7)
    return None


def report_length(text: str) -> int:
    return sum(word_counts(text).values())


def check_report(text: str, digest: Digest, system: SystemPrompt | None, lang: str | None = None,
                 *, truncated: bool = False) -> Quality:
    """Run every check on ``text``, the report written for ``digest`` under ``system``."""
    lang = lang or (system.lang if system else "en")
    sections = system.sections if system else tuple(SECTION_ALIASES)
    aliases = _alias_table(system)

    share = language_share(text, lang)
    threshold = language_threshold(lang)

    found: set[str] = set()
    current: set[str] = set()
    current_level = 99
    placed: set[int] = set()
    cited: set[int] = set()
    for line in text.splitlines():
        if _FENCE.match(line):  # a report wrapped in ```markdown fences is still read
            continue
        h = parse_heading(line, sections, aliases)
        if h is not None:
            if h.sections:
                found |= h.sections
                current, current_level = h.sections, h.level
            elif h.level <= current_level:
                current, current_level = set(), 99
            line = h.rest
        for n in map(int, CITATION.findall(line)):
            cited.add(n)
            if digest.section_of(n) in current:
                placed.add(n)

    items = set(digest.item_numbers)
    known = digest.numbers
    cited_items = cited & items
    coverage = len(cited_items) / len(items) if items else 1.0
    placement = len(placed & cited_items) / len(cited_items) if cited_items else 0.0
    section_share = len(found & set(sections)) / len(sections) if sections else 1.0

    length = report_length(text)
    lo, hi = digest.length_bounds(lang)
    length_score = 1.0 if lo <= length <= hi else (length / lo if length < lo else hi / length)
    invented = sorted(cited - known)

    g = min(1.0, share / threshold) if threshold else 1.0
    body = (WEIGHTS["sections"] * section_share + WEIGHTS["coverage"] * coverage
            + WEIGHTS["placement"] * placement + WEIGHTS["length"] * length_score * max(section_share, coverage))
    score = max(0.0, min(100.0, 100.0 * g * body - INVENTED_PENALTY * len(invented)))
    return Quality(
        lang=lang,
        lang_share=round(share, 4),
        lang_ok=share >= threshold,
        sections_found=[s for s in sections if s in found],
        sections_missing=[s for s in sections if s not in found],
        sections=round(section_share, 4),
        cited=sorted(cited_items),
        missing=sorted(items - cited),
        invented=invented,
        coverage=round(coverage, 4),
        placement=round(placement, 4),
        length=length,
        length_bounds=(lo, hi),
        length_score=round(length_score, 4),
        truncated=truncated,
        score=round(score, 2),
    )
