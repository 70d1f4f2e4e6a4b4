"""The OpenAI chat-completions format, both ways."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, AnswerStats
from desktop.core.openai_schema import (
    ApiRequestError,
    completion_response,
    parse_chat_request,
)
from desktop.core.prompt import to_chat_messages


def png_uri(color="red") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_text_image_system_and_options_are_read():
    request = parse_chat_request({
        "model": "m", "stream": True, "temperature": 0, "top_p": 0.5, "max_tokens": 12, "seed": 7, "stop": "END",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": [{"type": "text", "text": "What colour?"},
                                         {"type": "image_url", "image_url": {"url": png_uri()}}]},
        ],
    })
    assert request.system_prompt == "Be brief." and request.stream
    assert [m.role for m in request.history] == ["user", "assistant", "user"]
    last = request.history[-1]
    assert last.text == "What colour?" and len(last.images) == 1 and last.images[0].width == 32
    options = request.options
    assert (options.temperature, options.top_p, options.max_tokens, options.seed, options.stop) == \
        (0.0, 0.5, 12, 7, ("END",))


@pytest.mark.parametrize(("body", "param", "text"), [
    ([], None, "JSON object"),
    ({"messages": [{"role": "user", "content": "x"}]}, "model", "'model' is required"),
    ({"model": "m", "messages": []}, "messages", "non-empty"),
    ({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0]", "role"),
    ({"model": "m", "messages": [{"role": "assistant", "content": "x"}]}, "messages", "from the user"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 9}, "temperature", "0 to 2"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]}, "stop", "'stop'"),
    ({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]},
     "messages[0].content[0]", "fetches no URLs"),
    ({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                  + base64.b64encode(b"not an image").decode()}}]}]},
     "messages[0].content[0]", "not an image"),
])
def test_bad_requests_name_the_field(body, param, text):
    with pytest.raises(ApiRequestError) as caught:
        parse_chat_request(body)
    assert caught.value.status == 400 and caught.value.param == param
    assert text in str(caught.value)


def test_answers_and_history_are_written_in_openai_shape():
    stats = AnswerStats(ttft_s=0.1, prompt_tokens=20, prefill_tokens=20, prefill_s=0.1, completion_tokens=3,
                        decode_s=0.1, image_count=0, image_tokens=0, image_encode_s=0.0, total_s=0.2,
                        finish_reason="length")
    body = completion_response(Answer(text="Paris", stats=stats), model="m")
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Paris"}
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23}

    image = parse_chat_request({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": png_uri()}}]}]}).history[0].images[0]
    sent = to_chat_messages([Message(role="user", text="What is it?", images=(image,)),
                             Message(role="user", text="", images=(image,))], "Be brief.")
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[1]["content"][0]["image_url"]["url"].startswith("data:image/")
    assert sent[1]["content"][1] == {"type": "text", "text": "What is it?"}
    assert len(sent[2]["content"]) == 1  # an image alone: no empty text part
