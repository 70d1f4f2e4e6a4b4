"""The real engine on the real starter models (loaded once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from tests_helpers import THINK_FIRST

from desktop.core.conversation import Message
from desktop.core.engine_types import EngineConfig, GenerationOptions
from desktop.core.errors import EngineError, ModelFileError
from desktop.core.images import load_image
from desktop.services.engines.llm_engine import LlmEngine
from desktop.services.models.projector_factory import write_test_projector

GREEDY = GenerationOptions(temperature=0.0, max_tokens=24)


def test_capital_of_france_is_paris(qwen_vision):
    answer = qwen_vision.ask(
        [Message.user("What is the capital of France? Answer with one word.")], options=GREEDY
    ).result()
    assert "paris" in answer.text.lower()
    stats = answer.stats
    assert stats.finish_reason == "stop"
    assert stats.prompt_tokens > 10 and stats.completion_tokens >= 1
    assert 0 < stats.ttft_s <= stats.total_s
    assert stats.prefill_tps > 0
    assert stats.image_count == 0 and stats.image_encode_s == 0


def test_answer_streams_in_pieces_that_make_the_whole(qwen_vision):
    stream = qwen_vision.ask(
        [Message.user("Count from 1 to 10, separated by commas.")], options=GenerationOptions(temperature=0, max_tokens=40)
    )
    deltas = list(stream)
    answer = stream.result()
    assert len(deltas) > 5
    assert "".join(deltas) == answer.text
    assert "1" in answer.text and "10" in answer.text
    assert answer.stats.decode_tps > 0


def test_follow_up_uses_the_conversation(qwen_vision):
    history = [
        Message.user("My name is Ada. Reply with OK."),
        Message.assistant("OK."),
        Message.user("What is my name? Answer with one word."),
    ]
    answer = qwen_vision.ask(history, options=GREEDY).result()
    assert "ada" in answer.text.lower()


def test_image_question_runs_through_libmtmd(qwen_vision, tmp_path):
    path = tmp_path / "red.png"
    Image.new("RGB", (640, 480), (220, 20, 20)).save(path)
    image = load_image(path, max_side=qwen_vision.wait_ready().image_max_side)
    answer = qwen_vision.ask(
        [Message.user("Describe the image.", (image,))], options=GenerationOptions(temperature=0, max_tokens=8)
    ).result()
    stats = answer.stats
    assert stats.image_count == 1
    assert stats.image_tokens == 196  # (224 / 16)² patches of the generated projector
    assert stats.image_encode_s > 0
    assert stats.prompt_tokens > stats.image_tokens
    assert stats.completion_tokens >= 1


def test_earlier_images_stay_in_the_conversation(qwen_vision, tmp_path):
    paths = []
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (64, 64), colour).save(paths[-1])
    first, second = (load_image(p, max_side=224) for p in paths)
    history = [
        Message.user("Look at this.", (first,)),
        Message.assistant("I see it."),
        Message.user("And this one?", (second,)),
    ]
    answer = qwen_vision.ask(history, options=GenerationOptions(temperature=0, max_tokens=4)).result()
    assert answer.stats.image_count == 2
    assert answer.stats.image_tokens == 2 * 196


def test_text_follow_up_after_an_image_turn_does_not_reuse_image_positions(qwen_vision, tmp_path):
    path = tmp_path / "x.png"
    Image.new("RGB", (32, 32), (0, 255, 0)).save(path)
    qwen_vision.ask([Message.user("Hi", (load_image(path, max_side=224),))], options=GREEDY).result()
    answer = qwen_vision.ask(
        [Message.user("What is the capital of Italy? Answer with one word.")], options=GREEDY
    ).result()
    assert "rome" in answer.text.lower()


def test_cancel_stops_within_one_token(gemma):
    stream = gemma.ask([Message.user("Tell me a very long story about the sea.")],
                       options=GenerationOptions(temperature=0.8, max_tokens=400, seed=1))
    received = []
    for delta in stream:
        received.append(delta)
        if len(received) == 3:
            stream.cancel()
    answer = stream.result()
    assert answer.stats.finish_reason == "cancelled"
    assert answer.stats.completion_tokens <= 4  # the 3 seen, at most one more in flight
    assert len(received) <= 4


def test_max_tokens_ends_with_length(gemma):
    answer = gemma.ask([Message.user("Write about rivers.")],
                       options=GenerationOptions(temperature=0.8, max_tokens=5, seed=2)).result()
    assert answer.stats.finish_reason in ("length", "stop")
    assert answer.stats.completion_tokens <= 5


def test_base_model_gets_the_fallback_transcript(gemma):
    info = gemma.wait_ready()
    assert info.chat_template == "fallback"
    answer = gemma.ask([Message.user("Say hello.")], options=GenerationOptions(temperature=0, max_tokens=30)).result()
    assert "User:" not in answer.text  # the stop sequence ends the turn


def test_images_without_projector_are_refused(gemma, tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(path)
    stream = gemma.ask([Message.user("what?", (load_image(path),))])
    with pytest.raises(EngineError, match="no vision projector"):
        stream.result()


def test_too_long_prompt_is_refused(gemma):
    stream = gemma.ask([Message.user("word " * 5000)], options=GenerationOptions(max_tokens=10))
    with pytest.raises(EngineError, match="too long"):
        stream.result()


def test_mismatched_projector_is_refused_before_loading(starter, tmp_path):
    projector = write_test_projector(tmp_path / "p640.gguf", text_width=640)
    engine = LlmEngine(EngineConfig(model_path=starter.chat, mmproj_path=projector))
    try:
        with pytest.raises(ModelFileError, match="does not belong"):
            engine.wait_ready()
    finally:
        engine.close()


def test_truncated_model_is_refused_before_llama_cpp_opens_it(starter, tmp_path):
    cut = tmp_path / "cut.gguf"
    with starter.plumbing.open("rb") as src:
        cut.write_bytes(src.read(10_000_000))
    engine = LlmEngine(EngineConfig(model_path=cut))
    try:
        with pytest.raises(ModelFileError, match="truncated"):
            engine.wait_ready()
        with pytest.raises(ModelFileError):
            engine.ask([Message.user("hi")]).result()
    finally:
        engine.close()


def test_close_joins_the_engine_thread(starter):
    engine = LlmEngine(EngineConfig(model_path=Path(starter.plumbing), n_ctx=512))
    engine.wait_ready()
    engine.close()
    assert not engine.is_alive
    engine.close()  # a second close is harmless


def test_cancel_aborts_a_long_prefill(gemma):
    """A cancel stops llama.cpp inside the prefill (abort callback), not after it."""
    long_prompt = "Summarise this text: " + "the river runs to the sea and " * 220  # ~1,500 tokens
    stream = gemma.ask([Message.user(long_prompt)], options=GenerationOptions(max_tokens=50))
    stream.cancel()
    answer = stream.result()
    assert answer.stats.finish_reason == "cancelled"
    assert answer.stats.completion_tokens == 0
    assert answer.stats.prefill_tokens < answer.stats.prompt_tokens  # stopped part-way
    assert answer.stats.prompt_tokens > 1000
    # The KV cache is left consistent: the next answer is a normal one.
    follow = gemma.ask([Message.user(long_prompt)], options=GenerationOptions(temperature=0, max_tokens=3)).result()
    assert follow.stats.finish_reason in ("length", "stop")
    assert follow.stats.completion_tokens >= 1


def test_text_follow_up_reuses_the_cached_prefix(gemma):
    history = [Message.user("Hello, who are you?")]
    first = gemma.ask(history, options=GenerationOptions(temperature=0, max_tokens=8)).result()
    history += [Message.assistant(first.text), Message.user("And what can you do?")]
    second = gemma.ask(history, options=GenerationOptions(temperature=0, max_tokens=8)).result()
    assert second.stats.prefill_tokens < second.stats.prompt_tokens  # the first turn came from the cache


def test_a_follow_up_about_the_same_image_reuses_its_encoding(qwen_vision, starter, tmp_path, monkeypatch):
    """The image's KV positions survive the turn: no re-encode, no second decode of the
    picture, a prefill of only the new words, and the same answer as evaluating the
    whole conversation from scratch."""
    from desktop.services.engines.mtmd_prefill import HearthMtmdHandler

    decoded: list[int] = []
    decode = HearthMtmdHandler._create_bitmap_from_bytes
    monkeypatch.setattr(HearthMtmdHandler, "_create_bitmap_from_bytes",
                        lambda self, data: (decoded.append(len(data)), decode(self, data))[1])
    Image.new("RGB", (96, 64), (220, 40, 40)).save(tmp_path / "red.png")
    picture = load_image(tmp_path / "red.png", max_side=224)
    history = [Message.user("What is in this picture?", (picture,))]
    first = qwen_vision.ask(history, options=GREEDY).result()
    assert first.stats.image_encode_s > 0 and first.stats.prefill_tokens >= 196
    history += [Message.assistant(first.text), Message.user("What is the capital of France? One word.")]
    follow_up = qwen_vision.ask(history, options=GREEDY).result()
    assert follow_up.stats.image_count == 1 and follow_up.stats.image_encode_s == 0.0
    assert follow_up.stats.prefill_tokens < 40 < 196 < follow_up.stats.prompt_tokens
    assert len(decoded) == 1  # the follow-up used the picture decoded for the first turn

    fresh = LlmEngine(EngineConfig(model_path=starter.chat, mmproj_path=starter.mmproj, n_ctx=4096))
    try:
        from_scratch = fresh.ask(history, options=GREEDY).result()
    finally:
        fresh.close()
    assert from_scratch.stats.prefill_tokens == follow_up.stats.prompt_tokens  # nothing reused there
    assert follow_up.text == from_scratch.text


def test_a_different_image_at_the_same_place_is_encoded_again(qwen_vision, tmp_path):
    pictures = []
    for name, colour in (("a", (0, 0, 0)), ("b", (255, 255, 255))):
        Image.new("RGB", (64, 64), colour).save(tmp_path / f"{name}.png")
        pictures.append(load_image(tmp_path / f"{name}.png", max_side=224))
    qwen_vision.ask([Message.user("Describe it.", (pictures[0],))], options=GREEDY).result()
    other = qwen_vision.ask([Message.user("Describe it.", (pictures[1],))], options=GREEDY).result()
    assert other.stats.image_encode_s > 0 and other.stats.prefill_tokens >= 196


def test_while_the_answer_is_read_the_next_turn_is_opened(qwen_vision, starter):
    """After an answer the engine evaluates what any follow-up starts with: the last token
    of an answer cut at max_tokens, and ChatML's `<|im_end|>\\n<|im_start|>user\\n`. The
    follow-up then prefills only its own words and the generation prompt, and answers
    exactly as a fresh engine does."""
    from llama_cpp import Llama

    history = [Message.user("Name three colours.")]
    first = qwen_vision.ask(history, options=GenerationOptions(temperature=0, max_tokens=6)).result()
    assert first.stats.finish_reason == "length"
    assert qwen_vision.wait_idle(timeout=60)
    question = "And three animals?"
    history += [Message.assistant(first.text), Message.user(question)]
    follow_up = qwen_vision.ask(history, options=GREEDY).result()
    vocab = Llama(str(starter.chat), vocab_only=True, verbose=False)
    try:
        own_words = vocab.tokenize(f"{question}<|im_end|>\n<|im_start|>assistant\n".encode(), add_bos=False,
                                   special=True)
    finally:
        vocab.close()
    assert follow_up.stats.prefill_tokens == len(own_words)

    fresh = LlmEngine(EngineConfig(model_path=starter.chat, mmproj_path=starter.mmproj, n_ctx=4096))
    try:
        from_scratch = fresh.ask(history, options=GREEDY).result()
    finally:
        fresh.close()
    assert follow_up.text == from_scratch.text


def test_a_reasoning_answer_streams_its_thinking_apart(qwen_vision):
    stream = qwen_vision.ask([Message.user("What is 7 times 6?")], system_prompt=THINK_FIRST,
                             options=GenerationOptions(temperature=0, max_tokens=80))
    parts = list(stream.parts())
    answer = stream.result()
    assert "42" in answer.reasoning and "42" in answer.text
    assert "think>" not in answer.text and "think>" not in answer.reasoning
    kinds = [part.kind for part in parts if part.text]
    assert kinds == sorted(kinds, key=lambda kind: kind != "thought")  # all thinking, then the answer
    assert "".join(p.text for p in parts if p.kind == "thought") == answer.reasoning
    assert "".join(p.text for p in parts if p.kind == "answer") == answer.text
    assert 0 < answer.thinking_s < answer.stats.total_s


def test_thinking_cut_by_the_length_limit_stays_thinking(qwen_vision):
    """The engine tells the relay why the stream ended: cut mid-thought, the thinking is
    not passed off as the answer (a model that never closes its thinking would be)."""
    answer = qwen_vision.ask([Message.user("What is 7 times 6?")], system_prompt=THINK_FIRST,
                             options=GenerationOptions(temperature=0, max_tokens=6)).result()
    assert answer.stats.finish_reason == "length"
    assert answer.text == "" and answer.reasoning.strip()
