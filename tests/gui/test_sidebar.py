"""The conversation sidebar on its own: real widgets, real ConversationSummary/SearchHit rows."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QContextMenuEvent, QFontMetrics, QShortcut, QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QTextEdit,
    QWidget,
)

from desktop.gui.sidebar import Sidebar
from desktop.gui.sidebar_rows import EMPTY, HEADER, ID_ROLE, KIND_ROLE, RESULT, SEGMENTS_ROLE, ConversationDelegate
from desktop.services.history.conversation_store import ConversationSummary, SearchHit

NOW = datetime(2026, 3, 15, 14, 30).timestamp()
LONG = "A very long conversation title about list comprehensions, generators and itertools recipes"


def summary(conversation_id: int, title: str, *when: int) -> ConversationSummary:
    stamp = datetime(*when).timestamp()
    return ConversationSummary(conversation_id, title, stamp, stamp, 2)


SUMMARIES = [
    summary(1, "Morning chat", 2026, 3, 15, 9),
    summary(2, "Midnight chat", 2026, 3, 15, 0, 0),
    summary(3, "Late yesterday", 2026, 3, 14, 23, 59),
    summary(4, "A week ago", 2026, 3, 8, 0, 0),
    summary(5, "Eight days ago", 2026, 3, 7, 23, 59),
    summary(6, "Thirty days ago", 2026, 2, 13, 0, 0),
    summary(7, "Long ago", 2025, 6, 1),
]


@pytest.fixture
def sidebar(qtbot) -> Sidebar:
    widget = Sidebar()
    qtbot.addWidget(widget)
    widget.resize(260, 640)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_conversations(SUMMARIES, now=NOW)
    return widget


def rows(sidebar: Sidebar) -> list[tuple[str, str]]:
    items = [sidebar.list.item(row) for row in range(sidebar.list.count())]
    return [(item.data(KIND_ROLE), item.text()) for item in items]


def row_of(sidebar: Sidebar, conversation_id: int) -> int:
    return next(r for r in range(sidebar.list.count()) if sidebar.list.item(r).data(ID_ROLE) == conversation_id)


def row_center(sidebar: Sidebar, conversation_id: int) -> QPoint:
    return sidebar.list.visualItemRect(sidebar.list.item(row_of(sidebar, conversation_id))).center()


def current_id(sidebar: Sidebar) -> int:
    return sidebar.list.currentItem().data(ID_ROLE)


def focus(qtbot, widget: QWidget) -> None:
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: widget.hasFocus())


def test_conversations_are_grouped_by_local_day(sidebar):
    assert rows(sidebar) == [
        ("header", "Today"), ("conversation", "Morning chat"), ("conversation", "Midnight chat"),
        ("header", "Yesterday"), ("conversation", "Late yesterday"),
        ("header", "Previous 7 days"), ("conversation", "A week ago"),
        ("header", "Previous 30 days"), ("conversation", "Eight days ago"), ("conversation", "Thirty days ago"),
        ("header", "Older"), ("conversation", "Long ago"),
    ]


def test_headers_are_not_selectable_and_clicking_one_does_nothing(qtbot, sidebar):
    header = sidebar.list.item(0)
    assert not header.flags() & Qt.ItemFlag.ItemIsSelectable
    with qtbot.assertNotEmitted(sidebar.conversationSelected):
        qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=sidebar.list.visualItemRect(header).center())
    assert sidebar.list.currentItem() is None or sidebar.list.currentItem().data(KIND_ROLE) != HEADER


def test_up_and_down_skip_headers(qtbot, sidebar):
    focus(qtbot, sidebar.list)
    sidebar.list.setCurrentRow(row_of(sidebar, 2))
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Down)
    assert current_id(sidebar) == 3  # past "Yesterday"
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Up)
    assert current_id(sidebar) == 2
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Home)
    assert current_id(sidebar) == 1  # not the "Today" header above it
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Up)
    assert current_id(sidebar) == 1  # the first conversation: stays


def test_enter_and_click_open_a_conversation(qtbot, sidebar):
    focus(qtbot, sidebar.list)
    sidebar.list.setCurrentRow(row_of(sidebar, 4))
    with qtbot.waitSignal(sidebar.conversationSelected) as blocker:
        qtbot.keyClick(sidebar.list, Qt.Key.Key_Return)
    assert blocker.args == [4]
    with qtbot.waitSignal(sidebar.conversationSelected) as blocker:
        qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=row_center(sidebar, 6))
    assert blocker.args == [6]


def test_set_current_highlights_without_emitting(qtbot, sidebar):
    with qtbot.assertNotEmitted(sidebar.conversationSelected):
        sidebar.set_current(5)
    assert sidebar.highlighted_id() == 5
    assert current_id(sidebar) == 5  # the keyboard starts from the open conversation
    sidebar.set_current(None)
    assert sidebar.highlighted_id() is None
    sidebar.set_current(-1)
    assert sidebar.highlighted_id() is None


def test_highlight_survives_a_refresh_and_a_search(qtbot, sidebar):
    sidebar.set_current(3)
    newer = [summary(8, "Brand new", 2026, 3, 15, 14), *SUMMARIES]
    sidebar.show_conversations(newer, now=NOW)
    assert sidebar.highlighted_id() == 3
    assert sidebar.list.item(row_of(sidebar, 3)).data(Qt.ItemDataRole.UserRole + 4)
    sidebar.search.setText("chat")
    sidebar.show_search_results([SearchHit(1, "Morning chat", 10, 0, "a [chat]")])
    assert sidebar.highlighted_id() is None  # not among the results
    sidebar.search.clear()
    assert sidebar.highlighted_id() == 3


def test_long_titles_elide_with_a_tooltip_and_no_horizontal_scrollbar(qtbot, sidebar):
    sidebar.show_conversations([summary(1, LONG + "\nsecond line", 2026, 3, 15, 9)], now=NOW)
    sidebar.resize(180, 500)
    qtbot.waitUntil(lambda: sidebar.width() == 180)  # nothing in the sidebar needs more
    assert sidebar.models_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    item = sidebar.list.item(1)
    rect = sidebar.list.visualItemRect(item)
    assert rect.width() <= sidebar.list.viewport().width()
    metrics = QFontMetrics(sidebar.list.font())
    shown = ConversationDelegate.elided_title(item.data(Qt.ItemDataRole.UserRole + 2), metrics, rect.width() - 20)
    assert shown.endswith("…") and "\n" not in shown and metrics.horizontalAdvance(shown) <= rect.width() - 20
    assert QTextDocumentFragment.fromHtml(item.toolTip()).toPlainText() == LONG + " second line"
    assert sidebar.list.horizontalScrollBar().maximum() == 0
    assert not sidebar.list.horizontalScrollBar().isVisible()


def test_tooltips_escape_markup_in_titles(sidebar):
    sidebar.show_conversations([summary(1, "<b>bold</b> & <img src=x>", 2026, 3, 15, 9)], now=NOW)
    tip = sidebar.list.item(1).toolTip()
    assert "<b>" not in tip and "<img" not in tip
    assert QTextDocumentFragment.fromHtml(tip).toPlainText() == "<b>bold</b> & <img src=x>"


@pytest.fixture
def beside_chat(qtbot):
    """The sidebar next to a composer and a read-only transcript in one window."""
    window = QWidget()
    qtbot.addWidget(window)
    layout = QHBoxLayout(window)
    bar = Sidebar(window)
    composer = QTextEdit(window)
    composer.setPlainText("draft")
    transcript = QTextEdit(window)
    transcript.setReadOnly(True)
    for widget in (bar, transcript, composer):
        layout.addWidget(widget)
    window.show()
    qtbot.waitExposed(window)
    bar.show_conversations(SUMMARIES, now=NOW)
    bar.set_current(2)
    return window, bar, composer, transcript


def test_delete_key_acts_only_with_focus_in_the_list(qtbot, beside_chat):
    _window, bar, composer, transcript = beside_chat
    focus(qtbot, bar.list)
    qtbot.keyClick(bar.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(bar.deleteRequested) as blocker:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert blocker.args == [3]  # the focused row, not the open conversation
    focus(qtbot, composer)
    composer.moveCursor(composer.textCursor().MoveOperation.Start)
    for elsewhere in (composer, transcript, bar.settings_button):
        focus(qtbot, elsewhere)
        with qtbot.assertNotEmitted(bar.deleteRequested):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert composer.toPlainText() == "raft"


def hits() -> list[SearchHit]:
    return [
        SearchHit(1, "Morning chat", 11, 0, "…try **[python]** with `pip install` and\n# heading…"),
        SearchHit(3, "Late yesterday", 31, 2, "- a [python] [list](https://docs.python.org) item"),
        SearchHit(1, "Morning chat", 12, 4, "second hit in the same conversation [python]"),
    ]


def search(qtbot, sidebar: Sidebar, text: str) -> None:
    with qtbot.waitSignal(sidebar.searchRequested) as blocker:
        sidebar.search.setText(text)
    assert blocker.args == [text]


def test_search_results_one_row_per_conversation_with_a_clean_snippet(qtbot, sidebar):
    search(qtbot, sidebar, "python")
    sidebar.show_search_results(hits())
    assert [(kind, sidebar.list.item(r).data(ID_ROLE)) for r, (kind, _) in enumerate(rows(sidebar))] == [
        (RESULT, 1), (RESULT, 3)]
    for row in range(2):
        segments = sidebar.list.item(row).data(SEGMENTS_ROLE)
        text = "".join(part for part, _ in segments)
        assert not any(mark in text for mark in ("**", "`", "#", "- ", "](", "[", "]")), text
        assert [part for part, bold in segments if bold] == ["python"]
    assert "".join(p for p, _ in sidebar.list.item(0).data(SEGMENTS_ROLE)) == "…try python with pip install and heading…"
    with qtbot.waitSignal(sidebar.conversationSelected) as blocker:
        qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=row_center(sidebar, 3))
    assert blocker.args == [3]


def test_refreshes_wait_while_searching_and_late_results_are_dropped(qtbot, sidebar):
    search(qtbot, sidebar, "python")
    sidebar.show_search_results(hits())
    sidebar.show_conversations([summary(9, "Arrived meanwhile", 2026, 3, 15, 14)], now=NOW)
    assert [kind for kind, _ in rows(sidebar)] == [RESULT, RESULT]
    with qtbot.waitSignal(sidebar.searchRequested) as blocker:
        sidebar.search.clear()
    assert blocker.args == [""]
    assert rows(sidebar) == [(HEADER, "Today"), ("conversation", "Arrived meanwhile")]
    sidebar.show_search_results(hits())  # for the search just cleared
    assert rows(sidebar) == [(HEADER, "Today"), ("conversation", "Arrived meanwhile")]


def test_no_results_row_is_not_selectable(qtbot, sidebar):
    search(qtbot, sidebar, "nothing")
    sidebar.show_search_results([])
    assert rows(sidebar) == [(EMPTY, "No results")]
    assert sidebar.list.item(0).flags() == Qt.ItemFlag.NoItemFlags
    assert sidebar.menu_for_row(0) is None


def test_escape_clears_the_search_and_restores_the_list(qtbot, sidebar):
    sidebar.set_current(4)
    focus(qtbot, sidebar.search)
    qtbot.keyClicks(sidebar.search, "py")
    sidebar.show_search_results(hits())
    with qtbot.waitSignal(sidebar.searchRequested) as blocker:
        qtbot.keyClick(sidebar.search, Qt.Key.Key_Escape)
    assert blocker.args == [""]
    assert sidebar.search.text() == ""
    assert len(rows(sidebar)) == 12 and sidebar.highlighted_id() == 4


def test_escape_in_an_empty_search_is_left_to_the_window(qtbot, beside_chat):
    window, bar, _, _ = beside_chat
    stops = []
    QShortcut(Qt.Key.Key_Escape, window, lambda: stops.append(True))
    focus(qtbot, bar.search)
    bar.search.setText("py")
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
    assert bar.search.text() == "" and stops == []  # cleared the search, stopped nothing
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
    assert stops == [True]


def menu_texts(menu: QMenu) -> list[str]:
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def action(menu: QMenu, text: str):
    return next(a for a in menu.actions() if a.text() == text)


def test_menu_actions_emit_the_right_signals(qtbot, sidebar, monkeypatch):
    menu = sidebar.menu_for_row(row_of(sidebar, 3))
    assert menu_texts(menu) == ["Rename", "Export…", "Delete"]
    assert sidebar.menu_for_row(0) is None  # a header
    with qtbot.waitSignal(sidebar.deleteRequested) as blocker:
        action(menu, "Delete").trigger()
    assert blocker.args == [3]
    asked = []

    def save(parent, caption, name, filters):
        asked.append(name)
        return "/tmp/late", "JSON (*.json)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    with qtbot.waitSignal(sidebar.exportRequested) as blocker:
        action(menu, "Export…").trigger()
    assert blocker.args == [3, "/tmp/late.json"] and asked == ["Late yesterday.md"]
    action(menu, "Rename").trigger()
    assert sidebar.list.state() == QAbstractItemView.State.EditingState
    menu.deleteLater()


def test_right_click_opens_the_row_menu(qtbot, sidebar):
    pos = row_center(sidebar, 2)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, sidebar.list.viewport().mapToGlobal(pos))
    QApplication.sendEvent(sidebar.list.viewport(), event)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert menu_texts(menu) == ["Rename", "Export…", "Delete"]
    menu.close()


def rename_editor(sidebar: Sidebar) -> QLineEdit:
    return sidebar.list.viewport().findChild(QLineEdit, "RenameEdit")


def test_f2_renames_inline(qtbot, sidebar):
    focus(qtbot, sidebar.list)
    sidebar.list.setCurrentRow(row_of(sidebar, 5))
    qtbot.keyClick(sidebar.list, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: rename_editor(sidebar) is not None)
    editor = rename_editor(sidebar)
    assert editor.text() == "Eight days ago"
    sidebar.show_conversations(SUMMARIES[:3], now=NOW)  # a refresh while editing waits
    assert rename_editor(sidebar) is editor
    editor.setText("  Renamed   trip ")
    with qtbot.waitSignal(sidebar.renameRequested) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert blocker.args == [5, "Renamed trip"]
    assert len(rows(sidebar)) == 5  # the refresh that waited is applied


def test_escape_cancels_a_rename_and_double_click_starts_one(qtbot, sidebar):
    pos = row_center(sidebar, 4)
    qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # a real double click's first half
    qtbot.mouseDClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: rename_editor(sidebar) is not None)
    rename_editor(sidebar).setText("Other")
    with qtbot.assertNotEmitted(sidebar.renameRequested):
        qtbot.keyClick(rename_editor(sidebar), Qt.Key.Key_Escape)
    assert sidebar.list.state() != QAbstractItemView.State.EditingState


def test_menu_button_hit_test():
    row = QRect(0, 100, 200, 32)
    button = ConversationDelegate.menu_button_rect(row)
    assert row.contains(button) and button.right() > 170 and abs(button.center().y() - row.center().y()) <= 1
    assert ConversationDelegate.hits_menu_button(row, button.center())
    assert not ConversationDelegate.hits_menu_button(row, QPoint(20, 116))


def test_clicking_the_dots_opens_the_menu_not_the_conversation(qtbot, sidebar):
    rect = sidebar.list.visualItemRect(sidebar.list.item(row_of(sidebar, 6)))
    dots = ConversationDelegate.menu_button_rect(rect).center()
    qtbot.mouseMove(sidebar.list.viewport(), dots)
    with qtbot.assertNotEmitted(sidebar.conversationSelected):
        qtbot.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=dots)
        qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    with qtbot.waitSignal(sidebar.deleteRequested) as blocker:
        action(menu, "Delete").trigger()
    assert blocker.args == [6]
    menu.close()


def test_controls_have_names_and_tab_order(qtbot, sidebar):
    assert sidebar.objectName() == "Sidebar"
    assert sidebar.new_button.accessibleName() == "New chat" and sidebar.new_button.text() == "New chat"
    assert sidebar.search.accessibleName() == "Search conversations"
    assert sidebar.search.placeholderText() == "Search chats" and sidebar.search.isClearButtonEnabled()
    assert sidebar.list.accessibleName() == "Conversations"
    assert sidebar.models_button.accessibleName() == "Models"
    assert sidebar.settings_button.accessibleName() == "Settings"
    focus(qtbot, sidebar.new_button)
    seen = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert seen == [sidebar.search, sidebar.list, sidebar.models_button, sidebar.settings_button]
    assert sidebar.list.currentItem().data(KIND_ROLE) != HEADER  # focus lands on a conversation


def test_buttons_and_focus_search(qtbot, sidebar):
    for button, signal in ((sidebar.new_button, sidebar.newConversationRequested),
                           (sidebar.models_button, sidebar.modelsRequested),
                           (sidebar.settings_button, sidebar.settingsRequested)):
        with qtbot.waitSignal(signal):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    focus(qtbot, sidebar.list)
    sidebar.focus_search()
    qtbot.waitUntil(lambda: sidebar.search.hasFocus())
