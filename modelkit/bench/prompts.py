"""The report prompt set: activity digests (with the facts the checks need) and system prompts.

A prompt directory holds ``digests/*.toml`` and ``system/*.toml``. The shipped set lives in
``modelkit/bench/data``; a project adds its own with ``bench/prompts/`` (found next to
modelkit.toml), ``--prompts DIR`` or ``[bench] prompt_dirs``. A later directory's file with
the same id replaces the shipped one.

Digest file::

    id = "medium"
    title = "modelkit activity, 3-16 March 2025"
    length = { en = [120, 700], zh = [200, 1400] }   # optional bounds, in words
    text = "..."                                      # optional: the digest verbatim
    [[items]]                                         # the facts: one per #number
    number = 41
    kind = "issue"          # issue | pr | commit | release
    title = "..."
    section = "fixes"       # where the report must put it (a system prompt section key)
    labels = ["bug"]; state = "closed"; author = "lin-wei"; sha = "..."; tag = "v0.2.0"

Without ``text`` the digest is rendered from the items (``render_digest``). System prompt
file: ``id``, ``lang``, ``sections`` (keys, in order), ``text``, optional ``user_prefix`` and
``[aliases]`` (extra heading names per section key).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from modelkit.errors import UsageError

KINDS = ("issue", "pr", "commit", "release")
KIND_HEADINGS = {"issue": "Issues", "pr": "Pull requests", "commit": "Commits", "release": "Releases"}
CITATION = re.compile(r"[#＃](\d{1,7})\b")
CJK_LANGS = ("zh", "ja", "ko")


@dataclass(frozen=True)
class DigestItem:
    number: int
    kind: str
    title: str
    section: str | None = None
    labels: tuple[str, ...] = ()
    state: str | None = None
    author: str | None = None
    sha: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Digest:
    id: str
    title: str
    items: tuple[DigestItem, ...]
    text: str
    length: dict[str, tuple[int, int]] = field(default_factory=dict)
    source: str = ""

    @property
    def numbers(self) -> set[int]:
        """Every #number the digest mentions: references to anything else are invented."""
        return {int(n) for n in CITATION.findall(self.text)} | {i.number for i in self.items}

    @property
    def item_numbers(self) -> list[int]:
        return [i.number for i in self.items]

    def section_of(self, number: int) -> str | None:
        return next((i.section for i in self.items if i.number == number), None)

    def length_bounds(self, lang: str) -> tuple[int, int]:
        if lang in self.length:
            return self.length[lang]
        base = lang if lang in CJK_LANGS else "en"
        family = "zh" if base in CJK_LANGS else "en"
        if family in self.length:
            return self.length[family]
        n = max(len(self.items), 3)
        lo, hi = max(40, 6 * n), 200 + 40 * n
        return (2 * lo, 2 * hi) if family == "zh" else (lo, hi)


@dataclass(frozen=True)
class SystemPrompt:
    id: str
    lang: str
    text: str
    sections: tuple[str, ...]
    user_prefix: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""


@dataclass
class PromptSet:
    digests: dict[str, Digest]
    systems: dict[str, SystemPrompt]

    def digest(self, ident: str) -> Digest:
        try:
            return self.digests[ident]
        except KeyError:
            raise UsageError(
                f"unknown prompt '{ident}'", hint=f"available digests: {', '.join(sorted(self.digests))}"
            ) from None

    def system_for(self, lang_or_id: str) -> SystemPrompt:
        """A system prompt by id (``report-zh``) or by language (``zh`` → ``report-zh``, else the first)."""
        if lang_or_id in self.systems:
            return self.systems[lang_or_id]
        if f"report-{lang_or_id}" in self.systems:
            return self.systems[f"report-{lang_or_id}"]
        for sp in self.systems.values():
            if sp.lang == lang_or_id:
                return sp
        raise UsageError(
            f"no system prompt for language '{lang_or_id}'",
            hint=f"available: {', '.join(sorted({s.lang for s in self.systems.values()} | set(self.systems)))}; "
            "add one under <prompts dir>/system/",
        )


def shipped_dir() -> Path:
    return Path(str(resources.files("modelkit.bench") / "data"))


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: {e}", hint="fix the TOML syntax of this prompt file") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None


def _bounds(value: Any, path: Path) -> tuple[int, int]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] <= value[1]):
        raise UsageError(f"{path}: length bounds must be [min, max] integers, got {value!r}")
    return (value[0], value[1])


