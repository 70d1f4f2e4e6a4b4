"""Multimodal prefill through llama-cpp-python's generic `MTMDChatHandler`.

The handler loads the projector (libmtmd context) and decodes images; this subclass
adds what Hearth needs and the handler's all-in-one `__call__` cannot give: the
prefill on its own, with the image-encode time and token counts measured, so the
engine can run its own token loop (cancellable per token, exact statistics); and
the KV prefix kept across turns, images included, which the stock handler clears on
every call (so every follow-up about an image re-encoded it). The decoded images of the
last prompt are kept too: a follow-up neither decodes its images from their data URIs
again nor encodes them (about 9 ms of a 150 ms follow-up here).
"""

from __future__ import annotations

import ctypes
import hashlib
import time
from dataclasses import dataclass

import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_chat_format import MTMDChatHandler

from desktop.core.errors import ContextTooLongError, EngineError, ModelFileError
from desktop.core.gguf_info import read_gguf_info
from desktop.core.prompt import ChatMessage, common_prefix

__all__ = ["HearthMtmdHandler", "PrefillResult"]

_DYNAMIC_RESOLUTION = {"qwen2vl_merger", "qwen2.5vl_merger", "qwen3vl_merger"}
_IMAGE_POSITION = -1  # written into input_ids at image positions: never matches a token


@dataclass(frozen=True)
class PrefillResult:
    prompt_tokens: int  # KV positions filled, text and image
    kv_cells: int  # KV cells filled: one a token (an M-RoPE image has fewer positions than tokens)
    reused: int  # of those, kept from the previous turn
    image_count: int
    image_tokens: int
    image_encode_s: float


