"""An assistant's answer as widgets: prose as rich text, each top-level code block a CodeBlock.

Streaming is cheap: the answer is split into blocks by `core.markdown_blocks.BlockStream`;
a block is rendered once when it is committed (no later text can change it) and only the
open tail's widgets change on a delta, so a delta costs the tail, not the answer. A long
open block is rendered again only each time it has grown by a quarter, its newest text
appended unformatted in between, so even one huge paragraph costs linear time. A
committed code block keeps the widget it streamed into (coloured in full once). When the
answer ends, neighbouring prose blocks are joined into one view (text selects across
paragraphs), so the result equals rendering the finished answer from scratch.

Past the formatting limits of `core.markdown_blocks` the rest of an answer is a
`PlainView`: a quiet note, then the text as it is (escaped, wrapped, never parsed), its
first `PlainView.SHOWN_CHARS` shown; the message's Copy still copies every character.

Model output is untrusted: prose is rendered by `core.markdown_render` (raw HTML escaped,
images shown as links), `ProseView.loadResource` refuses every resource, and only http,
https and mailto links open, in the system's browser, when clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QResizeEvent, QTextBlockFormat, QTextCharFormat, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QVBoxLayout, QWidget

from desktop.core.markdown_blocks import PROSE_CHARS, Block, BlockStream, split_blocks
from desktop.core.markdown_render import ProseStyle, prose_stylesheet, render_prose
from desktop.gui.chat.code_block import CodeBlock
from desktop.gui.chat.plain_view import PlainView, fit_to_document
from desktop.gui.theme import BODY_PX, current_palette, is_dark

__all__ = ["AnswerView", "ProseView"]

OPENED_SCHEMES = ("http", "https", "mailto")
EAGER_CHARS = 2_000  # an open prose block up to this size is rendered again on every delta


class ProseView(QTextBrowser):
    """Rich text that is as tall as its content, never scrolls itself, never fetches anything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProseText")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # click to select; Tab passes by (no trap)
        self.setTabChangesFocus(True)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # an unbreakable table
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(0)
        self.horizontalScrollBar().rangeChanged.connect(lambda _low, _high: self._fit())
        self.anchorClicked.connect(_open_link)
        self.markdown = ""  # what the view shows; rendered, or its end appended as plain text
        self.renders = 0  # times rendered (tests: a committed block is rendered once)
        self._rendered = ""
        self._dark: bool | None = None

    def set_markdown(self, markdown: str, *, eager: bool = True) -> None:
        """`eager=False` (an open block while streaming): a long block is not rendered again
        until it has grown by a quarter; until then new text is appended as it is."""
        same_look = self._dark == is_dark()
        if markdown == self.markdown == self._rendered and same_look:
            return
        long = len(self._rendered) > EAGER_CHARS
        grew_little = len(markdown) * 4 < len(self._rendered) * 5  # by less than a quarter since rendered
        append = not eager and same_look and long and grew_little and markdown.startswith(self.markdown)
        if append:
            self._append(markdown[len(self.markdown):])
        self.markdown = markdown
        if not append:
            self._render()

    def loadResource(self, _kind: int, _name: QUrl) -> object:
        return None  # no remote or local resource is ever loaded from model output

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        kind = event.type()
        if kind == QEvent.Type.PaletteChange and self.markdown and self._dark != is_dark():
            self._render()
        elif kind in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if abs(event.angleDelta().y()) > abs(event.angleDelta().x()):
            event.ignore()  # the chat scrolls, not this view
            return
        super().wheelEvent(event)

    def _render(self) -> None:
        palette = current_palette()
        self._dark = palette.dark  # first: polishing changes the palette, which must not render again
        self.ensurePolished()  # the stylesheet's font size first: the document takes the widget's font
        style = ProseStyle(BODY_PX, palette.inline_code, palette.border, palette.code_bg, palette.muted)
        self.document().setDefaultStyleSheet(prose_stylesheet(style))
        self.setHtml(render_prose(self.markdown, dark=palette.dark))
        self._rendered = self.markdown
        self.renders += 1
        self._fit()

    def _append(self, text: str) -> None:
        """Unformatted text at the end, in paragraphs of their own (not in a list or table)."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        for number, line in enumerate(text.split("\n")):
            if number:
                cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
            cursor.insertText(line, QTextCharFormat())
        self._fit()

    def _fit(self) -> None:
        fit_to_document(self)


class AnswerView(QWidget):
    """An answer: a column of ProseViews and CodeBlocks, updated block by block while streaming."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(14)
        self._text = ""
        self._stream: BlockStream | None = None  # while streaming
        self._parts: list[tuple[QWidget, list[Block]]] = []  # committed: rendered, final
        self._tail: list[QWidget] = []  # the open tail: re-rendered on each delta

    @property
    def text(self) -> str:
        return self._text

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    @property
    def widgets(self) -> tuple[QWidget, ...]:
        """The ProseViews and CodeBlocks, top to bottom."""
        return tuple(widget for widget, _blocks in self._parts) + tuple(self._tail)

    @property
    def committed_widgets(self) -> tuple[QWidget, ...]:
        """The widgets of committed blocks: while the answer streams, never rendered again."""
        return tuple(widget for widget, _blocks in self._parts)

    @property
    def code_blocks(self) -> tuple[str, ...]:
        """The raw code of each top-level code block (what its Copy button copies)."""
        return tuple(w.code for w in self.widgets if isinstance(w, CodeBlock))

    def plain_text(self) -> str:
        """The answer's text as shown, block by block; all of a plain block, shown or not."""
        return "\n\n".join(_plain(widget) for widget in self.widgets)

    def set_text(self, text: str, *, streaming: bool) -> None:
        """Show `text`, the whole answer so far; `streaming=False` once it is complete."""
        if text == self._text and streaming == self.streaming:
            return
        if self._stream is None:
            self._clear()
            if not streaming:
                self._text = text
                for group in _groups(split_blocks(text)):
                    self._parts.append((self._add(group, len(self._parts)), group))
                return
            self._stream = BlockStream()
        update = self._stream.feed(text) if streaming else self._stream.finish(text)
        self._text = text
        if update.reset:
            self._clear()
        for block in update.committed:
            self._commit(block)
        self._show_tail(update.tail)
        if not streaming:
            self._stream = None
            self._join_prose()

    def _commit(self, block: Block) -> None:
        kind = _KINDS[block.kind]
        if self._tail and isinstance(self._tail[0], kind):  # the widget it streamed into
            widget = self._tail.pop(0)
            _update(widget, [block], closed=True)
        else:
            widget = self._add([block], len(self._parts))
        self._parts.append((widget, [block]))

    def _show_tail(self, blocks: tuple[Block, ...]) -> None:
        old, self._tail = self._tail, []
        for group in _groups(list(blocks)):
            kind = _KINDS[group[0].kind]
            while old and not isinstance(old[0], kind):
                self._drop(old.pop(0))
            if old:
                widget = old.pop(0)
                _update(widget, group, closed=group[0].closed, eager=False)
            else:
                widget = self._add(group, len(self._parts) + len(self._tail), closed=group[0].closed)
            self._tail.append(widget)
        for widget in old:
            self._drop(widget)

    def _join_prose(self) -> None:
        """Neighbouring prose blocks into one view, as a from-scratch render has them."""
        joined: list[tuple[QWidget, list[Block]]] = []
        size = 0  # of the last joined view's blocks
        for widget, blocks in self._parts:
            if joined and _joins(joined[-1][1], size, blocks[0]):
                self._drop(widget)
                joined[-1][1].extend(blocks)
            else:
                joined.append((widget, list(blocks)))
                size = 0
            size += len(blocks[0].source)
        for widget, blocks in joined:
            _update(widget, blocks, closed=True)  # no-op where nothing was joined
        self._parts = joined

    def _add(self, blocks: list[Block], index: int, *, closed: bool = True) -> QWidget:
        widget: QWidget
        if blocks[0].kind == "code":
            block = blocks[0]
            widget = CodeBlock(block.code, block.language, closed=closed, parent=self)
        elif blocks[0].kind == "plain":
            widget = PlainView(self)
            widget.resize(self.width(), widget.height())
            widget.set_source(blocks[0].source, blocks[0].reason)
        else:
            widget = ProseView(self)
            widget.resize(self.width(), widget.height())  # lay the text out once, at the right width
            widget.set_markdown("".join(block.source for block in blocks))
        self._layout.insertWidget(index, widget)
        return widget

    def _drop(self, widget: QWidget) -> None:
        self._layout.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def _clear(self) -> None:
        for widget in self.widgets:
            self._drop(widget)
        self._parts, self._tail = [], []


