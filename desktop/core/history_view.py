"""Pure helpers behind the conversation sidebar: date groups, search snippets, export names.

Kept out of the widget so the rules (where midnight falls, what counts as Markdown, how a
snippet is cut to keep its match visible) are tested without Qt.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Protocol, TypeVar

__all__ = [
    "GROUPS",
    "Segment",
    "clean_snippet",
    "date_group",
    "dedupe_hits",
    "export_file_name",
    "export_target",
    "fit_segments",
    "group_by_date",
    "plain_text",
    "rich_tooltip",
    "snippet_segments",
    "step_to_row",
]

GROUPS = ("Today", "Yesterday", "Previous 7 days", "Previous 30 days", "Older")
ELLIPSIS = "…"

Segment = tuple[str, bool]  # (text, is a match)


class _Dated(Protocol):
    @property
    def updated_at(self) -> float: ...


class _Hit(Protocol):
    @property
    def conversation_id(self) -> int: ...


D = TypeVar("D", bound=_Dated)
H = TypeVar("H", bound=_Hit)


# -- date groups ---------------------------------------------------------------------------


def date_group(timestamp: float, now: float, tz: tzinfo | None = None) -> str:
    """The header a conversation updated at `timestamp` goes under, by calendar day.

    Calendar days (not 24 h spans) so "Yesterday" starts at midnight, DST included;
    `tz` None is local time. A timestamp in the future counts as today.
    """
    today: date = datetime.fromtimestamp(now, tz).date()
    days = (today - datetime.fromtimestamp(timestamp, tz).date()).days
    if days <= 0:
        return GROUPS[0]
    if days == 1:
        return GROUPS[1]
    if days <= 7:
        return GROUPS[2]
    if days <= 30:
        return GROUPS[3]
    return GROUPS[4]


def group_by_date(items: Iterable[D], now: float, tz: tzinfo | None = None) -> list[tuple[str, list[D]]]:
    """Non-empty groups in GROUPS order; items keep their given order inside a group."""
    groups: dict[str, list[D]] = {name: [] for name in GROUPS}
    for item in items:
        groups[date_group(item.updated_at, now, tz)].append(item)
    return [(name, members) for name, members in groups.items() if members]


# -- search snippets -------------------------------------------------------------------------


def dedupe_hits(hits: Iterable[H]) -> list[H]:
    """One hit per conversation, the first (best ranked) one, order kept."""
    seen: set[int] = set()
    kept: list[H] = []
    for hit in hits:
        if hit.conversation_id not in seen:
            seen.add(hit.conversation_id)
            kept.append(hit)
    return kept


_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[\w+.#-]*[ \t]*$", re.MULTILINE)
# Link text may hold match markers: "[see [docs]](url)" -> "see [docs]". The target must
# look like an address, so code such as "[print](x)" (a match on print) stays as it is.
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\([^()\s]*[/.:#][^()\s]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HEADING = re.compile(r"^[ \t]*#{1,6}(?=[ \t]|$)[ \t]*", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_TASK = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\[[ xX]\][ \t]+", re.MULTILINE)
_LIST = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t|:-]*-[ \t|:-]*$", re.MULTILINE)
_ESCAPE = re.compile(r"\\([!#()*+\-.<>_`{|}~])")
_ESCAPED_BRACKET = re.compile(r"\\[\[\]]")
_EMPHASIS = re.compile(r"\*+|~~|(?<![\w\\\]])_+|_+(?![\w\[])")  # [ ] mark matches: parse_[csv] is one word
_SPACES = re.compile(r"\s+")


def clean_snippet(snippet: str) -> str:
    """Markdown syntax out, one line left, the "[" "]" match markers kept.

    The snippet is a piece of a message in Markdown, cut anywhere (so a fence or a
    list marker may be half there). What is left is plain text for one line.
    """
    text = _FENCE.sub(" ", snippet)
    text = _ESCAPED_BRACKET.sub("", text)  # a literal bracket would read as a match marker
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _RULE.sub(" ", text)
    text = _TABLE_RULE.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _TASK.sub(r"\1", text)
    text = _LIST.sub("", text)
    text = text.replace("`", "").replace("|", " ")
    escapes: list[str] = []  # escaped punctuation is text: keep it through the emphasis pass

    def hold(match: re.Match[str]) -> str:
        escapes.append(match.group(1))
        return f"\x00{len(escapes) - 1}\x00"

    text = _EMPHASIS.sub("", _ESCAPE.sub(hold, text))
    text = re.sub("\x00(\\d+)\x00", lambda m: escapes[int(m.group(1))], text)
    return _SPACES.sub(" ", text).strip()


def snippet_segments(cleaned: str) -> list[Segment]:
    """Split at the "[" "]" markers: (text, True) for a match. A lone bracket is text."""
    segments: list[Segment] = []
    plain: list[str] = []
    i = 0
    while i < len(cleaned):
        close = cleaned.find("]", i + 1) if cleaned[i] == "[" else -1
        inner = cleaned[i + 1:close] if close > 0 else ""
        if close > 0 and inner and "[" not in inner:
            if plain:
                segments.append(("".join(plain), False))
                plain = []
            segments.append((inner, True))
            i = close + 1
            continue
        plain.append(cleaned[i])
        i += 1
    if plain:
        segments.append(("".join(plain), False))
    return _merge(segments)


def plain_text(segments: Sequence[Segment]) -> str:
    return "".join(text for text, _ in segments)


def fit_segments(segments: Sequence[Segment], width: float,
                 measure: Callable[[str, bool], float]) -> list[Segment]:
    """Segments cut to `width` with "…", keeping the first match in view.

    `measure(text, bold)` is the painted width. When the first match would end past
    the edge, text before it is dropped (with a leading "…") so the match shows.
    """
    segments = _merge(segments)

    def total(parts: Sequence[Segment]) -> float:
        return sum(measure(text, bold) for text, bold in parts if text)

    if total(segments) <= width:
        return segments
    first = next((i for i, (_, bold) in enumerate(segments) if bold), None)
    if first is not None and first > 0 and total(segments[: first + 1]) > width:
        words = segments[first - 1][0].split(" ")
        while words and total([(ELLIPSIS + " ".join(words), False), segments[first]]) > width * 0.8:
            words.pop(0)
        segments = [(ELLIPSIS + " ".join(words), False), *segments[first:]]
    kept: list[Segment] = []
    used = 0.0
    room = width - measure(ELLIPSIS, False)
    for text, bold in segments:
        size = measure(text, bold)
        if used + size <= room:
            kept.append((text, bold))
            used += size
            continue
        cut = len(text)
        while cut > 0 and used + measure(text[:cut], bold) > room:
            cut -= 1
        if cut:
            kept.append((text[:cut].rstrip(), bold))
        kept.append((ELLIPSIS, False))
        break
    return _merge(kept)


def _merge(segments: Iterable[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for text, bold in segments:
        if not text:
            continue
        if merged and merged[-1][1] == bold:
            merged[-1] = (merged[-1][0] + text, bold)
        else:
            merged.append((text, bold))
    return merged


def rich_tooltip(*lines: str) -> str:
    """Escaped rich text for a tooltip: untrusted titles never render as markup."""
    body = "<br>".join(html.escape(line) for line in lines if line)
    return f"<p style='white-space:pre-wrap'>{body}</p>"


# -- export ------------------------------------------------------------------------------


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def export_file_name(title: str) -> str:
    """A file name proposed for a conversation's export (Markdown by default)."""
    stem = _UNSAFE.sub(" ", title)
    stem = _SPACES.sub(" ", stem).strip(" .")[:80].strip() or "conversation"
    return f"{stem}.md"


def export_target(path: str, selected_filter: str) -> str:
    """The path with .md or .json: the chosen filter decides when the name has neither."""
    if path.lower().endswith((".md", ".json")):
        return path
    return path + (".json" if "json" in selected_filter.lower() else ".md")


def step_to_row(openable: Sequence[bool], start: int, step: int) -> int | None:
    """The nearest openable row from `start` (inclusive) going `step` (±1); headers are skipped."""
    row = start
    while 0 <= row < len(openable):
        if openable[row]:
            return row
        row += step
    return None
