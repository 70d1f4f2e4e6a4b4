"""Every vision family of the catalog through the real engine (issue 16).

Each family's pair is a tiny random-weight text model and projector generated at
test time (desktop/services/models/vision_families.py) with the family's real image
geometry, so libmtmd preprocesses, tiles and counts image tokens as it does for the
real model, and every image path runs: Gemma 3's non-causal image attention, Qwen-VL's
M-RoPE positions (and Qwen3-VL's deepstack), SmolVLM2's and Llama 4's tiles. The
answers mean nothing, but greedy ones are deterministic and depend on the images
(checked below), so a follow-up that reuses the cache must answer exactly as a fresh
engine that evaluates the whole conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, EngineConfig, GenerationOptions
from desktop.core.errors import ModelFileError
from desktop.core.gguf_info import best_projector, check_pair, read_gguf_info
from desktop.core.images import load_image
from desktop.services.engines import llama_loader
from desktop.services.engines.llm_engine import LlmEngine
from desktop.services.models.vision_families import FAMILIES, write_family_pair

pytestmark = pytest.mark.model  # real llama.cpp runs (tiny models, but models)

GREEDY = GenerationOptions(temperature=0.0, max_tokens=8)
N_CTX = 16384  # the largest image of every family (Qwen-VL: 4,096 tokens) and a conversation fit

# The pictures, and the image tokens libmtmd makes of each, from the family's geometry:
# - gemma3: always resized to 896 px, 64x64 patches of 14 px pooled 4x4: 256.
# - qwen2.5-vl / qwen3-vl: each side rounded to a multiple of 28 / 32 px (2x2 merged
#   patches of 14 / 16 px), one token a merged patch, 8 to 4,096 tokens.
# - idefics3 (SmolVLM2): resized to 2048 px on its longest side, cut into 512 px tiles
#   (64 tokens each: 32x32 patches, pixel shuffle by 4) plus a 512 px overview.
# - llama4: the best grid of 336 px tiles (up to 3x3) for the picture, plus an overview
#   when there is more than one tile; 144 tokens each (24x24 patches, pixel shuffle by 2).
# "photo" is larger than Hearth's largest image side, so it is the largest image each family takes.
PICTURES = {"small": (200, 120), "red": (448, 336), "blue": (448, 336), "green": (448, 336),
            "square": (1300, 1300), "photo": (2600, 2600)}
COLOURS = {"small": (30, 200, 30), "red": (220, 30, 30), "blue": (30, 30, 220), "green": (20, 160, 60),
           "square": (200, 200, 30), "photo": (90, 60, 200)}
TOKENS = {  # small, red/blue, square, photo
    "gemma3": (256, 256, 256, 256),
    "qwen2.5-vl": (7 * 4, 16 * 12, 46 * 46, 64 * 64),
    "qwen3-vl": (6 * 4, 14 * 11, 41 * 41, 64 * 64),
    "idefics3": ((4 * 3 + 1) * 64, (4 * 3 + 1) * 64, (4 * 4 + 1) * 64, (4 * 4 + 1) * 64),
    "llama4": (144, (2 * 1 + 1) * 144, (3 * 3 + 1) * 144, (3 * 3 + 1) * 144),
}


def tokens(family: str, picture: str) -> int:
    column = {"small": 0, "red": 1, "blue": 1, "green": 1, "square": 2, "photo": 3}[picture]
    return TOKENS[family][column]


@pytest.fixture(scope="session")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("vision-families")
    return {family: write_family_pair(family, folder) for family in FAMILIES}


@pytest.fixture(scope="session")
def picture_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    files = {}
    for name, size in PICTURES.items():
        image = Image.new("RGB", size, COLOURS[name])
        image.paste((255, 255, 255), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))  # not all one colour
        files[name] = folder / f"{name}.png"
        image.save(files[name])
    return files


@pytest.fixture(scope="module", params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def engine(family: str, pairs: dict[str, tuple[Path, Path]]) -> Iterator[LlmEngine]:
    model, mmproj = pairs[family]
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=N_CTX))
    engine.wait_ready()
    yield engine
    engine.close()


@pytest.fixture
def picture(engine: LlmEngine, picture_files: dict[str, Path]):
    """picture(name) -> the attachment, as Hearth sends it to this engine's model."""
    side = engine.wait_ready().image_max_side
    return lambda name: load_image(picture_files[name], max_side=side)


