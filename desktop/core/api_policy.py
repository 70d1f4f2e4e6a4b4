"""What the local API accepts, in one place: sizes, counts, Host names, keys.

Why: the API listens on this computer, where any web page in the person's browser can
reach it (a cross-origin POST, or DNS rebinding), and one careless request must not
freeze it. Cheap limits here are checked before anything is parsed or decoded.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "MAX_AUDIO_BYTES",
    "MAX_BODY_BYTES",
    "MAX_IMAGES",
    "MAX_IMAGE_BASE64_CHARS",
    "MAX_IMAGE_PIXELS",
    "MAX_MESSAGES",
    "MiB",
    "body_limit",
    "host_allowed",
    "is_wildcard",
    "media_type",
    "new_api_key",
]

MiB = 1024 * 1024
MAX_BODY_BYTES = 64 * MiB  # a JSON request, images included
MAX_AUDIO_BYTES = 25 * MiB  # one uploaded audio file, as OpenAI's own limit
_FORM_OVERHEAD = 1 * MiB  # multipart boundaries and the small form fields
MAX_MESSAGES = 2_000
MAX_IMAGES = 16  # per request
MAX_IMAGE_BASE64_CHARS = 28 * MiB  # ~20 MiB of encoded image
MAX_IMAGE_PIXELS = 50_000_000  # read from the file's header before anything is decoded
DEFAULT_MAX_TOKENS = 2_048  # when a request gives no max_tokens (never more than half the context)
UPLOAD_PATHS = frozenset({"/v1/audio/transcriptions"})

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def new_api_key() -> str:
    """A fresh random key (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    return MAX_AUDIO_BYTES + _FORM_OVERHEAD if path in UPLOAD_PATHS else MAX_BODY_BYTES


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_wildcard(host: str) -> bool:
    """0.0.0.0 or ::: every address of this computer."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def host_allowed(header: str | None, also: Iterable[str] = (), *, any_address: bool = False) -> bool:
    """Whether a request's Host header names this server.

    Loopback names always; the names in `also` (the configured host when exposed); any
    IP literal when `any_address` (a wildcard bind). DNS rebinding always arrives with the
    attacker's host name, so a name not listed here is refused."""
    name = _host_name(header or "")
    if not name:
        return False
    if name in _LOOPBACK_NAMES or name in {h.strip("[]").lower().rstrip(".") for h in also}:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or any_address


def _host_name(header: str) -> str:
    """`Host` without its port, lower case, brackets and a trailing dot removed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _bracket, rest = header[1:].partition("]")
        return name if not rest or rest.startswith(":") else ""
    name, _colon, port = header.partition(":")
    if port and not port.isdigit():
        return ""
    return name.rstrip(".")
