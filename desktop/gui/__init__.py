"""PySide6 widgets only: no engine library, no service objects reached for by name."""

from desktop.gui.chat_view import ChatView, MessageBubble
from desktop.gui.composer import Composer
from desktop.gui.main_window import MainWindow

__all__ = ["ChatView", "Composer", "MainWindow", "MessageBubble"]