def fresh_answer(pair: tuple[Path, Path], history: list[Message]) -> Answer:
    """The answer of a new engine, which evaluates the whole conversation."""
    engine = LlmEngine(EngineConfig(model_path=pair[0], mmproj_path=pair[1], n_ctx=N_CTX))
    try:
        return engine.ask(history, options=GREEDY).result()
    finally:
        engine.close()


def test_hearth_pairs_each_family_with_its_own_projector_only(family, pairs):
    model, mmproj = (read_gguf_info(path) for path in pairs[family])
    check_pair(model, mmproj)
    projectors = [read_gguf_info(pair[1]) for pair in pairs.values()]
    assert best_projector(model, projectors) == mmproj
    for other in FAMILIES:
        if other != family:
            with pytest.raises(ModelFileError, match="does not belong"):
                check_pair(read_gguf_info(pairs[other][0]), mmproj)


def test_image_tokens_are_the_ones_libmtmd_makes_for_the_family(family, engine, picture):
    for name in ("small", "red"):
        stats = engine.ask([Message.user("What is this?", (picture(name),))], options=GREEDY).result().stats
        assert (stats.image_count, stats.image_tokens) == (1, tokens(family, name)), name
        assert stats.image_encode_s > 0 and stats.completion_tokens >= 1


def test_the_answer_depends_on_the_image(engine, picture):
    """What makes the comparisons with a fresh engine below worth something."""
    answers = [engine.ask([Message.user("What is this?", (picture(name),))], options=GREEDY).result()
               for name in ("red", "blue")]
    assert all(answer.stats.completion_tokens >= 2 for answer in answers)
    assert answers[0].text != answers[1].text


def test_two_images_in_one_message(family, engine, picture):
    answer = engine.ask([Message.user("Compare them.", (picture("red"), picture("small")))], options=GREEDY).result()
    assert answer.stats.image_count == 2
    assert answer.stats.image_tokens == tokens(family, "red") + tokens(family, "small")
    assert answer.stats.finish_reason in ("length", "stop")


def test_follow_ups_reuse_the_cached_image_and_answer_as_a_fresh_prefill(family, engine, pairs, picture):
    """A text follow-up evaluates only its own words; a second image later in the chat
    is encoded alone. Both answer exactly as a new engine given the whole conversation."""
    history = [Message.user("What is in this picture?", (picture("green"),))]  # a picture no other test sends
    first = engine.ask(history, options=GREEDY).result()
    assert first.stats.image_encode_s > 0

    history += [Message.assistant(first.text), Message.user("And what colour is it?")]
    follow_up = engine.ask(history, options=GREEDY).result()
    assert follow_up.stats.image_count == 1 and follow_up.stats.image_encode_s == 0.0
    # only what follows the first prompt is evaluated (the random answer's bytes may be
    # tokenized anew, but nothing of the first question or its image)
    assert follow_up.stats.prefill_tokens <= follow_up.stats.prompt_tokens - first.stats.prompt_tokens
    from_scratch = fresh_answer(pairs[family], history)
    assert from_scratch.stats.prefill_tokens == follow_up.stats.prompt_tokens  # nothing reused there
    assert (follow_up.text, follow_up.stats.completion_tokens) == (from_scratch.text,
                                                                  from_scratch.stats.completion_tokens)

    history += [Message.assistant(follow_up.text), Message.user("And this one?", (picture("blue"),))]
    later = engine.ask(history, options=GREEDY).result()
    assert later.stats.image_count == 2 and later.stats.image_tokens == 2 * tokens(family, "red")
    assert later.stats.image_encode_s > 0
    assert later.stats.prefill_tokens <= later.stats.prompt_tokens - follow_up.stats.prompt_tokens
    from_scratch = fresh_answer(pairs[family], history)
    assert (later.text, later.stats.completion_tokens) == (from_scratch.text, from_scratch.stats.completion_tokens)


def test_an_image_larger_than_a_batch_answers_as_in_one_batch(family, engine, pairs, picture, monkeypatch):
    """Hearth decodes in 512-token micro-batches; an image of thousands of tokens (Qwen-VL,
    with M-RoPE positions) or of several tiles must give what one micro-batch gives.
    (Gemma 3's image, decoded with non-causal attention, must sit in one micro-batch:
    it is 256 tokens, below Hearth's 512.)"""
    history = [Message.user("Describe it.", (picture("square"),))]
    answer = engine.ask(history, options=GREEDY).result()
    assert answer.stats.image_tokens == tokens(family, "square")
    assert family == "gemma3" or answer.stats.image_tokens > 512

    load = llama_loader._with_flash_attention
    monkeypatch.setattr(llama_loader, "_with_flash_attention",
                        lambda settings: load({**settings, "n_batch": N_CTX, "n_ubatch": N_CTX}))
    in_one_batch = fresh_answer(pairs[family], history)
    assert (answer.text, answer.stats.completion_tokens) == (in_one_batch.text, in_one_batch.stats.completion_tokens)


