"""The local API cannot be driven by a web page, and no request can freeze it: real HTTP
on loopback against `hearth serve` (and, where the engine's state is asserted, the same
app in this process) with the real starter model."""

from __future__ import annotations

import base64
import http.client
import io
import json
import queue
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import openai
import pytest
from PIL import Image

from desktop.core.api_policy import DEFAULT_MAX_TOKENS, MAX_AUDIO_BYTES, MAX_IMAGES, MAX_MESSAGES
from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, EngineInfo, GenerationOptions
from desktop.services.api.api_server import ApiServer
from desktop.services.api.openai_api import ApiBackend, create_api
from desktop.services.engines.answer_stream import AnswerStream
from desktop.services.engines.llm_engine import LlmEngine

MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer with one word."}]


@pytest.fixture
def client(served_hearth):
    with openai.OpenAI(base_url=served_hearth.url, api_key=served_hearth.api_key, max_retries=0) as made:
        yield made


def call(base: str, method: str, path: str, *, body: bytes | str = b"", key: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], dict | None]:
    """One raw HTTP request (http.client sends headers exactly as given, Host included)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data) if data else None
    finally:
        connection.close()


def chat(served, body: dict, **headers: str) -> tuple[int, dict | None]:
    status, _headers, data = call(served.url, "POST", "/v1/chat/completions", body=json.dumps(body),
                                  key=served.api_key, headers={"Content-Type": "application/json", **headers})
    return status, data


def refused(data: dict | None, param: str | None, code: str | None = None) -> dict:
    """OpenAI's error shape; returns the error."""
    assert data is not None and set(data["error"]) == {"message", "type", "param", "code"}, data
    error = data["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def png_uri(width: int = 32, height: int = 24, mode: str = "RGB") -> str:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def with_images(*uris: str, model: str = MODEL) -> dict:
    parts = [{"type": "image_url", "image_url": {"url": uri}} for uri in uris]
    return {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Describe it."}, *parts]}]}


# -- Host (DNS rebinding) ---------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhost.evil",
                                  "", "[::1].evil:80"])
def test_a_request_for_another_host_name_is_refused(served_hearth, host):
    status, _headers, data = call(served_hearth.url, "GET", "/v1/models", key=served_hearth.api_key,
                                  headers={"Host": host})
    assert status == 400
    refused(data, None, "invalid_host")


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "127.8.9.10", "[::1]:{port}",
                                  "LOCALHOST."])
def test_loopback_host_names_are_answered(served_hearth, host):
    port = urllib.parse.urlsplit(served_hearth.url).port
    status, _headers, data = call(served_hearth.url, "GET", "/v1/models", key=served_hearth.api_key,
                                  headers={"Host": host.format(port=port)})
    assert status == 200 and data["data"][0]["id"] == MODEL


# -- content types and CORS -------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_cross_origin_simple_post_does_not_generate(served_hearth, content_type):
    body = json.dumps({"model": MODEL, "messages": QUESTION, "max_tokens": 4})
    headers = {"Origin": "http://evil.example", **({"Content-Type": content_type} if content_type else {})}
    status, answered, data = call(served_hearth.url, "POST", "/v1/chat/completions", body=body,
                                  key=served_hearth.api_key, headers=headers)
    assert status == 403 and "web pages" in refused(data, None, "origin_not_allowed")["message"]
    assert not [name for name in answered if name.startswith("access-control-")]
    del headers["Origin"]  # a program that posts text/plain by mistake: told what to send
    status, answered, data = call(served_hearth.url, "POST", "/v1/chat/completions", body=body,
                                  key=served_hearth.api_key, headers=headers)
    assert status == 415 and "application/json" in refused(data, None, "unsupported_media_type")["message"]


def test_a_web_page_cannot_make_a_keyless_server_transcribe():
    """`hearth serve` on loopback without a key: a page's multipart POST is a "simple"
    request a browser sends cross-origin without asking; its Origin header refuses it."""
    ran: list[str] = []
    app = create_api(ApiBackend(engine=lambda: pytest.fail("no engine is needed"),
                                transcriber=lambda: ran.append("whisper") or None))  # type: ignore[func-returns-value]
    server = ApiServer(app, host="127.0.0.1", port=0)
    base = server.start()
    form = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b--\r\n")
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    try:
        status, answered, data = call(base, "POST", "/v1/audio/transcriptions", body=form,
                                      headers={**headers, "Origin": "https://evil.example"})
        assert status == 403 and refused(data, None, "origin_not_allowed")
        assert ran == [] and not [name for name in answered if name.startswith("access-control-")]
        status, _answered, data = call(base, "POST", "/v1/audio/transcriptions", body=form, headers=headers)
        assert status == 404 and ran == ["whisper"]  # a program is let through (no Whisper here)
    finally:
        server.stop()


