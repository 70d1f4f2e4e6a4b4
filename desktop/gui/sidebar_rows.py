"""The sidebar's list and how its rows look: date headers, conversations, search results
with the matches in bold, and the "⋯" button on the hovered row.

Row data lives in item roles (ID, KIND, TITLE, SEGMENTS, OPEN); `Sidebar` fills them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QListWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.core.history_view import fit_segments, step_to_row
from desktop.gui.icons import icon
from desktop.gui.theme import SMALL_PX

__all__ = ["ConversationDelegate", "ConversationList"]

ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
TITLE_ROLE = Qt.ItemDataRole.UserRole + 2
SEGMENTS_ROLE = Qt.ItemDataRole.UserRole + 3
OPEN_ROLE = Qt.ItemDataRole.UserRole + 4
HEADER, CONVERSATION, RESULT, EMPTY = "header", "conversation", "result", "empty"
PAD_X, PAD_Y, BUTTON = 10, 7, 24
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def is_row(index: QModelIndex) -> bool:
    """A conversation (in the list or a search result): what can be opened, renamed, deleted."""
    return index.isValid() and index.data(KIND_ROLE) in (CONVERSATION, RESULT)


def _small(font: QFont, *, bold: bool = False) -> QFont:
    small = QFont(font)
    small.setPixelSize(SMALL_PX)
    small.setBold(bold)
    return small


class ConversationDelegate(QStyledItemDelegate):
    """Paints headers, rows and search results (snippet matches in bold, drawn as plain
    text so nothing in a snippet is ever markup); the "⋯" button on the hovered row.

    Signals:
        titleEdited(int, str): the inline editor committed a new, non-empty title.
    """

    titleEdited = Signal(int, str)

    @staticmethod
    def menu_button_rect(row: QRect) -> QRect:
        """Where "⋯" sits in a row: right-aligned, vertically centred."""
        return QRect(row.right() - 4 - BUTTON + 1, row.center().y() - BUTTON // 2 + 1, BUTTON, BUTTON)

    @classmethod
    def hits_menu_button(cls, row: QRect, pos: QPoint) -> bool:
        return cls.menu_button_rect(row).contains(pos)

    @staticmethod
    def elided_title(title: str, metrics: QFontMetrics, width: int) -> str:
        return metrics.elidedText(title, Qt.TextElideMode.ElideRight, max(width, 0))

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # Width 1: the list never grows wider than its viewport, so no horizontal scrollbar.
        line = QFontMetrics(option.font).height()
        kind = index.data(KIND_ROLE)
        if kind == HEADER:
            return QSize(1, QFontMetrics(_small(option.font, bold=True)).height() + 14)
        if kind == RESULT:
            return QSize(1, line + QFontMetrics(_small(option.font)).height() + 2 * PAD_Y + 2)
        return QSize(1, max(line, BUTTON) + 2 * PAD_Y - 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        kind = index.data(KIND_ROLE)
        painter.save()
        muted = option.palette.color(QPalette.ColorRole.PlaceholderText)
        if kind in (HEADER, EMPTY):
            font = _small(option.font, bold=kind == HEADER)
            rect = option.rect.adjusted(PAD_X, 0, -PAD_X, -4 if kind == HEADER else 0)
            painter.setFont(font)
            painter.setPen(muted)
            align = Qt.AlignmentFlag.AlignLeft | (
                Qt.AlignmentFlag.AlignBottom if kind == HEADER else Qt.AlignmentFlag.AlignVCenter)
            painter.drawText(rect, align, self.elided_title(str(index.data()), QFontMetrics(font), rect.width()))
            painter.restore()
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.state &= ~QStyle.StateFlag.State_Selected  # selection is the keyboard cursor, not the look
        if index.data(OPEN_ROLE):
            opt.state |= QStyle.StateFlag.State_Selected
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, option.widget)
        text = option.rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        if option.state & QStyle.StateFlag.State_MouseOver:
            button = self.menu_button_rect(option.rect)
            text.setRight(button.left() - 4)
            icon("dots-three").paint(painter, button.adjusted(3, 3, -3, -3))
        metrics = QFontMetrics(option.font)
        painter.setFont(option.font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        title = self.elided_title(str(index.data(TITLE_ROLE)), metrics, text.width())
        if kind == RESULT:
            painter.drawText(QRect(text.left(), text.top(), text.width(), metrics.height()), _LEFT, title)
            below = QRect(text.left(), text.top() + metrics.height() + 2, text.width(),
                          text.height() - metrics.height() - 2)
            self._paint_snippet(painter, option, below, index.data(SEGMENTS_ROLE) or [], muted)
        else:
            painter.drawText(text, _LEFT, title)
        painter.restore()

    def _paint_snippet(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect,
                       segments: Sequence[tuple[str, bool]], muted: object) -> None:
        fonts = {False: _small(option.font), True: _small(option.font, bold=True)}
        metrics = {bold: QFontMetrics(font) for bold, font in fonts.items()}
        parts = fit_segments(segments, rect.width(), lambda t, bold: metrics[bold].horizontalAdvance(t))
        x = rect.left()
        for part, bold in parts:
            painter.setFont(fonts[bold])
            painter.setPen(option.palette.color(QPalette.ColorRole.Text) if bold else muted)
            advance = metrics[bold].horizontalAdvance(part)
            painter.drawText(QRect(x, rect.top(), advance + 1, rect.height()), _LEFT, part)
            x += advance

    # -- inline rename ----------------------------------------------------------------

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("RenameEdit")
        editor.setAccessibleName("Conversation title")
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(TITLE_ROLE) or ""))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex) -> None:
        """Nothing is written here: the sidebar updates the row and asks for the rename."""
        if not isinstance(editor, QLineEdit):
            return
        title = " ".join(editor.text().split())
        if title and title != index.data(TITLE_ROLE):
            self.titleEdited.emit(int(index.data(ID_ROLE)), title)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        rect = option.rect.adjusted(PAD_X // 2, 1, -PAD_X // 2, -1)
        if index.data(KIND_ROLE) == RESULT:
            rect.setHeight(QFontMetrics(option.font).height() + 2 * PAD_Y)
        editor.setGeometry(rect)


class ConversationList(QListWidget):
    """Keys and clicks that only make sense with focus or the pointer on the list.

    Signals:
        openPressed(int): Enter/Return on a conversation row (row number).
        deletePressed(int): Delete on a conversation row while the list has focus.
        menuRequested(int, QPoint): a row's menu, at this global position.
    """

    openPressed = Signal(int)
    deletePressed = Signal(int)
    menuRequested = Signal(int, QPoint)

    def event(self, event: QEvent) -> bool:
        # Win over any window-wide shortcut on the same key while the list has focus.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._is_delete(event):
            event.accept()
            return True
        return super().event(event)

    @staticmethod
    def _is_delete(event: QKeyEvent) -> bool:
        return event.key() == Qt.Key.Key_Delete or event.matches(QKeySequence.StandardKey.Delete)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if self._is_delete(event):
            if is_row(index):
                self.deletePressed.emit(index.row())
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            if is_row(index):
                self.openPressed.emit(index.row())
            event.accept()
            return
        super().keyPressEvent(event)

    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Headers and "No results" are never the cursor: step past them (or stay put)."""
        moved = super().moveCursor(action, modifiers)
        if is_row(moved) or not moved.isValid():
            return moved
        action_ = QAbstractItemView.CursorAction
        step = -1 if action in (action_.MoveUp, action_.MovePrevious, action_.MovePageUp, action_.MoveEnd) else 1
        openable = [is_row(self.model().index(row, 0)) for row in range(self.count())]
        row = step_to_row(openable, moved.row(), step)
        if row is None and action not in (action_.MoveUp, action_.MoveDown):
            row = step_to_row(openable, moved.row(), -step)
        return self.model().index(row, 0) if row is not None else self.currentIndex()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.updateEditorGeometries()  # an open rename follows the width (Qt leaves it)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if not is_row(self.currentIndex()):
            rows = [self.model().index(r, 0) for r in range(self.count())]
            first = next((i for i in rows if i.data(OPEN_ROLE)), None) or next((i for i in rows if is_row(i)), None)
            if first is not None:
                self.setCurrentIndex(first)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        if event.button() == Qt.MouseButton.LeftButton and is_row(index):
            rect = self.visualRect(index)
            if ConversationDelegate.hits_menu_button(rect, pos):
                button = ConversationDelegate.menu_button_rect(rect)
                self.menuRequested.emit(index.row(), self.viewport().mapToGlobal(button.bottomLeft()))
                event.accept()
                return
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
            pos = self.visualRect(index).bottomLeft() + QPoint(PAD_X, 0)
        else:
            index, pos = self.indexAt(event.pos()), event.pos()
        if is_row(index):
            self.menuRequested.emit(index.row(), self.viewport().mapToGlobal(pos))
        event.accept()


