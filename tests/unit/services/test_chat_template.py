from __future__ import annotations

from desktop.core.gguf_header import read_header
from desktop.services.engines.chat_template import ChatTemplate

MARKER = "<__media__>"
IMAGE_TURN = [{
    "role": "user",
    "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": "What is this?"},
    ],
}]
# The shape of real VLM templates (Qwen2.5-VL, Gemma 3): content may be a list of parts.
LIST_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>"
    "{% if m.content is string %}{{ m.content }}"
    "{% else %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endif %}\n"
    "{% endfor %}<|assistant|>"
)


def test_text_only_template_gets_flattened_content(starter):
    template = read_header(starter.chat).fields["tokenizer.chat_template"]
    chat = ChatTemplate(template, bos_token="", eos_token="<|im_end|>")
    assert not chat.accepts_parts
    rendered = chat.render(IMAGE_TURN, media_marker=MARKER)
    assert f"<|im_start|>user\n{MARKER}\nWhat is this?<|im_end|>" in rendered.text
    assert "data:image" not in rendered.text
    assert rendered.text.endswith("<|im_start|>assistant\n")


def test_list_template_keeps_parts():
    chat = ChatTemplate(LIST_TEMPLATE, bos_token="", eos_token="")
    assert chat.accepts_parts
    assert chat.render(IMAGE_TURN, media_marker=MARKER).text == f"<|user|>{MARKER}What is this?<|assistant|>"  # trim_blocks eats the newline


def test_no_template_falls_back_to_a_transcript_with_stops():
    chat = ChatTemplate(None, bos_token="<bos>", eos_token="<eos>")
    rendered = chat.render(
        [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}], media_marker=MARKER
    )
    assert rendered.text == "<bos>Be kind.\n\nUser: Hi\nAssistant:"
    assert rendered.starts_with_bos
    assert "\nUser:" in rendered.stops


def test_the_turn_change_is_what_follows_an_answer(starter):
    template = read_header(starter.chat).fields["tokenizer.chat_template"]
    chat = ChatTemplate(template, bos_token="", eos_token="<|im_end|>")
    asked = [{"role": "user", "content": "Hi"}]
    assert chat.turn_change(asked, media_marker=MARKER) == "<|im_end|>\n<|im_start|>user\n"
    fallback = ChatTemplate(None, bos_token="<bos>", eos_token="<eos>")
    assert fallback.turn_change(asked, media_marker=MARKER) == "\nUser: "


def test_a_template_that_refuses_the_shape_gives_no_turn_change():
    strict = "{% for m in messages %}{% if m.role == 'assistant' %}{{ raise_exception('no') }}{% endif %}{% endfor %}x"
    chat = ChatTemplate(strict, bos_token="", eos_token="")
    assert chat.turn_change([{"role": "user", "content": "Hi"}], media_marker=MARKER) is None