def test_no_cors_headers_on_a_preflight_or_an_answer(served_hearth):
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, authorization"}
    status, headers, _data = call(served_hearth.url, "OPTIONS", "/v1/chat/completions", headers=preflight)
    assert status >= 400 and not [name for name in headers if name.startswith("access-control-")]
    status, headers, _data = call(served_hearth.url, "POST", "/v1/chat/completions", key=served_hearth.api_key,
                                  body=json.dumps({"model": MODEL, "messages": QUESTION, "max_tokens": 1}),
                                  headers={"Origin": "http://evil.example", "Content-Type": "application/json"})
    assert status == 403 and not [name for name in headers if name.startswith("access-control-")]


def test_json_with_a_charset_is_accepted(served_hearth):
    status, _headers, data = call(served_hearth.url, "POST", "/v1/chat/completions", key=served_hearth.api_key,
                                  body=json.dumps({"model": MODEL, "messages": QUESTION, "max_tokens": 1}),
                                  headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert status == 200 and data["usage"]["completion_tokens"] == 1


# -- bounded requests: cheap checks first, clear 4xx errors ----------------------------

def test_the_model_name_is_checked_before_any_image_is_decoded(served_hearth):
    status, data = chat(served_hearth, with_images("data:image/png;base64," + "A" * 400, model="gpt-9"))
    assert status == 404 and data["error"]["param"] == "model"


def test_too_many_messages_are_refused_unread(served_hearth):
    messages = [{"role": "user", "content": "hi"}] * (MAX_MESSAGES + 1)
    status, data = chat(served_hearth, {"model": MODEL, "messages": messages})
    assert status == 400 and "2,000" in refused(data, "messages", "too_many_messages")["message"]


def test_too_many_images_are_refused_before_decoding(served_hearth):
    status, data = chat(served_hearth, with_images(*[png_uri()] * (MAX_IMAGES + 1)))
    assert status == 400 and str(MAX_IMAGES) in refused(data, "messages", "too_many_images")["message"]


@pytest.mark.parametrize(("side", "needle"), [(8_000, "megapixels"), (15_000, "too large")])
def test_an_image_with_too_many_pixels_is_refused_from_its_header(served_hearth, side, needle):
    """8000² is over Hearth's 50 MP; 15000² is a decompression bomb to Pillow: both 400."""
    status, data = chat(served_hearth, with_images(png_uri(side, side, mode="1")))
    assert status == 400 and needle in refused(data, "messages[0].content[1]", "image_too_large")["message"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(served_hearth):
    url = urllib.parse.urlsplit(served_hearth.url)
    for path, content_type, size in (("/v1/chat/completions", "application/json", 65 * 1024 * 1024),
                                     ("/v1/audio/transcriptions", "multipart/form-data; boundary=x", 30 * 1024 * 1024)):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            connection.putrequest("POST", path)
            for name, value in (("Authorization", f"Bearer {served_hearth.api_key}"),
                                ("Content-Type", content_type), ("Content-Length", str(size))):
                connection.putheader(name, value)
            connection.endheaders()  # and no body: the answer comes anyway
            response = connection.getresponse()
            assert response.status == 413
            refused(json.loads(response.read()), None, "request_too_large")
        finally:
            connection.close()


def test_an_audio_file_over_25_mib_is_refused(client):
    with pytest.raises(openai.APIStatusError) as caught:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", b"\0" * (MAX_AUDIO_BYTES + 4096)))
    assert caught.value.status_code == 413 and caught.value.body["param"] == "file"


def test_deeply_nested_json_is_a_400(served_hearth):
    status, _headers, data = call(served_hearth.url, "POST", "/v1/chat/completions", body="[" * 100_000,
                                  key=served_hearth.api_key, headers={"Content-Type": "application/json"})
    assert status == 400 and refused(data, None)


# -- parameters: OpenAI's error shapes, never a 500 or a silent ignore ------------------

@pytest.mark.parametrize(("extra", "param", "needle"), [
    ({"stop": 5}, "stop", "'stop'"),
    ({"stop": {"x": 1}}, "stop", "'stop'"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "up to 4"),
    ({"n": 3}, "n", "only n=1 is supported"),
    ({"n": "1"}, "n", "only n=1 is supported"),
    ({"logprobs": True}, "logprobs", "not supported"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools", "not supported"),
    ({"response_format": {"type": "json_object"}}, "response_format", "plain text"),
    ({"max_tokens": 5_000}, "max_tokens", "context"),
    ({"max_completion_tokens": 5_000}, "max_completion_tokens", "context"),
    ({"max_completion_tokens": 0}, "max_completion_tokens", "whole number"),
    ({"max_tokens": 2.5}, "max_tokens", "whole number"),
])
def test_bad_parameters_are_400s_that_name_them(served_hearth, extra, param, needle):
    status, data = chat(served_hearth, {"model": MODEL, "messages": QUESTION, **extra})
    assert status == 400 and needle in refused(data, param)["message"]


@pytest.mark.parametrize("limit", [{"max_completion_tokens": 2}, {"max_tokens": 2, "max_completion_tokens": None},
                                   {"max_completion_tokens": 2, "max_tokens": 50}])
def test_max_completion_tokens_is_honoured(served_hearth, limit):
    question = [{"role": "user", "content": "Describe Paris in three full sentences."}]
    status, data = chat(served_hearth, {"model": MODEL, "messages": question, "temperature": 0, "n": 1, **limit})
    assert status == 200 and data["usage"]["completion_tokens"] == 2
    assert data["choices"][0]["finish_reason"] == "length"


# -- in this process: the engine's own state -------------------------------------------

class WatchedStream:
    """The real answer stream; its answer is also put on `answers` when it ends."""

    def __init__(self, stream: AnswerStream, answers: queue.Queue[Answer]) -> None:
        self._stream, self._answers = stream, answers

    def __iter__(self) -> Iterator[str]:
        return iter(self._stream)

    def cancel(self) -> None:
        self._stream.cancel()

    def result(self) -> Answer:
        answer = self._stream.result()
        self._answers.put(answer)
        return answer


@dataclass
class WatchedEngine:
    """The real engine; records what each request asked for and how its answer ended."""

    engine: LlmEngine
    asked: threading.Event = field(default_factory=threading.Event)
    options: list[GenerationOptions | None] = field(default_factory=list)
    answers: queue.Queue[Answer] = field(default_factory=queue.Queue)

    def wait_ready(self, timeout: float | None = None) -> EngineInfo:
        return self.engine.wait_ready(timeout)

    def ask(self, history: Sequence[Message], *, system_prompt: str | None = None,
            options: GenerationOptions | None = None) -> WatchedStream:
        stream = self.engine.ask(history, system_prompt=system_prompt, options=options)
        self.options.append(options)
        self.asked.set()
        return WatchedStream(stream, self.answers)


@dataclass
class LocalApi:
    url: str
    api_key: str
    engine: WatchedEngine
    reports: queue.Queue[str]


@pytest.fixture
def local_api(qwen_vision) -> Iterator[LocalApi]:
    engine, reports = WatchedEngine(qwen_vision), queue.Queue()
    backend = ApiBackend(engine=lambda: engine, transcriber=lambda: None, api_key="local-key", report=reports.put)
    server = ApiServer(create_api(backend), port=0)
    url = server.start()
    yield LocalApi(url=url, api_key="local-key", engine=engine, reports=reports)
    server.stop()


def test_a_non_streaming_client_that_hangs_up_cancels_its_answer(local_api):
    url = urllib.parse.urlsplit(local_api.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.request("POST", "/v1/chat/completions", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {local_api.api_key}"}, body=json.dumps({
            "model": MODEL, "max_tokens": 3000, "temperature": 0,
            "messages": [{"role": "user", "content": "Write a very long story about a lighthouse keeper."}]}))
    assert local_api.engine.asked.wait(60)  # the engine has the request
    connection.close()  # and the client hangs up
    abandoned = local_api.engine.answers.get(timeout=300)
    assert abandoned.stats.finish_reason == "cancelled"
    assert local_api.reports.get(timeout=60) == "chat cancelled: the client disconnected"
    with openai.OpenAI(base_url=local_api.url, api_key=local_api.api_key, max_retries=0) as client:
        reply = client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=8)
    assert "Paris" in reply.choices[0].message.content  # the engine is free again


def test_an_answer_without_max_tokens_is_capped(local_api):
    with openai.OpenAI(base_url=local_api.url, api_key=local_api.api_key, max_retries=0) as client:
        reply = client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0)
    assert "Paris" in reply.choices[0].message.content
    assert local_api.engine.options[-1].max_tokens == DEFAULT_MAX_TOKENS  # 4096-token context: 2048
