"""The chat's widgets: the conversation, messages, and an answer's rendered blocks."""

from desktop.gui.chat.answer_view import AnswerView, ProseView
from desktop.gui.chat.code_block import CodeBlock

__all__ = ["AnswerView", "CodeBlock", "ProseView"]
