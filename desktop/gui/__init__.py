"""PySide6 widgets only: no engine library, no service objects reached for by name.

`chat/` holds the conversation (messages, answers, code blocks, the composer); the
window, sidebar, model picker, dialogs and the theme sit beside it."""

from desktop.gui.chat.chat_view import ChatView
from desktop.gui.chat.composer import Composer
from desktop.gui.main_window import MainWindow
from desktop.gui.theme import Theme

__all__ = ["ChatView", "Composer", "MainWindow", "Theme"]
