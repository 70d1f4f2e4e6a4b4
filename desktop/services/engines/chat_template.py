"""Render chat messages into the prompt text with the model's own Jinja template.

Images become libmtmd's media marker in the text. Real VLM templates (Qwen2.5-VL,
Gemma 3) take `content` as a list of parts; text-only templates such as
Qwen2.5-Coder's concatenate `content` as a string and fail on a list ("can only
concatenate str (not list)"), so for those the parts are flattened into one string
that holds the markers. A base model with no template gets a plain transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llama_cpp.llama_chat_format import Jinja2ChatFormatter, MTMDChatHandler

from desktop.core.prompt import ChatMessage

__all__ = ["FALLBACK_TEMPLATE", "ChatTemplate", "RenderedPrompt"]

# For base models without tokenizer.chat_template: a transcript the model continues.
FALLBACK_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% else %}Assistant: {{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
_FALLBACK_STOPS = ("\nUser:", "\nAssistant:")
_PROBE_MARKER = "<__hearth_probe__>"
_ANSWER_PROBE = "<__hearth_answer_probe__>"


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    stops: tuple[str, ...]  # text stop sequences (end-of-generation tokens stop anyway)
    starts_with_bos: bool


class ChatTemplate:
    """The model's chat template, probed once for list-content support."""

    def __init__(self, template: str | None, *, bos_token: str, eos_token: str) -> None:
        self.is_fallback = not template
        self._bos = bos_token
        self._formatter = Jinja2ChatFormatter(
            template=template or FALLBACK_TEMPLATE, eos_token=eos_token, bos_token=bos_token
        )
        self.accepts_parts = not self.is_fallback and self._probe_parts()

    def render(self, messages: list[ChatMessage], *, media_marker: str) -> RenderedPrompt:
        converted = [
            MTMDChatHandler._convert_message_for_template(dict(m), media_marker) for m in messages
        ]
        if not self.accepts_parts:
            converted = [_flatten(m) for m in converted]
        text = self._formatter(messages=converted).prompt
        stops = _FALLBACK_STOPS if self.is_fallback else ()
        return RenderedPrompt(
            text=text, stops=stops, starts_with_bos=bool(self._bos) and text.startswith(self._bos)
        )

    def turn_change(self, messages: list[ChatMessage], *, media_marker: str) -> str | None:
        """The text between an answer to `messages` and the next question's words, e.g.
        `<|im_end|>\n<|im_start|>user\n` (ChatML): what any follow-up starts with. None
        where the template does not render such a turn."""
        probe = [*messages, {"role": "assistant", "content": _ANSWER_PROBE},
                 {"role": "user", "content": _PROBE_MARKER}]
        try:
            text = self.render(probe, media_marker=media_marker).text
        except Exception:  # a template that refuses the shape: no guess
            return None
        start = text.rfind(_ANSWER_PROBE)
        end = text.find(_PROBE_MARKER, start)
        return text[start + len(_ANSWER_PROBE) : end] if 0 <= start < end else None

    def _probe_parts(self) -> bool:
        probe = [{"role": "user", "content": [{"type": "text", "text": _PROBE_MARKER}]}]
        try:
            return _PROBE_MARKER in self._formatter(messages=probe).prompt
        except Exception:  # any template error means: give it strings
            return False


def _flatten(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    if isinstance(content, list):
        texts = [str(part.get("text", "")) for part in content if isinstance(part, dict)]
        message = dict(message, content="\n".join(t for t in texts if t))
    return message
