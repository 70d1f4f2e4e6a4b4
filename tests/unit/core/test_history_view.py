from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from desktop.core.history_view import (
    clean_snippet,
    date_group,
    dedupe_hits,
    export_file_name,
    export_target,
    fit_segments,
    group_by_date,
    plain_text,
    rich_tooltip,
    snippet_segments,
    step_to_row,
)

NOW = datetime(2026, 3, 15, 14, 30).timestamp()  # local time, like the sidebar


def local(*args: int) -> float:
    return datetime(*args).timestamp()


@dataclass(frozen=True)
class Row:
    name: str
    updated_at: float


@dataclass(frozen=True)
class Hit:
    conversation_id: int
    snippet: str


@pytest.mark.parametrize(("when", "group"), [
    (local(2026, 3, 15, 14, 29), "Today"),
    (local(2026, 3, 15, 0, 0), "Today"),  # midnight starts today
    (local(2026, 3, 16, 9, 0), "Today"),  # a clock ahead: not "the future"
    (local(2026, 3, 14, 23, 59, 59), "Yesterday"),
    (local(2026, 3, 14, 0, 0), "Yesterday"),
    (local(2026, 3, 13, 23, 59, 59), "Previous 7 days"),
    (local(2026, 3, 8, 0, 0), "Previous 7 days"),  # 7 days ago
    (local(2026, 3, 7, 23, 59, 59), "Previous 30 days"),  # 8 days ago
    (local(2026, 2, 13, 0, 0), "Previous 30 days"),  # 30 days ago
    (local(2026, 2, 12, 23, 59, 59), "Older"),
    (local(2020, 1, 1), "Older"),
])
def test_date_group_boundaries_in_local_time(when, group):
    assert date_group(when, NOW) == group


def test_date_group_uses_the_given_time_zone():
    now = datetime(2026, 3, 15, 0, 30, tzinfo=UTC).timestamp()
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC).timestamp()
    assert date_group(late, now, UTC) == "Yesterday"
    assert date_group(late, now, timezone(timedelta(hours=2))) == "Today"  # both 15 March there


def test_group_by_date_keeps_order_and_drops_empty_groups():
    rows = [Row("a", local(2026, 3, 15, 9)), Row("old", local(2025, 1, 1)), Row("b", local(2026, 3, 15, 8)),
            Row("y", local(2026, 3, 14, 12))]
    groups = group_by_date(rows, NOW)
    assert [(name, [r.name for r in members]) for name, members in groups] == [
        ("Today", ["a", "b"]), ("Yesterday", ["y"]), ("Older", ["old"]),
    ]
    assert group_by_date([], NOW) == []


def test_dedupe_hits_keeps_the_first_per_conversation():
    hits = [Hit(2, "best"), Hit(1, "x"), Hit(2, "worse"), Hit(1, "y"), Hit(3, "z")]
    assert [(h.conversation_id, h.snippet) for h in dedupe_hits(hits)] == [(2, "best"), (1, "x"), (3, "z")]


@pytest.mark.parametrize(("raw", "clean"), [
    ("…the **[python]** way…", "…the [python] way…"),
    ("use `[print]()` and *emphasis* and __strong__ ~~gone~~", "use [print]() and emphasis and strong gone"),
    ("call `[print](x)` here", "call [print](x) here"),
    ("## [Heading] here\nnext line", "[Heading] here next line"),
    ("- one [item]\n* two\n+ three\n12. twelve\n3) three", "one [item] two three twelve three"),
    ("> quoted [text]\n> > nested", "quoted [text] nested"),
    ("see [the [docs]](https://x.org/a_b) or [this](#anchor)", "see the [docs] or this"),
    ("![a [cat]](cat.png) <https://example.org>", "a [cat] https://example.org"),
    ("```python\nx = [y]\n```\ntext", "x = [y] text"),
    ("| a | [b] |\n|---|:--:|\n| c | d |", "a [b] c d"),
    ("---\nafter the rule", "after the rule"),
    ("- [ ] open [task]\n- [x] done", "open [task] done"),
    ("snake_case_name stays, \\*literal\\* too", "snake_case_name stays, *literal* too"),
    ("a \\[literal\\] bracket and [match]", "a literal bracket and [match]"),
    ("<b>[x]</b> is text, not markup", "<b>[x]</b> is text, not markup"),
    ("  many\n\n   spaces\tand\nlines  ", "many spaces and lines"),
])
def test_clean_snippet_removes_markdown_and_keeps_match_markers(raw, clean):
    assert clean_snippet(raw) == clean


