"""`hearth serve` through the official `openai` client, exactly as a developer uses it."""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest
from PIL import Image
from tests_helpers import THINK_FIRST, ProcessLines, word_error_rate

MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"


@pytest.fixture
def client(served_hearth):
    with openai.OpenAI(base_url=served_hearth.url, api_key=served_hearth.api_key, max_retries=0) as made:
        yield made


def ask(client, content, **options):
    return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}],
                                          temperature=0, **options)


def test_models_are_the_windows_models(client):
    assert [m.id for m in client.models.list().data] == [MODEL, "whisper-tiny.en"]


def test_text_answer(client):
    reply = ask(client, "What is the capital of France? Answer with one word.", max_tokens=8)
    assert "Paris" in reply.choices[0].message.content
    assert reply.usage.prompt_tokens > 10 and reply.usage.completion_tokens >= 1


def test_streaming_answer_arrives_in_pieces(client):
    stream = ask(client, "Count from one to ten in words.", max_tokens=40, stream=True)
    pieces = [chunk.choices[0].delta.content for chunk in stream if chunk.choices and chunk.choices[0].delta.content]
    assert len(pieces) > 5 and "three" in "".join(pieces).lower()


def test_system_prompt_stop_and_seed(client):
    reply = client.chat.completions.create(
        model=MODEL, temperature=0, max_tokens=30, seed=3, stop=["3"],
        messages=[{"role": "system", "content": "Answer with digits only."},
                  {"role": "user", "content": "Write the digits from 1 to 9 separated by commas."}])
    text = reply.choices[0].message.content
    assert "1" in text and "3" not in text and "9" not in text


def png_uri() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_image_goes_through_the_vision_path(client):
    """The starter projector has random weights: only the image's token count is meaningful."""
    question = "Describe the picture."
    plain = ask(client, question, max_tokens=2)
    with_image = ask(client, [{"type": "text", "text": question},
                              {"type": "image_url", "image_url": {"url": png_uri()}}], max_tokens=2)
    assert with_image.usage.prompt_tokens - plain.usage.prompt_tokens >= 150  # ~196 image tokens


def test_transcription_json_and_text(client, speak):
    sentence = "Please turn on the kitchen lights and play some music."
    wav = speak(sentence, name="api.wav")
    with wav.open("rb") as audio:
        result = client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert word_error_rate(sentence, result.text) <= 0.1, result.text
    with wav.open("rb") as audio:
        text = client.audio.transcriptions.create(model="whisper-tiny.en", file=audio, response_format="text")
    assert word_error_rate(sentence, str(text)) <= 0.1


@pytest.mark.parametrize(("call", "error", "status", "needle"), [
    (lambda c: c.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}]),
     openai.NotFoundError, 404, "does not exist"),
    (lambda c: ask(c, [{"type": "image_url", "image_url": {
        "url": "data:image/png;base64," + base64.b64encode(b"plain text").decode()}}]),
     openai.BadRequestError, 400, "not an image"),
    (lambda c: ask(c, "word " * 5000), openai.BadRequestError, 400, "context"),
    (lambda c: c.audio.transcriptions.create(model="whisper-1", file=("notes.txt", b"hello")),
     openai.BadRequestError, 400, "audio"),
])
def test_errors_have_openai_shape_and_status(client, call, error, status, needle):
    with pytest.raises(error) as caught:
        call(client)
    assert caught.value.status_code == status
    assert needle in caught.value.message
    assert caught.value.body["message"] and "type" in caught.value.body


def test_too_long_prompt_has_its_code(client):
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "word " * 5000)
    assert caught.value.code == "context_length_exceeded"


def test_bad_json_and_missing_key(served_hearth):
    bad = httpx2.post(f"{served_hearth.url}/chat/completions", content=b"{not json",
                      headers={"Authorization": f"Bearer {served_hearth.api_key}", "Content-Type": "application/json"})
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    with openai.OpenAI(base_url=served_hearth.url, api_key="wrong", max_retries=0) as stranger, \
            pytest.raises(openai.AuthenticationError) as caught:
        stranger.models.list()
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"


def test_a_client_that_hangs_up_cancels_its_answer(client, served_hearth):
    stream = ask(client, "Write a very long story about a lighthouse keeper.", max_tokens=3000, stream=True)
    received = 0
    for chunk in stream:
        received += bool(chunk.choices and chunk.choices[0].delta.content)
        if received == 3:
            break
    stream.close()
    served_hearth.stderr.wait_for("cancelled: the client disconnected", timeout=60)
    reply = ask(client, "What is the capital of France? Answer with one word.", max_tokens=8)
    assert "Paris" in reply.choices[0].message.content  # the engine is free again