def parse_digest(data: dict[str, Any], path: Path) -> Digest:
    ident = data.get("id", path.stem)
    items = []
    for raw in data.get("items", []):
        try:
            item = DigestItem(
                number=int(raw["number"]),
                kind=str(raw.get("kind", "issue")),
                title=str(raw.get("title", "")),
                section=raw.get("section"),
                labels=tuple(raw.get("labels", ())),
                state=raw.get("state"),
                author=raw.get("author"),
                sha=raw.get("sha"),
                tag=raw.get("tag"),
            )
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"{path}: every [[items]] needs an integer `number`", hint=f"item: {raw!r}") from None
        if item.kind not in KINDS:
            raise UsageError(f"{path}: item #{item.number} has kind '{item.kind}'", hint=f"use one of {', '.join(KINDS)}")
        items.append(item)
    if len({i.number for i in items}) != len(items):
        raise UsageError(f"{path}: an item #number occurs twice")
    text = data.get("text")
    digest = Digest(
        id=ident,
        title=str(data.get("title", ident)),
        items=tuple(items),
        text="",
        length={k: _bounds(v, path) for k, v in data.get("length", {}).items()},
        source=str(path),
    )
    if not text and not items:
        raise UsageError(f"{path}: a digest needs `text` or [[items]]")
    text = str(text).strip() if text else render_digest(digest)
    return Digest(**{**digest.__dict__, "text": text})


def parse_system(data: dict[str, Any], path: Path) -> SystemPrompt:
    for key in ("lang", "text", "sections"):
        if key not in data:
            raise UsageError(f"{path}: a system prompt needs `{key}`", hint="see modelkit/bench/data/system/report-en.toml")
    aliases = {k: tuple(v) for k, v in data.get("aliases", {}).items()}
    return SystemPrompt(
        id=data.get("id", path.stem),
        lang=str(data["lang"]),
        text=str(data["text"]).strip(),
        sections=tuple(data["sections"]),
        user_prefix=str(data.get("user_prefix", "")).strip(),
        aliases=aliases,
        source=str(path),
    )


def load_prompt_set(extra_dirs: list[str | Path] | tuple[str | Path, ...] = ()) -> PromptSet:
    """The shipped prompts, then each extra directory (later ids replace earlier ones)."""
    digests: dict[str, Digest] = {}
    systems: dict[str, SystemPrompt] = {}
    for d in [shipped_dir(), *map(Path, extra_dirs)]:
        if not d.is_dir():
            raise UsageError(f"prompt directory {d} does not exist", hint="it should hold digests/*.toml and system/*.toml")
        for path in sorted((d / "digests").glob("*.toml")):
            dg = parse_digest(_load_toml(path), path)
            digests[dg.id] = dg
        for path in sorted((d / "system").glob("*.toml")):
            sp = parse_system(_load_toml(path), path)
            systems[sp.id] = sp
    return PromptSet(digests, systems)


def render_digest(digest: Digest) -> str:
    """The user-visible digest: items grouped by kind, each line with its #number."""
    lines = [f"Activity digest: {digest.title}"]
    for kind in KINDS:
        items = [i for i in digest.items if i.kind == kind]
        if not items:
            continue
        lines += ["", f"{KIND_HEADINGS[kind]}:"]
        for i in items:
            if kind == "commit":
                head = f"- {i.sha + ' ' if i.sha else ''}{i.title} (#{i.number})"
            elif kind == "release":
                head = f"- #{i.number} {i.title}" if not i.tag or i.title.startswith(i.tag) else f"- #{i.number} {i.tag}: {i.title}"
            else:
                head = f"- #{i.number} {i.title}"
            tags = [*i.labels]
            if i.state:
                tags.append(i.state)
            if tags:
                head += f" [{', '.join(tags)}]"
            if i.author:
                head += f" by @{i.author}"
            lines.append(head)
    return "\n".join(lines)


def build_messages(digest: Digest, system: SystemPrompt, *, use_model_system: bool = False) -> list[dict[str, str]]:
    """The chat messages of one case. With ``use_model_system`` no system message is sent."""
    user = f"{system.user_prefix}\n\n{digest.text}" if system.user_prefix else digest.text
    messages = [] if use_model_system else [{"role": "system", "content": system.text}]
    messages.append({"role": "user", "content": user})
    return messages


def messages_sha(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
