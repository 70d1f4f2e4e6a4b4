"""`hearth serve` through the official `openai` client, exactly as a developer uses it."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import openai
import pytest
from PIL import Image
from tests_helpers import word_error_rate

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
                      headers={"Authorization": f"Bearer {served_hearth.api_key}"})
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


def test_listening_beyond_loopback_needs_a_flag_and_a_key(cli_home):
    hearth = str(Path(sys.executable).with_name("hearth"))
    env = {"HEARTH_HOME": str(cli_home), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([hearth, "serve", "--host", "0.0.0.0"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert refused.returncode == 2 and "--expose" in refused.stderr
    keyless = subprocess.run([hearth, "serve", "--host", "0.0.0.0", "--expose"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert keyless.returncode == 2 and "needs an API key" in keyless.stderr