def test_concurrent_requests_queue(client):
    answers: dict[int, str] = {}

    def run(number: int) -> None:
        reply = ask(client, f"What is {number} plus {number}? Answer with the number only.", max_tokens=6)
        answers[number] = reply.choices[0].message.content

    threads = [threading.Thread(target=run, args=(n,), name=f"test-client-{n}") for n in (2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answers.keys() == {2, 3, 4}
    assert "4" in answers[2] and "6" in answers[3] and "8" in answers[4]


def test_listening_beyond_loopback_needs_a_flag(cli_home):
    hearth = str(Path(sys.executable).with_name("hearth"))
    env = {"HEARTH_HOME": str(cli_home), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([hearth, "serve", "--host", "0.0.0.0"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert refused.returncode == 2 and "--expose" in refused.stderr


# -- the key of `hearth serve`: never on the command line, never echoed -------------------

def serve_env(home: Path, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "HEARTH_API_KEY"}, "HEARTH_HOME": str(home), **extra}


@contextlib.contextmanager
def serving(home: Path, *args: str) -> Iterator[tuple[subprocess.Popen, ProcessLines, ProcessLines]]:
    """A real `hearth serve --port 0 ARGS` until the block ends; waits for its banner."""
    process = subprocess.Popen([str(Path(sys.executable).with_name("hearth")), "serve", "--port", "0", *args],
                               env=serve_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = ProcessLines(process.stdout), ProcessLines(process.stderr)
    try:
        out.wait_for("api_key=")
        yield process, out, err
    finally:
        process.terminate()
        process.wait(30)
        out.close(process.stdout)
        err.close(process.stderr)


def models_status(port: int, key: str, host: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/v1/models", headers={"Authorization": f"Bearer {key}",
                                                          **({"Host": host} if host else {})})
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_key_on_the_command_line_is_refused(cli_home):
    run = subprocess.run([str(Path(sys.executable).with_name("hearth")), "serve", "--api-key", "sk-visible"],
                         capture_output=True, text=True, env=serve_env(cli_home), timeout=60)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "HEARTH_API_KEY" in run.stderr and "--api-key-file" in run.stderr and "sk-visible" not in run.stderr


def key_file_with(text: str, mode: int):
    def make(path: Path) -> None:
        path.write_text(text)
        path.chmod(mode)

    return make


@pytest.mark.parametrize(("make", "needle"), [
    (key_file_with("sk-shared", 0o644), "chmod 600"),
    (key_file_with("sk-group", 0o640), "chmod 600"),
    (lambda path: path.mkdir(mode=0o700), "not a regular file"),
    (lambda path: os.mkfifo(path, 0o600), "not a regular file"),
    (lambda path: None, "Cannot read"),
    (key_file_with("  \n", 0o600), "not usable"),
], ids=["shared", "group", "folder", "fifo", "missing", "blank"])
def test_a_key_file_must_be_a_private_regular_file(cli_home, tmp_path, make, needle):
    key_file = tmp_path / "key"
    make(key_file)
    run = subprocess.run([str(Path(sys.executable).with_name("hearth")), "serve", "--api-key-file", str(key_file)],
                         capture_output=True, text=True, env=serve_env(cli_home), timeout=60)
    assert run.returncode == 2 and needle in run.stderr and "sk-" not in run.stderr


def test_a_key_from_a_private_file_is_required_and_never_shown(cli_home, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("sk-from-a-file\n")
    key_file.chmod(0o600)
    with serving(cli_home, "--api-key-file", str(key_file)) as (process, out, err):
        port = int(out.wait_for("Serving").rsplit(":", 1)[1].split("/")[0])
        assert 'api_key=os.environ["HEARTH_API_KEY"]' in out.wait_for("api_key=")
        assert b"sk-from-a-file" not in Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert models_status(port, "sk-from-a-file") == 200 and models_status(port, "wrong") == 401
        assert not [line for line in out.lines + err.lines if "sk-from-a-file" in line]


def test_exposed_without_a_key_makes_one_and_shows_it_once(cli_home):
    with serving(cli_home, "--host", "0.0.0.0", "--expose") as (_process, out, err):
        port = int(out.wait_for("Serving").rsplit(":", 1)[1].split("/")[0])
        key = err.wait_for("shown only now").rsplit(" ", 1)[1]
        assert len(key) >= 40 and sum(key in line for line in out.lines + err.lines) == 1  # once, on stderr
        assert models_status(port, key) == 200 and models_status(port, "wrong") == 401
        assert models_status(port, key, host="evil.example") == 400
        assert models_status(port, key, host=f"{socket.gethostname()}:{port}") == 200  # its own name
        assert models_status(port, key, host=f"192.0.2.7:{port}") == 200  # any of its addresses


def test_thinking_comes_back_as_reasoning_content(client):
    messages = [{"role": "system", "content": THINK_FIRST}, {"role": "user", "content": "What is 7 times 6?"}]
    reply = client.chat.completions.create(model=MODEL, messages=messages, temperature=0, max_tokens=80)
    message = reply.choices[0].message
    assert "42" in message.reasoning_content and "think>" not in message.content
    stream = client.chat.completions.create(model=MODEL, messages=messages, temperature=0, max_tokens=80,
                                            stream=True)
    deltas = [chunk.choices[0].delta for chunk in stream if chunk.choices]
    thinking = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
    answered = "".join(d.content or "" for d in deltas)
    assert (thinking, answered) == (message.reasoning_content, message.content)
