"""Load a GGUF (and its mmproj) into llama-cpp-python after checking both headers.

Every file is read with the `gguf` package first, so a truncated, corrupt or
mismatched file is a clear `ModelFileError` instead of a llama.cpp abort.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_cpp import Llama

from desktop.core.engine_types import EngineConfig, EngineInfo
from desktop.core.errors import ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.services.engines.chat_template import ChatTemplate
from desktop.services.engines.llama_runtime import backend_info, route_native_logs
from desktop.services.engines.mtmd_prefill import HearthMtmdHandler

__all__ = ["LoadedModel", "default_threads", "load_model"]

log = logging.getLogger(__name__)
_NO_MEDIA = "<__media__>"


@dataclass
class LoadedModel:
    """A loaded model and what serves it. Owned by the engine thread."""

    llama: Llama
    handler: HearthMtmdHandler | None
    template: ChatTemplate
    info: EngineInfo
    image_tokens_estimate: int | None

    @property
    def media_marker(self) -> str:
        return self.handler.media_marker if self.handler else _NO_MEDIA

    def close(self) -> None:
        if self.handler is not None:
            self.handler.release_images()
        self.llama.close()  # also frees the libmtmd context (registered on its exit stack)


def load_model(config: EngineConfig) -> LoadedModel:
    started = time.perf_counter()
    route_native_logs()
    model_info = read_gguf_info(config.model_path)
    if model_info.is_projector:
        raise ModelFileError(
            f"{model_info.path.name} is a projector (mmproj), not a language model: "
            "pass it as the mmproj."
        )
    mmproj_info = None
    if config.mmproj_path is not None:
        mmproj_info = read_gguf_info(config.mmproj_path)
        check_pair(model_info, mmproj_info)
    backend = backend_info()
    offload = config.gpu_offload and backend.gpu_offload
    handler = (
        HearthMtmdHandler(str(config.mmproj_path), use_gpu=offload) if config.mmproj_path else None
    )
    threads = config.n_threads or default_threads()
    settings = {"model_path": str(config.model_path), "n_ctx": config.n_ctx, "n_gpu_layers": -1 if offload else 0,
                "chat_handler": handler, "n_threads": threads, "n_threads_batch": threads, "verbose": False,
                # llama.cpp's own tools' defaults (llama-cpp-python's n_batch is 512): a long
                # prompt is one llama_decode call, split by llama.cpp into 512-token steps
                "n_batch": min(2048, config.n_ctx), "n_ubatch": min(512, config.n_ctx)}
    try:
        llama = _with_flash_attention(settings)
    except ValueError as error:  # llama-cpp-python's "Failed to load model from file"
        raise ModelFileError(
            f"llama.cpp could not load {Path(config.model_path).name}: unsupported "
            "architecture or damaged file."
        ) from error
    try:
        if handler is not None:
            handler.attach(llama)
        template = ChatTemplate(
            llama.metadata.get("tokenizer.chat_template"),
            bos_token=_piece(llama, llama.token_bos()),
            eos_token=_piece(llama, llama.token_eos()),
        )
    except BaseException:
        llama.close()
        raise
    info = EngineInfo(
        model_name=model_info.name,
        model_path=Path(config.model_path),
        mmproj_path=Path(config.mmproj_path) if config.mmproj_path else None,
        backend=backend.name if offload else "CPU",
        gpu_layers=(model_info.block_count or 0) + 1 if offload else 0,
        n_ctx=llama.n_ctx(),
        vision=handler is not None,
        image_max_side=mmproj_info.max_image_side if mmproj_info else 0,
        chat_template="fallback" if template.is_fallback else "model",
        load_s=time.perf_counter() - started,
    )
    estimate = None
    if handler is not None and mmproj_info is not None:  # what libmtmd makes of the largest image sent
        side = mmproj_info.max_image_side
        estimate = handler.image_tokens(side, side)
    return LoadedModel(llama, handler, template, info, estimate)


def _with_flash_attention(settings: dict[str, Any]) -> Llama:
    """Flash attention on, as llama.cpp's own tools have it (its default is "auto";
    llama-cpp-python turns it off): prefill ran 2.3x faster with it on this project's
    CPU machine. A model or backend that cannot use it is loaded again without."""
    try:
        return Llama(**settings, flash_attn=True)
    except ValueError:
        log.info("flash attention is not available for this model here; loading without it")
        return Llama(**settings, flash_attn=False)


def default_threads() -> int:
    """llama-cpp-python defaults to half the CPUs (1 on a 2-core machine: half speed).
    Use them all on small machines; on larger ones half, roughly the physical cores."""
    count = os.cpu_count() or 2
    return count if count <= 4 else count // 2


def _piece(llama: Llama, token: int) -> str:
    if token < 0:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="ignore")
