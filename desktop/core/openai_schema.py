"""The OpenAI chat-completions wire format: requests in, responses and errors out.

Pure functions over plain dicts, used by `hearth serve` (requests in, responses out)
and by the remote engine (the other way round). A malformed request becomes an
`ApiRequestError` carrying the HTTP status and the OpenAI error fields, so every
client library shows its usual error.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
import uuid
import warnings
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image, UnidentifiedImageError

from desktop.core.api_policy import (
    DEFAULT_MAX_TOKENS,
    MAX_IMAGE_BASE64_CHARS,
    MAX_IMAGE_PIXELS,
    MAX_IMAGES,
    MAX_MESSAGES,
    MiB,
)
from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer, GenerationOptions
from desktop.core.errors import HearthError, ImageError
from desktop.core.images import normalise_image

__all__ = [
    "ApiRequestError",
    "ChatRequest",
    "ChatRequestHead",
    "check_chat_request",
    "completion_chunk",
    "completion_response",
    "decode_chat_request",
    "error_body",
    "parse_chat_request",
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


@dataclass(frozen=True)
class _Draft:
    """A message as checked, its images not decoded yet: (place, base64 payload)."""

    role: str
    text: str
    images: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChatRequestHead:
    """A checked request before its images are decoded (`decode_chat_request`)."""

    model: str
    stream: bool
    options: GenerationOptions
    limit_param: str | None  # "max_completion_tokens" or "max_tokens", whichever the client set
    image_count: int
    drafts: tuple[_Draft, ...]
    system_prompt: str | None

    def limited(self, n_ctx: int) -> ChatRequestHead:
        """With the answer's length capped: a default when the client set none (so no
        request generates without end), a refusal above the context (`n_ctx` 0: unknown)."""
        given = self.options.max_tokens
        if given is None:
            limit = min(DEFAULT_MAX_TOKENS, n_ctx // 2) if n_ctx else DEFAULT_MAX_TOKENS
        elif n_ctx and given > n_ctx:
            raise ApiRequestError(f"'{self.limit_param}' is {given:,}, more than this model's context of "
                                  f"{n_ctx:,} tokens.", param=self.limit_param)
        else:
            limit = given
        return replace(self, options=replace(self.options, max_tokens=limit))


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def check_chat_request(body: Any) -> ChatRequestHead:
    """Validate everything that needs no decoding: names, counts, sizes, options.

    Cheap, so it runs first: a request with a wrong model name or too many images is
    refused before any image is decoded."""
    if not isinstance(body, dict):
        raise ApiRequestError("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiRequestError("'model' is required.", param="model")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise ApiRequestError("'messages' must be a non-empty list.", param="messages")
    if len(raw) > MAX_MESSAGES:
        raise ApiRequestError(f"'messages' holds {len(raw):,} messages; the limit is {MAX_MESSAGES:,}.",
                              param="messages", code="too_many_messages")
    options, limit_param = _options(body)
    _refuse_unsupported(body)
    system: list[str] = []
    drafts: list[_Draft] = []
    image_count = 0
    for index, item in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(item, dict) or item.get("role") not in ("system", "developer", "user", "assistant"):
            raise ApiRequestError(f"{where} needs a role of system, user or assistant.", param=where)
        text, images = _content(item.get("content"), where)
        image_count += len(images)
        if image_count > MAX_IMAGES:
            raise ApiRequestError(f"A request may carry at most {MAX_IMAGES} images.", param="messages",
                                  code="too_many_images")
        if item["role"] in ("system", "developer"):
            system.append(text)
        else:
            drafts.append(_Draft(role=item["role"], text=text, images=images))
    if not drafts or drafts[-1].role != "user":
        raise ApiRequestError("The last message must come from the user.", param="messages")
    return ChatRequestHead(model=model, stream=_bool(body, "stream"), options=options, limit_param=limit_param,
                           image_count=image_count, drafts=tuple(drafts), system_prompt="\n\n".join(system) or None)


def decode_chat_request(head: ChatRequestHead, *, max_image_side: int = 2048) -> ChatRequest:
    """Decode the images of a checked request (slow: run it off the event loop)."""
    history = tuple(
        Message(role=draft.role, text=draft.text,
                images=tuple(_image(payload, where, max_image_side) for where, payload in draft.images))
        for draft in head.drafts)
    return ChatRequest(model=head.model, history=history, system_prompt=head.system_prompt, options=head.options,
                       stream=head.stream)


def parse_chat_request(body: Any, *, max_image_side: int = 2048, n_ctx: int = 0) -> ChatRequest:
    """Validate an OpenAI chat-completions request body and decode its images."""
    return decode_chat_request(check_chat_request(body).limited(n_ctx), max_image_side=max_image_side)


def completion_response(answer: Answer, *, model: str) -> dict[str, Any]:
    stats = answer.stats
    message = {"role": "assistant", "content": answer.text}
    if answer.reasoning:  # as llama.cpp's server, vLLM and DeepSeek's API name a model's thinking
        message["reasoning_content"] = answer.reasoning
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _FINISH[stats.finish_reason]}],
        "usage": {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
                  "total_tokens": stats.prompt_tokens + stats.completion_tokens},
    }


def completion_chunk(chunk_id: str, *, model: str, delta: dict[str, str],
                     finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": chunk_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _content(content: Any, where: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The text, and each image's (place, base64 payload): checked, not decoded."""
    if isinstance(content, str):
        return content, ()
    if content is None:
        return "", ()
    if not isinstance(content, list):
        raise ApiRequestError(f"{where}.content must be a string or a list of parts.", param=where)
    texts: list[str] = []
    images: list[tuple[str, str]] = []
    for number, part in enumerate(content):
        here = f"{where}.content[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            images.append((here, _image_payload(url, here)))
        else:
            raise ApiRequestError(f"{here} must be a text or image_url part.", param=here)
    return "\n".join(texts), tuple(images)