class HearthMtmdHandler(MTMDChatHandler):
    """`MTMDChatHandler` with a measured, separate prefill."""

    def __init__(self, clip_model_path: str, *, use_gpu: bool) -> None:
        super().__init__(clip_model_path, verbose=False, use_gpu=use_gpu)
        self._kv_images: dict[int, str] = {}  # KV start position -> digest of the image there
        self._bitmaps: dict[str, object] = {}  # digest -> decoded image of the last prompt (libmtmd's)

    def image_tokens(self, width: int, height: int) -> int:
        """The tokens libmtmd makes of a `width` x `height` image (after `attach`)."""
        mtmd = self._mtmd_cpp
        bitmap = mtmd.mtmd_bitmap_init(width, height, (ctypes.c_uint8 * (width * height * 3))())
        text = mtmd.mtmd_input_text()
        text.text = self.media_marker.encode()
        text.text_len = len(text.text)
        text.add_special = False
        text.parse_special = True
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            array = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
            if mtmd.mtmd_tokenize(self.mtmd_ctx, chunks, ctypes.byref(text), array, 1) != 0:
                raise EngineError("libmtmd could not tokenize an image.")
            steps = (mtmd.mtmd_input_chunks_get(chunks, i) for i in range(mtmd.mtmd_input_chunks_size(chunks)))
            return sum(mtmd.mtmd_input_chunk_get_n_tokens(chunk) for chunk in steps
                       if mtmd.mtmd_input_chunk_get_type(chunk) != mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT)
        finally:
            mtmd.mtmd_input_chunks_free(chunks)
            mtmd.mtmd_bitmap_free(bitmap)

    @property
    def media_marker(self) -> str:
        return self._mtmd_cpp.mtmd_default_marker().decode("utf-8")

    def attach(self, llama: Llama) -> None:
        """Create the libmtmd context for `llama` (once); clear error if it does not fit."""
        try:
            self._init_mtmd_context(llama)
        except ValueError as error:
            raise ModelFileError(
                f"The projector {self.clip_model_path} could not be loaded for this model: {error}."
            ) from error

    def _init_mtmd_context(self, llama_model: Llama) -> None:
        """llama-cpp-python's, but a dynamic-resolution image (Qwen-VL: up to 4,096 tokens)
        is capped at half the context, so a photo fits Hearth's default 4,096."""
        self.verbose = llama_model.verbose
        if self.mtmd_ctx is not None:
            return
        mtmd = self._mtmd_cpp
        params = mtmd.mtmd_context_params_default()
        params.use_gpu = self.use_gpu
        params.print_timings = False
        params.n_threads = llama_model.n_threads
        enabled = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED  # as the parent maps it: on, or else off
        flash = llama_model.context_params.flash_attn_type == enabled
        params.flash_attn_type = enabled if flash else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        if read_gguf_info(self.clip_model_path).projector_type in _DYNAMIC_RESOLUTION:
            params.image_max_tokens = min(4096, llama_model.n_ctx() // 2)
        self.mtmd_ctx = mtmd.mtmd_init_from_file(self.clip_model_path.encode(), llama_model.model, params)
        if self.mtmd_ctx is None:
            raise ValueError(f"Failed to load mtmd context from: {self.clip_model_path}")
        if not mtmd.mtmd_support_vision(self.mtmd_ctx):
            raise ValueError("Vision is not supported by this model")
        llama_model._stack.callback(self._free_context)

    def _free_context(self) -> None:
        if self.mtmd_ctx is not None:
            self._mtmd_cpp.mtmd_free(self.mtmd_ctx)
            self.mtmd_ctx = None

    def prefill(self, llama: Llama, messages: list[ChatMessage], prompt_text: str, *,
                add_special: bool) -> PrefillResult:
        """Evaluate `prompt_text` (with media markers) and the messages' images into
        `llama`'s KV cache, keeping what the previous turn left there that still fits."""
        self.attach(llama)
        mtmd = self._mtmd_cpp
        urls = self.get_image_urls(messages)
        digests = [hashlib.sha256(url.encode()).hexdigest() for url in urls]
        bitmaps = self._decoded(urls, digests)
        text = mtmd.mtmd_input_text()
        encoded = prompt_text.encode("utf-8")
        text.text = encoded
        text.text_len = len(encoded)
        text.add_special = add_special
        text.parse_special = True
        chunks = mtmd.mtmd_input_chunks_init()
        if chunks is None:
            raise EngineError("libmtmd could not allocate its input chunks.")
        try:
            array = (mtmd.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
            status = mtmd.mtmd_tokenize(self.mtmd_ctx, chunks, ctypes.byref(text), array, len(bitmaps))
            if status != 0:
                raise EngineError(
                    f"The prompt and its {len(bitmaps)} image(s) could not be tokenized "
                    f"(libmtmd error {status})."
                )
            return self._eval_chunks(llama, chunks, digests)
        finally:
            mtmd.mtmd_input_chunks_free(chunks)

    def _decoded(self, urls: list[str], digests: list[str]) -> list[object]:
        """The prompt's images as libmtmd bitmaps: those of the last prompt are reused,
        the others decoded; images no longer in the prompt are freed."""
        kept: dict[str, object] = {}
        try:
            for url, digest in zip(urls, digests, strict=True):
                if digest not in kept:
                    kept[digest] = self._bitmaps.pop(digest, None) or self._identified(
                        self._create_bitmap_from_bytes(self.load_image(url)), digest)
        finally:
            self.release_images()
            self._bitmaps = kept
        return [kept[digest] for digest in digests]

    def _identified(self, bitmap: object, digest: str) -> object:
        """`bitmap` named by its digest: libmtmd gives the name to every chunk of the image
        (a tiled image, SmolVLM2's or Llama 4's, is several chunks)."""
        self._mtmd_cpp.mtmd_bitmap_set_id(bitmap, digest.encode())
        return bitmap

    def release_images(self) -> None:
        """Free the decoded images kept for the next prompt (at a model's close)."""
        bitmaps, self._bitmaps = self._bitmaps, {}
        for bitmap in bitmaps.values():
            self._mtmd_cpp.mtmd_bitmap_free(bitmap)

    def _eval_chunks(self, llama: Llama, chunks: object, image_ids: list[str]) -> PrefillResult:
        """Evaluate the chunks, keeping the longest prefix already in the KV cache: the
        same text tokens, and the same images (by content) at the same positions. So a
        follow-up about an image already seen neither re-encodes nor re-decodes it."""
        mtmd = self._mtmd_cpp
        total = mtmd.mtmd_helper_get_n_tokens(chunks)
        if total > llama.n_ctx():
            raise ContextTooLongError(
                f"The prompt needs {total} tokens but the context holds {llama.n_ctx()}: "
                "attach fewer images, shorten the conversation or raise the context length."
            )
        plan = self._plan(chunks)
        self._check_batches(llama, plan)
        first, offset, reused = self._reusable(llama, plan)
        if not llama._ctx.kv_cache_seq_rm(-1, reused, -1):  # a model whose cache cannot be cut
            first, offset, reused = 0, 0, 0
            llama._ctx.kv_cache_clear()
        llama.n_tokens = reused
        self._kv_images = {start: image for start, image in self._kv_images.items() if start < reused}
        encode_s = 0.0
        for index in range(first, len(plan)):
            step = plan[index]
            if step.tokens is not None:
                llama.eval(step.tokens[offset if index == first else 0:])
                continue
            started = time.perf_counter()
            if mtmd.mtmd_encode_chunk(self.mtmd_ctx, step.chunk) != 0:
                raise EngineError("libmtmd failed to encode an image.")
            encode_s += time.perf_counter() - started
            start = llama.n_tokens
            new_n_past = llama_cpp.llama_pos(0)
            status = mtmd.mtmd_helper_decode_image_chunk(
                self.mtmd_ctx, llama._ctx.ctx, step.chunk, mtmd.mtmd_get_output_embd(self.mtmd_ctx),
                llama_cpp.llama_pos(start), llama_cpp.llama_seq_id(0), llama.n_batch,
                ctypes.byref(new_n_past), mtmd.mtmd_helper_post_decode_callback(), None,
            )
            if status != 0:
                raise EngineError(f"llama.cpp failed to take in an image (error {status}).")
            llama.input_ids[start : new_n_past.value] = _IMAGE_POSITION
            llama.n_tokens = new_n_past.value
            self._kv_images[start] = step.image_id
        return PrefillResult(
            prompt_tokens=llama.n_tokens, kv_cells=total, reused=reused, image_count=len(image_ids),
            image_tokens=sum(step.n_tokens for step in plan if step.tokens is None), image_encode_s=encode_s,
        )

    def _check_batches(self, llama: Llama, plan: list[_Step]) -> None:
        """An image whose attention is non-causal (Gemma 3's) must be decoded in one
        micro-batch, else llama.cpp aborts the whole process: refuse it first."""
        ubatch = llama.context_params.n_ubatch
        for step in plan:
            if (step.tokens is None and step.n_tokens > ubatch
                    and self._mtmd_cpp.mtmd_decode_use_non_causal(self.mtmd_ctx, step.chunk)):
                raise EngineError(f"This model takes an image as {step.n_tokens} tokens at once, more than the "
                                  f"{ubatch} it was loaded for: the image cannot be read.")

    def _plan(self, chunks: object) -> list[_Step]:
        mtmd = self._mtmd_cpp
        plan: list[_Step] = []
        for index in range(mtmd.mtmd_input_chunks_size(chunks)):
            chunk = mtmd.mtmd_input_chunks_get(chunks, index)
            if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                count = ctypes.c_size_t()
                pointer = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
                tokens = [pointer[i] for i in range(count.value)]
                plan.append(_Step(chunk, tokens, None, len(tokens), len(tokens)))
            else:
                image_id = mtmd.mtmd_input_chunk_get_id(chunk).decode()  # the digest, see _identified
                plan.append(_Step(chunk, None, image_id, mtmd.mtmd_input_chunk_get_n_tokens(chunk),
                                  mtmd.mtmd_input_chunk_get_n_pos(chunk)))
        return plan

    def _reusable(self, llama: Llama, plan: list[_Step]) -> tuple[int, int, int]:
        """(first step to evaluate, tokens of it already cached, KV positions kept)."""
        cached = llama.input_ids[: llama.n_tokens]
        position = 0
        for index, step in enumerate(plan):
            window = cached[position : position + step.n_pos]
            if step.tokens is not None:
                same = common_prefix(window.tolist(), step.tokens)
                if same < step.n_pos:
                    return index, same, position + same
            elif (self._kv_images.get(position) != step.image_id or len(window) < step.n_pos
                  or (window != _IMAGE_POSITION).any()):
                return index, 0, position
            position += step.n_pos
        last = plan[-1]  # all of it is cached: evaluate the last token again for fresh logits
        if last.tokens is not None and last.n_pos:
            return len(plan) - 1, last.n_pos - 1, position - 1
        return len(plan) - 1, 0, position - last.n_pos


@dataclass(frozen=True)
class _Step:
    chunk: object
    tokens: list[int] | None  # text chunks
    image_id: str | None  # image chunks: a digest of the image
    n_tokens: int
    n_pos: int  # KV positions it takes (differs from n_tokens for M-RoPE models)
