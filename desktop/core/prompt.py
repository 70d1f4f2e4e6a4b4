"""Turn a conversation into the chat messages an engine takes, within the context.

The messages are OpenAI-shaped dicts (the format llama-cpp-python, llama-server and
every OpenAI-compatible server accept): a user turn with images becomes a list of
`image_url` parts holding `data:` URIs followed by a `text` part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from desktop.core.conversation import Message
from desktop.core.errors import ContextTooLongError

__all__ = ["ChatMessage", "common_prefix", "to_chat_messages", "trim_history"]

ChatMessage = dict[str, Any]


def to_chat_messages(history: Sequence[Message], system_prompt: str | None) -> list[ChatMessage]:
    """Chat messages for `history`, preceded by the system prompt when there is one: the
    OpenAI shape (images as `image_url` data URIs), for the local template and for a
    remote engine alike."""
    messages: list[ChatMessage] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    for message in history:
        if message.images:
            parts: list[dict[str, Any]] = [
                {"type": "image_url", "image_url": {"url": image.data_uri}}
                for image in message.images
            ]
            if message.text:  # an image alone is a message too
                parts.append({"type": "text", "text": message.text})
            messages.append({"role": message.role, "content": parts})
        else:
            messages.append({"role": message.role, "content": message.text})
    return messages


def trim_history(
    history: Sequence[Message],
    *,
    budget: int,
    measure: Callable[[Message], int],
) -> list[Message]:
    """The newest messages whose measured size fits `budget` (the system prompt and the
    answer's room already taken off by the caller).

    The last message (the question being asked) is always kept; if it alone does not
    fit, the request cannot be answered and a `ContextTooLongError` says so. Older turns are
    dropped whole, oldest first, and a leading assistant turn is dropped too, so the
    kept history starts with the person speaking.
    """
    if not history:
        return []
    newest = history[-1]
    used = measure(newest)
    if used > budget:
        raise ContextTooLongError(
            f"The message is too long for the model's context ({used} tokens needed, "
            f"{budget} available): shorten it, attach fewer images or raise the context length."
        )
    kept = [newest]
    for message in reversed(history[:-1]):
        size = measure(message)
        if used + size > budget:
            break
        kept.append(message)
        used += size
    kept.reverse()
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return kept


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences share (the KV cache positions to keep)."""
    same = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        same += 1
    return same