_KINDS: dict[str, type[QWidget]] = {"prose": ProseView, "code": CodeBlock, "plain": PlainView}


def _groups(blocks: list[Block]) -> list[list[Block]]:
    """Neighbouring prose blocks share a view; each code or plain block has its own."""
    groups: list[list[Block]] = []
    size = 0  # of the last group's blocks
    for block in blocks:
        if groups and _joins(groups[-1], size, block):
            groups[-1].append(block)
        else:
            groups.append([block])
            size = 0
        size += len(block.source)
    return groups


def _joins(group: list[Block], size: int, block: Block) -> bool:
    """Whether `block` joins the view of `group` (`size` characters): both prose, together at
    most PROSE_CHARS (one render is bounded, so a long answer is not one long stall)."""
    return block.kind == "prose" and group[0].kind == "prose" and size + len(block.source) <= PROSE_CHARS


def _update(widget: QWidget, blocks: list[Block], *, closed: bool, eager: bool = True) -> None:
    if isinstance(widget, CodeBlock):
        widget.set_code(blocks[0].code, blocks[0].language, closed=closed)
    elif isinstance(widget, PlainView):
        widget.set_source(blocks[0].source, blocks[0].reason)
    elif isinstance(widget, ProseView):
        widget.set_markdown("".join(block.source for block in blocks), eager=eager)


def _plain(widget: QWidget) -> str:
    if isinstance(widget, CodeBlock):
        return widget.code.rstrip("\n")
    if isinstance(widget, PlainView):
        return widget.source.strip()
    assert isinstance(widget, ProseView)
    return widget.toPlainText().strip()


def _open_link(url: QUrl) -> None:
    if url.scheme().lower() in OPENED_SCHEMES:
        QDesktopServices.openUrl(url)
