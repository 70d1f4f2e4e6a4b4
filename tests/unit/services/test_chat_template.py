from __future__ import annotations

from desktop.core.gguf_header import read_header
from desktop.services.chat_template import ChatTemplate

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
