"""The Quick Ask window on its own: a question (with a picture of the screen, when the
model can see) goes out once; Enter waits while the answer streams; Esc and closing
only hide it; a new exchange starts clean. (Its global key, the tray and a real answer
are in tests/e2e/test_companion.py.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from desktop.gui.quick_ask import TITLE, QuickAskWindow


def window(qtbot) -> QuickAskWindow:
    quick = QuickAskWindow()
    qtbot.addWidget(quick)
    assert quick.summon() and quick.isVisible() and quick.windowTitle() == TITLE
    return quick


def test_a_question_with_a_picture_goes_out_once_and_enter_waits_while_answering(qtbot):
    quick = window(qtbot)
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(QColor("#336699"))
    quick.ask_about_screen()  # no model that sees: said, nothing captured
    assert "sees images" in quick.status.text() and quick.screen_ask.picker is None
    quick.vision = True
    quick.add_image(picture, "screen capture")
    assert [(a.width, a.height) for a in quick.thumbnails.items] == [(64, 48)]
    qtbot.keyClicks(quick.edit, "What is this colour?")
    with qtbot.waitSignal(quick.asked) as asked:
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    text, images = asked.args
    assert text == "What is this colour?" and [(i.width, i.height) for i in images] == [(64, 48)]
    assert quick.question.text() == "What is this colour? (1 picture)" and not quick.thumbnails.items
    quick.begin_answer()
    quick.append("Blue")
    qtbot.keyClicks(quick.edit, "And this?")
    with qtbot.assertNotEmitted(quick.asked):
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    assert quick.edit.toPlainText() == "And this?" and "once the answer is done" in quick.status.text()
    quick.finish("Blue, a steel blue.")
    assert quick.answer.text == "Blue, a steel blue."


def test_esc_and_closing_only_hide_and_a_new_exchange_starts_clean(qtbot):
    quick = window(qtbot)
    quick.question.setText("Old question")
    quick.finish("Old answer")
    quick.saved()
    qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()
    assert quick.summon()  # the last exchange was done: a fresh one
    assert quick.question.text() == "" and quick.answer.text == "" and not quick.open_button.isEnabled()
    quick.begin_answer()
    quick.close()
    assert not quick.isVisible()
    assert not quick.summon()  # still answering: the same exchange comes back
