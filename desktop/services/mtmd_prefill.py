"""Multimodal prefill through llama-cpp-python's generic `MTMDChatHandler`.

The handler loads the projector (libmtmd context) and decodes images; this subclass
adds what Hearth needs and the handler's all-in-one `__call__` cannot give: the
prefill on its own, with the image-encode time and token counts measured, so the
engine can run its own token loop (cancellable per token, exact statistics).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass

import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_chat_format import MTMDChatHandler

from desktop.core.errors import EngineError, ModelFileError
from desktop.core.prompt import ChatMessage

__all__ = ["HearthMtmdHandler", "PrefillResult"]

_IMAGE_POSITION = -1  # written into input_ids at image positions: never matches a token


@dataclass(frozen=True)
class PrefillResult:
    prompt_tokens: int  # KV positions filled, text and image
    image_count: int
    image_tokens: int
    image_encode_s: float


class HearthMtmdHandler(MTMDChatHandler):
    """`MTMDChatHandler` with a measured, separate prefill."""

    def __init__(self, clip_model_path: str, *, use_gpu: bool) -> None:
        super().__init__(clip_model_path, verbose=False, use_gpu=use_gpu)

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

    def prefill(self, llama: Llama, messages: list[ChatMessage], prompt_text: str, *,
                add_special: bool) -> PrefillResult:
        """Evaluate `prompt_text` (with media markers) and the messages' images into
        `llama`'s KV cache from position 0."""
        self.attach(llama)
        mtmd = self._mtmd_cpp
        bitmaps = []
        try:
            for url in self.get_image_urls(messages):
                bitmaps.append(self._create_bitmap_from_bytes(self.load_image(url)))
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
                return self._eval_chunks(llama, chunks, len(bitmaps))
            finally:
                mtmd.mtmd_input_chunks_free(chunks)
        finally:
            for bitmap in bitmaps:
                mtmd.mtmd_bitmap_free(bitmap)

    def _eval_chunks(self, llama: Llama, chunks: object, image_count: int) -> PrefillResult:
        mtmd = self._mtmd_cpp
        n_chunks = mtmd.mtmd_input_chunks_size(chunks)
        total = mtmd.mtmd_helper_get_n_tokens(chunks)
        if total > llama.n_ctx():
            raise EngineError(
                f"The prompt needs {total} tokens but the context holds {llama.n_ctx()}: "
                "attach fewer images, shorten the conversation or raise the context length."
            )
        llama.reset()
        llama._ctx.kv_cache_clear()
        image_tokens = 0
        encode_s = 0.0
        for index in range(n_chunks):
            chunk = mtmd.mtmd_input_chunks_get(chunks, index)
            kind = mtmd.mtmd_input_chunk_get_type(chunk)
            if kind == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                count = ctypes.c_size_t()
                pointer = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
                llama.eval([pointer[i] for i in range(count.value)])
                continue
            n_tokens = mtmd.mtmd_input_chunk_get_n_tokens(chunk)
            started = time.perf_counter()
            if mtmd.mtmd_encode_chunk(self.mtmd_ctx, chunk) != 0:
                raise EngineError("libmtmd failed to encode an image.")
            encode_s += time.perf_counter() - started
            new_n_past = llama_cpp.llama_pos(0)
            status = mtmd.mtmd_helper_decode_image_chunk(
                self.mtmd_ctx, llama._ctx.ctx, chunk, mtmd.mtmd_get_output_embd(self.mtmd_ctx),
                llama_cpp.llama_pos(llama.n_tokens), llama_cpp.llama_seq_id(0), llama.n_batch,
                ctypes.byref(new_n_past), mtmd.mtmd_helper_post_decode_callback(), None,
            )
            if status != 0:
                raise EngineError(f"llama.cpp failed to take in an image (error {status}).")
            llama.input_ids[llama.n_tokens : new_n_past.value] = _IMAGE_POSITION
            llama.n_tokens = new_n_past.value
            image_tokens += n_tokens
        return PrefillResult(
            prompt_tokens=llama.n_tokens, image_count=image_count,
            image_tokens=image_tokens, image_encode_s=encode_s,
        )