def _image_payload(url: Any, where: str) -> str:
    """Only `data:` URIs: Hearth fetches nothing from the network."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ApiRequestError(f"{where}: images must be sent as data: URIs (base64); Hearth fetches no URLs.",
                              param=where, code="invalid_image_url")
    header, _comma, payload = url.partition(",")
    if ";base64" not in header:
        raise ApiRequestError(f"{where}: the data: URI must be base64-encoded.", param=where)
    if len(payload) > MAX_IMAGE_BASE64_CHARS:
        raise ApiRequestError(f"{where}: the image is larger than {MAX_IMAGE_BASE64_CHARS * 3 // 4 // MiB} MiB.",
                              param=where, code="image_too_large")
    return payload


def _image(payload: str, where: str, max_image_side: int) -> Attachment:
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ApiRequestError(f"{where}: the image is not valid base64.", param=where,
                              code="invalid_image") from error
    _check_pixels(data, where)
    try:
        return normalise_image(data, name="image", max_side=max_image_side)
    except ImageError as error:
        raise ApiRequestError(f"{where}: {error}", param=where, code="invalid_image") from error


def _check_pixels(data: bytes, where: str) -> None:
    """The size from the file's header (Pillow opens lazily), before any decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ApiRequestError(f"{where}: the image is too large to open safely.", param=where,
                              code="image_too_large") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return  # not an image: `normalise_image` says so in its words
    if width * height > MAX_IMAGE_PIXELS:
        raise ApiRequestError(f"{where}: the image is {width}×{height} pixels; the limit is "
                              f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels.", param=where, code="image_too_large")


def _options(body: dict[str, Any]) -> tuple[GenerationOptions, str | None]:
    """The generation options, and which field (if any) limited the answer's length."""
    defaults = GenerationOptions()
    stop = body.get("stop")
    if stop is None or isinstance(stop, (str, list)):
        stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    else:
        stops = (None,)
    if not all(isinstance(s, str) and s for s in stops) or len(stops) > 4:
        raise ApiRequestError("'stop' must be a string or a list of up to 4 strings.", param="stop")
    # max_completion_tokens is OpenAI's current name; max_tokens the older one
    limit_param = next((name for name in ("max_completion_tokens", "max_tokens") if body.get(name) is not None), None)
    for name in ("presence_penalty", "frequency_penalty"):
        _number(body, name, 0.0, -2.0, 2.0)  # accepted and checked, not used
    return GenerationOptions(
        temperature=_number(body, "temperature", defaults.temperature, 0.0, 2.0),
        top_p=_number(body, "top_p", defaults.top_p, 0.0, 1.0),
        max_tokens=None if limit_param is None else _integer(body, limit_param, 1, 10**9),
        seed=None if body.get("seed") is None else _integer(body, "seed", -(2**63), 2**63),
        stop=stops,
    ), limit_param


def _refuse_unsupported(body: dict[str, Any]) -> None:
    """Fields that would change what the client expects back: refused, never ignored."""
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise ApiRequestError("This server gives one answer per request: only n=1 is supported.", param="n")
    for name in ("logprobs", "top_logprobs"):
        if body.get(name):
            raise ApiRequestError(f"'{name}' is not supported by this server.", param=name)
    for name in ("tools", "functions"):
        if body.get(name):
            raise ApiRequestError("Tool and function calls are not supported by this server.", param=name)
    response_format = body.get("response_format")
    if response_format is not None and response_format != {"type": "text"}:
        raise ApiRequestError("Only plain text answers are supported (response_format type 'text').",
                              param="response_format")


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ApiRequestError(f"'{name}' must be a number from {low:g} to {high:g}.", param=name)
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() \
            or not low <= value <= high:
        raise ApiRequestError(f"'{name}' must be a whole number from {low:,} to {high:,}.", param=name)
    return int(value)


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool) and value is not None:
        raise ApiRequestError(f"'{name}' must be true or false.", param=name)
    return bool(value)
