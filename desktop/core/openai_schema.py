"""The OpenAI chat-completions wire format: requests in, responses and errors out.

Pure functions over plain dicts, used by `hearth serve` (requests in, responses out)
and by the remote engine (the other way round). A malformed request becomes an
`ApiRequestError` carrying the HTTP status and the OpenAI error fields, so every
client library shows its usual error.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from dataclasses import dataclass
from typing import Any

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer, GenerationOptions
from desktop.core.errors import HearthError, ImageError
from desktop.core.images import normalise_image

__all__ = [
    "ApiRequestError",
    "ChatRequest",
    "completion_chunk",
    "completion_response",
    "error_body",
    "parse_chat_request",
    "to_openai_messages",
]

_FINISH = {"stop": "stop", "length": "length", "cancelled": "stop"}


class ApiRequestError(HearthError):
    """A request the API refuses: `status` and OpenAI's `type`, `param`, `code`."""

    def __init__(self, message: str, *, status: int = 400, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.param, self.code, self.kind = status, param, code, kind


@dataclass(frozen=True)
class ChatRequest:
    model: str
    history: tuple[Message, ...]  # ends with the user message to answer
    system_prompt: str | None
    options: GenerationOptions
    stream: bool


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def parse_chat_request(body: Any, *, max_image_side: int = 2048) -> ChatRequest:
    """Validate an OpenAI chat-completions request body."""
    if not isinstance(body, dict):
        raise ApiRequestError("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiRequestError("'model' is required.", param="model")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise ApiRequestError("'messages' must be a non-empty list.", param="messages")
    system: list[str] = []
    history: list[Message] = []
    for index, item in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(item, dict) or item.get("role") not in ("system", "developer", "user", "assistant"):
            raise ApiRequestError(f"{where} needs a role of system, user or assistant.", param=where)
        text, images = _content(item.get("content"), where, max_image_side)
        if item["role"] in ("system", "developer"):
            system.append(text)
        else:
            history.append(Message(role=item["role"], text=text, images=images))
    if not history or history[-1].role != "user":
        raise ApiRequestError("The last message must come from the user.", param="messages")
    return ChatRequest(model=model, history=tuple(history), system_prompt="\n\n".join(system) or None,
                       options=_options(body), stream=_bool(body, "stream"))


def completion_response(answer: Answer, *, model: str) -> dict[str, Any]:
    stats = answer.stats
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                     "finish_reason": _FINISH[stats.finish_reason]}],
        "usage": {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
                  "total_tokens": stats.prompt_tokens + stats.completion_tokens},
    }


def completion_chunk(chunk_id: str, *, model: str, delta: dict[str, str],
                     finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": chunk_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def to_openai_messages(history: tuple[Message, ...] | list[Message], system_prompt: str | None) -> list[dict]:
    """Hearth's conversation as OpenAI messages (images as `image_url` data URIs)."""
    messages: list[dict] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for message in history:
        if not message.images:
            messages.append({"role": message.role, "content": message.text})
            continue
        parts: list[dict] = [{"type": "image_url", "image_url": {"url": a.data_uri}} for a in message.images]
        if message.text:
            parts.append({"type": "text", "text": message.text})
        messages.append({"role": message.role, "content": parts})
    return messages


def _content(content: Any, where: str, max_image_side: int) -> tuple[str, tuple[Attachment, ...]]:
    if isinstance(content, str):
        return content, ()
    if content is None:
        return "", ()
    if not isinstance(content, list):
        raise ApiRequestError(f"{where}.content must be a string or a list of parts.", param=where)
    texts: list[str] = []
    images: list[Attachment] = []
    for number, part in enumerate(content):
        here = f"{where}.content[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            images.append(_image(url, here, max_image_side))
        else:
            raise ApiRequestError(f"{here} must be a text or image_url part.", param=here)
    return "\n".join(texts), tuple(images)


def _image(url: Any, where: str, max_image_side: int) -> Attachment:
    """Only `data:` URIs: Hearth fetches nothing from the network."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ApiRequestError(f"{where}: images must be sent as data: URIs (base64); Hearth fetches no URLs.",
                              param=where, code="invalid_image_url")
    header, _comma, payload = url.partition(",")
    if ";base64" not in header:
        raise ApiRequestError(f"{where}: the data: URI must be base64-encoded.", param=where)
    try:
        data = base64.b64decode(payload, validate=True)
        return normalise_image(data, name="image", max_side=max_image_side)
    except (binascii.Error, ValueError) as error:
        raise ApiRequestError(f"{where}: the image is not valid base64.", param=where,
                              code="invalid_image") from error
    except ImageError as error:
        raise ApiRequestError(f"{where}: {error}", param=where, code="invalid_image") from error


def _options(body: dict[str, Any]) -> GenerationOptions:
    defaults = GenerationOptions()
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if not all(isinstance(s, str) and s for s in stops) or len(stops) > 4:
        raise ApiRequestError("'stop' must be a string or up to 4 strings.", param="stop")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    return GenerationOptions(
        temperature=_number(body, "temperature", defaults.temperature, 0.0, 2.0),
        top_p=_number(body, "top_p", defaults.top_p, 0.0, 1.0),
        max_tokens=None if max_tokens is None else int(_number(body, "max_tokens", 0, 1, 1e9, value=max_tokens)),
        seed=None if body.get("seed") is None else int(_number(body, "seed", 0, -(2**63), 2**63)),
        stop=stops,
    )


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float,
            *, value: Any = None) -> float:
    value = body.get(name, default) if value is None else value
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ApiRequestError(f"'{name}' must be a number from {low:g} to {high:g}.", param=name)
    return float(value)


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool) and value is not None:
        raise ApiRequestError(f"'{name}' must be true or false.", param=name)
    return bool(value)