def test_snippet_segments_split_at_markers():
    assert snippet_segments("a [b] c [d]") == [("a ", False), ("b", True), (" c ", False), ("d", True)]
    assert snippet_segments("[only]") == [("only", True)]
    assert snippet_segments("lone [ bracket") == [("lone [ bracket", False)]
    assert snippet_segments("empty [] pair") == [("empty [] pair", False)]
    assert snippet_segments("") == []
    assert plain_text(snippet_segments("a [b] c")) == "a b c"


def width(text: str, bold: bool) -> float:
    return len(text) * (2 if bold else 1)


def test_fit_segments_leaves_what_fits():
    segments = [("ab ", False), ("cd", True)]
    assert fit_segments(segments, 7, width) == segments


def test_fit_segments_cuts_the_end_with_an_ellipsis():
    fitted = fit_segments([("short ", False), ("hit", True), (" and a long tail of words", False)], 20, width)
    assert fitted[0] == ("short ", False) and fitted[1] == ("hit", True)
    assert fitted[-1][0].endswith("…")
    assert sum(width(t, b) for t, b in fitted) <= 20


def test_fit_segments_keeps_a_late_match_in_view():
    segments = [("one two three four five six seven eight nine ", False), ("hit", True), (" tail", False)]
    fitted = fit_segments(segments, 20, width)
    assert fitted[0][0].startswith("…")
    assert ("hit", True) in fitted
    assert sum(width(t, b) for t, b in fitted) <= 20


def test_fit_segments_cuts_a_match_wider_than_the_room():
    fitted = fit_segments([("averyveryverylongmatch", True)], 10, width)
    assert fitted[-1] == ("…", False)
    assert sum(width(t, b) for t, b in fitted) <= 10


def test_rich_tooltip_escapes_untrusted_text():
    tip = rich_tooltip("<b>bold</b> & co", "second")
    assert "<b>" not in tip and "&lt;b&gt;bold&lt;/b&gt; &amp; co<br>second" in tip


def test_export_file_name_is_safe():
    assert export_file_name("Plan: a/b \\ c?") == "Plan a b c.md"
    assert export_file_name("  ...  ") == "conversation.md"
    assert len(export_file_name("x" * 300)) == 83


@pytest.mark.parametrize(("path", "chosen", "result"), [
    ("/tmp/chat", "JSON (*.json)", "/tmp/chat.json"),
    ("/tmp/chat", "Markdown (*.md)", "/tmp/chat.md"),
    ("/tmp/chat.JSON", "Markdown (*.md)", "/tmp/chat.JSON"),
    ("/tmp/chat.md", "", "/tmp/chat.md"),
])
def test_export_target_adds_the_chosen_suffix(path, chosen, result):
    assert export_target(path, chosen) == result


def test_step_to_row_skips_rows_that_cannot_open():
    openable = [False, True, True, False, True]
    assert step_to_row(openable, 3, 1) == 4
    assert step_to_row(openable, 3, -1) == 2
    assert step_to_row(openable, 0, -1) is None
    assert step_to_row(openable, 0, 1) == 1


def test_underscores_next_to_a_match_stay():
    assert clean_snippet("def parse_[csv](file_path) and [csv]_rows") == "def parse_[csv](file_path) and [csv]_rows"
