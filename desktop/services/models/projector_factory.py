"""Write a small random-weight vision projector (mmproj) with the `gguf` package.

No real vision GGUF can be fetched where Hearth is built and tested, so the starter
set includes this LLaVA-style ("mlp" projector) CLIP encoder sized to the chat model's
width. The whole image path then runs for real inside libmtmd (decode, preprocess,
encode, inject, generate); only the answers about images are meaningless.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter

from desktop.services.models.model_files import written_whole

__all__ = ["write_test_projector"]

_WIDTH = 192  # ViT width
_HEADS = 3
_FFN = 768
_BLOCKS = 2
_IMAGE = 224
_PATCH = 16


def write_test_projector(path: str | Path, *, text_width: int, seed: int = 0) -> Path:
    """Write the projector to `path` (via a `.part` file, so it appears whole)."""
    target = Path(path)
    with written_whole(target) as part:
        _write(part, text_width, seed)
    return target


def _write(part: Path, text_width: int, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float16)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    writer = GGUFWriter(str(part), arch="clip")
    writer.add_name("Hearth test projector (random weights)")
    writer.add_description("Random-weight LLaVA-style projector for tests; image answers are meaningless.")
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_audio_encoder", False)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.embedding_length", _WIDTH)
    writer.add_uint32("clip.vision.feed_forward_length", _FFN)
    writer.add_uint32("clip.vision.block_count", _BLOCKS)
    writer.add_uint32("clip.vision.projection_dim", text_width)
    writer.add_uint32("clip.vision.attention.head_count", _HEADS)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    writer.add_uint32("clip.vision.image_size", _IMAGE)
    writer.add_uint32("clip.vision.patch_size", _PATCH)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

    n_positions = (_IMAGE // _PATCH) ** 2 + 1  # patches + class token
    writer.add_tensor("v.patch_embd.weight", weights(_WIDTH, 3, _PATCH, _PATCH))
    writer.add_tensor("v.class_embd", (rng.standard_normal(_WIDTH) * 0.02).astype(np.float32))
    writer.add_tensor("v.position_embd.weight", weights(n_positions, _WIDTH))
    writer.add_tensor("v.pre_ln.weight", ones(_WIDTH))
    writer.add_tensor("v.pre_ln.bias", zeros(_WIDTH))
    for block in range(_BLOCKS):
        prefix = f"v.blk.{block}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            writer.add_tensor(f"{prefix}.{name}.weight", weights(_WIDTH, _WIDTH))
            writer.add_tensor(f"{prefix}.{name}.bias", zeros(_WIDTH))
        for norm in ("ln1", "ln2"):
            writer.add_tensor(f"{prefix}.{norm}.weight", ones(_WIDTH))
            writer.add_tensor(f"{prefix}.{norm}.bias", zeros(_WIDTH))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weights(_FFN, _WIDTH))
        writer.add_tensor(f"{prefix}.ffn_up.bias", zeros(_FFN))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weights(_WIDTH, _FFN))
        writer.add_tensor(f"{prefix}.ffn_down.bias", zeros(_WIDTH))
    writer.add_tensor("mm.0.weight", weights(text_width, _WIDTH))
    writer.add_tensor("mm.0.bias", zeros(text_width))
    writer.add_tensor("mm.2.weight", weights(text_width, text_width))
    writer.add_tensor("mm.2.bias", zeros(text_width))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
