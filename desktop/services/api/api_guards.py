"""The API's front door (plain ASGI): Host, origin, key, content type and body size,
checked before any endpoint runs or any body is parsed.

Why: a web page in the person's browser can send requests to 127.0.0.1. DNS
rebinding arrives with the page's own host name (refused here); a browser marks every
cross-origin POST with an `Origin` header, and Hearth serves no web page of its own, so
a request that carries one is refused before it can make anything run (a keyless
`hearth serve` included); a "simple" POST can only carry text/plain, form or multipart
bodies (a JSON endpoint refuses them, and no CORS header ever invites the browser to
send more); a body is read with a running count, so an oversized one is refused early
(413), never buffered.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from desktop.core.api_policy import UPLOAD_PATHS, body_limit, host_allowed, media_type
from desktop.core.openai_schema import error_body

__all__ = ["JSON_PATHS", "RequestGuard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_PATHS = frozenset({"/v1/chat/completions"})
_EXPECTED_TYPE = {**dict.fromkeys(JSON_PATHS, "application/json"), **dict.fromkeys(UPLOAD_PATHS, "multipart/form-data")}
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestGuard:
    """Wraps the API app; a request that fails a check gets OpenAI's error shape."""

    def __init__(self, app: Asgi, *, api_key: str | None, hosts: frozenset[str] = frozenset(),
                 any_address: bool = False) -> None:
        self.app = app
        self._key = api_key
        self._hosts = hosts  # accepted besides loopback's names: the configured host
        self._any_address = any_address  # a wildcard bind: any IP literal too

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is None and scope["method"] in _WITH_BODY:
            body, refusal = await _read_body(receive, headers, body_limit(scope["path"]))
            if body is None and refusal is None:
                return  # the client left before its body arrived: nothing to answer
            receive = _replay(body or b"", receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        if not host_allowed(headers.get("host"), self._hosts, any_address=self._any_address):
            return _error(400, "This server answers only requests addressed to it by its own name "
                          "(the Host header names another).", code="invalid_host")
        if "origin" in headers:
            return _error(403, "Requests from web pages are refused: this API is for programs on this "
                          "computer (the request carried an Origin header).", code="origin_not_allowed")
        if self._key is not None:
            given = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not secrets.compare_digest(given.encode(), self._key.encode()):
                return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        if scope["method"] != "POST":
            return None
        expected = _EXPECTED_TYPE.get(scope["path"])
        given_type = media_type(headers.get("content-type"))
        if expected is not None and given_type != expected:
            return _error(415, f"Send this request as Content-Type: {expected} (it came as "
                          f"{given_type or 'no content type'}).", code="unsupported_media_type")
        return None


async def _read_body(receive: Receive, headers: Headers, limit: int) -> tuple[bytes | None, JSONResponse | None]:
    """The whole body, counted as it arrives; (None, 413) past `limit`; (None, None) if the
    client hung up."""
    too_large = _error(413, f"The request body is larger than {limit // (1024 * 1024)} MiB.",
                       code="request_too_large")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None, too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the body once, then the client's own (for
    `http.disconnect`, which the chat endpoint watches)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _error(status: int, message: str, *, code: str) -> JSONResponse:
    return JSONResponse(error_body(message, code=code), status_code=status)
