"""The local API's rules on their own: which Host names it answers, content types, limits."""

from __future__ import annotations

import pytest

from desktop.core.api_policy import (
    MAX_AUDIO_BYTES,
    MAX_BODY_BYTES,
    body_limit,
    host_allowed,
    is_wildcard,
    media_type,
    new_api_key,
)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8765", "localhost.", "127.0.0.1", "127.0.0.1:80",
                                  "127.44.0.9:1", "[::1]", "[::1]:8765"])
def test_loopback_names_are_answered(host):
    assert host_allowed(host)


@pytest.mark.parametrize("host", [None, "", "evil.example", "evil.example:8765", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "10.0.0.5", "[::1]x", "localhost:http", "[fe80::1]:80"])
def test_other_names_are_refused(host):
    assert not host_allowed(host)


def test_the_configured_host_and_a_wildcard_bind():
    assert host_allowed("192.168.1.20:8765", {"192.168.1.20"})
    assert host_allowed("Box.Local:8765", {"box.local"})
    assert not host_allowed("192.168.1.21:8765", {"192.168.1.20"})
    assert host_allowed("192.168.1.21:8765", any_address=True)  # any of this computer's addresses
    assert not host_allowed("evil.example", any_address=True)  # never another name
    assert is_wildcard("0.0.0.0") and is_wildcard("::") and not is_wildcard("127.0.0.1")


def test_media_types_and_limits():
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    assert media_type(None) == ""
    assert body_limit("/v1/chat/completions") == MAX_BODY_BYTES
    assert MAX_AUDIO_BYTES < body_limit("/v1/audio/transcriptions") < MAX_BODY_BYTES


def test_new_keys_are_long_and_different():
    keys = {new_api_key() for _ in range(5)}
    assert len(keys) == 5 and all(len(key) >= 40 and key.isascii() for key in keys)