def test_the_largest_image_the_family_takes(family, engine, picture):
    photo = picture("photo")
    answer = engine.ask([Message.user("Describe it.", (photo,))], options=GREEDY).result()
    assert answer.stats.image_tokens == tokens(family, "photo")
    assert answer.stats.finish_reason in ("length", "stop")


def test_a_photo_can_be_asked_about_in_the_default_context(family, pairs, picture_files):
    """With Hearth's default settings (4,096-token context), a photo of any size gets an answer."""
    model, mmproj = pairs[family]
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj))
    try:
        photo = load_image(picture_files["photo"], max_side=engine.wait_ready().image_max_side)
        answer = engine.ask([Message.user("Describe it.", (photo,))], options=GREEDY).result()
    finally:
        engine.close()
    assert answer.stats.image_count == 1 and answer.stats.finish_reason in ("length", "stop")


@pytest.mark.parametrize("family", ["qwen2.5-vl", "qwen3-vl"])
def test_an_answer_about_an_image_ends_where_the_context_does(family, pairs, picture_files):
    """An answer without a token limit runs until the context is full, then ends with
    "length". With M-RoPE an image takes fewer KV positions than KV cells (Qwen: one
    position a row or column of its tokens, one cell a token), so the room left for
    the answer is the context less the cells, not less the positions."""
    model, mmproj = pairs[family]
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj))
    try:
        image = load_image(picture_files["square"], max_side=engine.wait_ready().image_max_side)
        answer = engine.ask([Message.user("Describe it.", (image,))],
                            options=GenerationOptions(temperature=0.0, max_tokens=None)).result()
    finally:
        engine.close()
    assert answer.stats.image_tokens > 1000
    assert answer.stats.finish_reason == "length"
    assert answer.stats.completion_tokens >= 4096 - answer.stats.image_tokens - 128  # less the prompt's text


def test_a_non_causal_image_larger_than_the_micro_batch_is_refused_not_aborted(pairs, picture_files):
    """Gemma 3's image attention is non-causal: llama.cpp aborts the whole process when
    such an image does not fit one micro-batch. Hearth refuses it first, in one sentence
    (the micro-batch is shrunk here; Gemma 3's 256 tokens fit Hearth's 512)."""
    from desktop.core.errors import EngineError

    model, mmproj = pairs["gemma3"]
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=4096))
    try:
        engine.wait_ready()
        engine._model.llama.context_params.n_ubatch = 128  # what Hearth reads; llama.cpp's stays 512
        image = load_image(picture_files["red"], max_side=engine.wait_ready().image_max_side)
        with pytest.raises(EngineError, match="256 tokens at once, more than the 128"):
            engine.ask([Message.user("What is it?", (image,))], options=GREEDY).result()
        engine._model.llama.context_params.n_ubatch = 512
        assert engine.ask([Message.user("What is it?", (image,))], options=GREEDY).result().stats.image_tokens == 256
    finally:
        engine.close()


def test_old_turns_are_trimmed_for_the_largest_image_whatever_came_last(pairs, picture_files):
    """History is trimmed to the context with an estimate of each image's tokens. It used
    to become the last image's count: after a small picture, two photos were kept and the
    prompt overflowed the context."""
    model, mmproj = pairs["qwen2.5-vl"]
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=4096))
    try:
        side = engine.wait_ready().image_max_side
        small, photo = (load_image(picture_files[name], max_side=side) for name in ("small", "photo"))
        history = [Message.user("And this?", (small,))]
        history.append(Message.assistant(engine.ask(history, options=GREEDY).result().text))
        for _ in range(2):
            history.append(Message.user("And this?", (photo,)))
            answer = engine.ask(history, options=GREEDY).result()  # raised ContextTooLongError before
            history.append(Message.assistant(answer.text))
        assert answer.dropped_messages >= 2 and answer.stats.image_count == 1  # the older photo's turn went
    finally:
        engine.close()
