"""Tiny random-weight model pairs, one per vision family in Hearth's catalog.

No real vision model can be fetched where Hearth is built and tested, and the
starter projector (`projector_factory`, LLaVA-style "mlp") exercises only the
simplest image path. Each family here gets a text model of the architecture its
projector belongs to and a projector (mmproj) whose metadata and tensor names are
the ones libmtmd's loader (clip.cpp) reads for that family, with the family's real
image geometry (input size, patch size, merge factor, tiling), so libmtmd
preprocesses, tiles and counts image tokens exactly as it does for the real model:

- gemma3: SigLIP, 896 px, patch 14, 4x4 average pooling: 256 tokens, non-causal.
- qwen2.5-vl: dynamic resolution, patch 14, 2x2 merge, window attention, M-RoPE.
- qwen3-vl: dynamic resolution, patch 16, 2x2 merge, deepstack, interleaved M-RoPE.
- idefics3 (SmolVLM2): 512 px tiles of the image resized to 2048 px, plus an overview.
- llama4: 336 px tiles (up to 3x3) plus an overview, pixel shuffle.

The vision transformers are 16 wide (one head) with two blocks, so even Qwen-VL's
largest image (16,384 patches) encodes in seconds on two cores; a pair is under a
megabyte and is written in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

from desktop.services.models.model_files import written_whole
from desktop.services.models.tiny_text_models import TEXT_WIDTH, TextSpec, write_text_model

__all__ = ["FAMILIES", "write_family_pair"]

_WIDTH = 16  # ViT width
_HEADS = 1
_FFN = 48
_BLOCKS = 2
_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

_CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
           "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_GEMMA = ("{{ bos_token }}{% for message in messages %}<start_of_turn>"
          "{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n"
          "{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}"
          "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")
_SMOLVLM = ("<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}: "
            "{{ message['content'] }}<end_of_utterance>\n{% endfor %}"
            "{% if add_generation_prompt %}Assistant:{% endif %}")
_LLAMA4 = ("{{ bos_token }}{% for message in messages %}<|header_start|>{{ message['role'] }}<|header_end|>\n\n"
           "{{ message['content'] | trim }}<|eot|>{% endfor %}"
           "{% if add_generation_prompt %}<|header_start|>assistant<|header_end|>\n\n{% endif %}")
_QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>")


class _Projector:
    """A GGUF writer for one mmproj, with the random weights' generator."""

    def __init__(self, path: Path, projector_type: str, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.writer = GGUFWriter(str(path), arch="clip")
        self.writer.add_name(f"Hearth tiny {projector_type} projector (random weights)")
        self.writer.add_string("clip.projector_type", projector_type)
        self.writer.add_bool("clip.has_vision_encoder", True)
        self.writer.add_bool("clip.has_audio_encoder", False)

    def keys(self, *, image_size: int, patch_size: int, mean: list[float], std: list[float],
             activation: str = "gelu", extra: dict[str, int | list[bool]] | None = None) -> None:
        """The `clip.vision.*` keys clip.cpp reads for every vision projector, and `extra` ones."""
        w = self.writer
        w.add_bool(f"clip.use_{activation}", True)
        for key, value in (("embedding_length", _WIDTH), ("feed_forward_length", _FFN), ("block_count", _BLOCKS),
                           ("projection_dim", TEXT_WIDTH), ("attention.head_count", _HEADS),
                           ("image_size", image_size), ("patch_size", patch_size)):
            w.add_uint32(f"clip.vision.{key}", value)
        w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
        w.add_array("clip.vision.image_mean", mean)
        w.add_array("clip.vision.image_std", std)
        for key, value in (extra or {}).items():
            if isinstance(value, list):
                w.add_array(f"clip.vision.{key}", value)
            else:
                w.add_uint32(f"clip.vision.{key}", value)

    def matrix(self, name: str, rows: int, cols: int, *, bias: bool = True) -> None:
        """A linear layer `cols` -> `rows` (ggml's shape [cols, rows]) that keeps unit scale."""
        data = self.rng.standard_normal((rows, cols)) / np.sqrt(cols)
        self.writer.add_tensor(f"{name}.weight", data.astype(np.float16))
        if bias:
            self.vector(f"{name}.bias", rows, 0.0)

    def vector(self, name: str, size: int, value: float = 1.0) -> None:
        self.writer.add_tensor(name, np.full(size, value, dtype=np.float32))

    def norm(self, name: str, size: int = _WIDTH, *, bias: bool = True) -> None:
        self.vector(f"{name}.weight", size)
        if bias:
            self.vector(f"{name}.bias", size, 0.0)

    def patch_conv(self, patch: int, *, second: bool = False, bias: bool = True) -> None:
        """The patch embedding: a `patch` x `patch` convolution (Qwen-VL: two, for video frames)."""
        for name in ("v.patch_embd.weight", "v.patch_embd.weight.1")[: 2 if second else 1]:
            data = self.rng.standard_normal((_WIDTH, 3, patch, patch)) / np.sqrt(3 * patch * patch)
            self.writer.add_tensor(name, data.astype(np.float16))
        if bias:
            self.vector("v.patch_embd.bias", _WIDTH, 0.0)

    def positions(self, count: int) -> None:
        data = self.rng.standard_normal((count, _WIDTH)) * 0.1
        self.writer.add_tensor("v.position_embd.weight", data.astype(np.float32))

    def blocks(self, *, fused_qkv: bool = False, gated: bool = False, norm_bias: bool = True) -> None:
        for block in range(_BLOCKS):
            name = f"v.blk.{block}"
            if fused_qkv:
                self.matrix(f"{name}.attn_qkv", 3 * _WIDTH, _WIDTH)
            else:
                for part in ("attn_q", "attn_k", "attn_v"):
                    self.matrix(f"{name}.{part}", _WIDTH, _WIDTH)
            self.matrix(f"{name}.attn_out", _WIDTH, _WIDTH)
            self.norm(f"{name}.ln1", bias=norm_bias)
            self.norm(f"{name}.ln2", bias=norm_bias)
            if gated:
                self.matrix(f"{name}.ffn_gate", _FFN, _WIDTH)
            self.matrix(f"{name}.ffn_up", _FFN, _WIDTH)
            self.matrix(f"{name}.ffn_down", _WIDTH, _FFN)

    def close(self) -> None:
        self.writer.write_header_to_file()
        self.writer.write_kv_data_to_file()
        self.writer.write_tensors_to_file()
        self.writer.close()


def _gemma3(p: _Projector) -> None:
    """SigLIP at 896 px (64x64 patches), 4x4 average pool, soft-embedding norm, projection."""
    p.keys(image_size=896, patch_size=14, mean=[0.5] * 3, std=[0.5] * 3)
    p.patch_conv(14)
    p.positions(64 * 64)
    p.blocks()
    p.norm("v.post_ln")
    data = p.rng.standard_normal((_WIDTH, TEXT_WIDTH)) / np.sqrt(_WIDTH)
    p.writer.add_tensor("mm.input_projection.weight", data.astype(np.float16))  # ggml [text, vit]
    p.vector("mm.soft_emb_norm.weight", _WIDTH)


def _qwen25vl(p: _Projector) -> None:
    """Two-frame patch convolution, RMS norms, SwiGLU, window attention but in the last
    block, and the 2x2 patch merger (mm.0, mm.2)."""
    p.keys(image_size=560, patch_size=14, mean=_CLIP_MEAN, std=_CLIP_STD, activation="silu",
           extra={"n_wa_pattern": _BLOCKS})
    p.patch_conv(14, second=True, bias=False)
    p.blocks(gated=True, norm_bias=False)
    p.norm("v.post_ln", bias=False)
    p.matrix("mm.0", 4 * _WIDTH, 4 * _WIDTH)
    p.matrix("mm.2", TEXT_WIDTH, 4 * _WIDTH)


def _qwen3vl(p: _Projector) -> None:
    """Learned positions resized to the image, fused QKV, a deepstack merger on the first
    block (its output is a second embedding the text model adds in its first layer)."""
    p.keys(image_size=768, patch_size=16, mean=[0.5] * 3, std=[0.5] * 3,
           extra={"spatial_merge_size": 2, "is_deepstack_layers": [True] + [False] * (_BLOCKS - 1)})
    p.patch_conv(16, second=True)
    p.positions(48 * 48)
    p.blocks(fused_qkv=True)
    p.norm("v.deepstack.0.norm", 4 * _WIDTH)
    p.matrix("v.deepstack.0.fc1", 4 * _WIDTH, 4 * _WIDTH)
    p.matrix("v.deepstack.0.fc2", TEXT_WIDTH, 4 * _WIDTH)
    p.norm("v.post_ln")
    p.matrix("mm.0", 4 * _WIDTH, 4 * _WIDTH)
    p.matrix("mm.2", TEXT_WIDTH, 4 * _WIDTH)


def _idefics3(p: _Projector) -> None:
    """SmolVLM2 256M/500M's geometry: 512 px tiles of 32x32 patches, pixel shuffle by 4
    (64 tokens a tile), images resized to 2048 px on their longest side."""
    p.keys(image_size=512, patch_size=16, mean=[0.5] * 3, std=[0.5] * 3,
           extra={"projector.scale_factor": 4, "preproc_image_size": 2048})
    p.patch_conv(16)
    p.positions(32 * 32)
    p.blocks()
    p.norm("v.post_ln")
    p.matrix("mm.model.fc", TEXT_WIDTH, 16 * _WIDTH, bias=False)


def _llama4(p: _Projector) -> None:
    """336 px tiles (24x24 patches and a class token, 2D RoPE), pixel shuffle by 2
    (144 tokens a tile), a two-layer GELU adapter and the projection to the text model."""
    p.keys(image_size=336, patch_size=14, mean=[0.5] * 3, std=[0.5] * 3, extra={"projector.scale_factor": 2})
    data = p.rng.standard_normal((_WIDTH, 3 * 14 * 14)) / np.sqrt(3 * 14 * 14)
    p.writer.add_tensor("v.patch_embd.weight", data.astype(np.float16))  # an unfolded convolution
    p.writer.add_tensor("v.class_embd", (p.rng.standard_normal(_WIDTH) * 0.1).astype(np.float32))
    p.positions(24 * 24 + 1)
    p.norm("v.pre_ln")
    p.blocks()
    p.norm("v.post_ln")
    p.matrix("mm.model.mlp.1", 2 * _WIDTH, 4 * _WIDTH, bias=False)
    p.matrix("mm.model.mlp.2", 2 * _WIDTH, 2 * _WIDTH, bias=False)
    p.matrix("mm.model.fc", TEXT_WIDTH, 2 * _WIDTH, bias=False)


# The text model's architecture is the one Hearth's pairing rules (and the real GGUFs) expect.
_FAMILIES: dict[str, tuple[str, Callable[[_Projector], None], TextSpec]] = {
    "gemma3": ("gemma3", _gemma3, TextSpec(
        "gemma3", ("<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>",
                   "<end_of_image>"),
        eos="<end_of_turn>", bos="<bos>", chat_template=_GEMMA, qk_norm=True, post_norms=True,
        kv={"attention.sliding_window": 512})),
    "qwen2.5-vl": ("qwen2.5vl_merger", _qwen25vl, TextSpec(
        "qwen2vl", _QWEN_SPECIALS, eos="<|im_end|>", chat_template=_CHATML, qkv_bias=True,
        kv={"rope.dimension_sections": [2, 3, 3, 0]})),
    "qwen3-vl": ("qwen3vl_merger", _qwen3vl, TextSpec(
        "qwen3vl", _QWEN_SPECIALS, eos="<|im_end|>", chat_template=_CHATML, qk_norm=True,
        kv={"rope.dimension_sections": [2, 3, 3, 0], "n_deepstack_layers": 1})),
    "idefics3": ("idefics3", _idefics3, TextSpec(
        "llama", ("<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>", "<global-img>", "<image>",
                  *(f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7))),
        eos="<end_of_utterance>", chat_template=_SMOLVLM)),
    "llama4": ("llama4", _llama4, TextSpec(
        "llama4", ("<|begin_of_text|>", "<|eot|>", "<|header_start|>", "<|header_end|>", "<|image_start|>",
                   "<|image_end|>", "<|image|>", "<|patch|>", "<|tile_x_separator|>", "<|tile_y_separator|>"),
        # four blocks: the fourth is one without RoPE (llama.cpp leaves an input unset without one)
        eos="<|eot|>", bos="<|begin_of_text|>", chat_template=_LLAMA4, experts=2, blocks=4,
        kv={"expert_count": 2, "expert_used_count": 1, "expert_feed_forward_length": 128,
            "interleave_moe_layer_step": 2})),
}
FAMILIES = tuple(_FAMILIES)


def write_family_pair(family: str, folder: Path, *, seed: int = 0) -> tuple[Path, Path]:
    """Write `family`'s tiny text model and projector into `folder`; returns their paths
    (model, mmproj). Each file appears whole (written to a `.part`, then renamed)."""
    if family not in _FAMILIES:
        raise ValueError(f"unknown vision family {family!r}; known: {', '.join(FAMILIES)}")
    projector_type, build, text = _FAMILIES[family]
    folder.mkdir(parents=True, exist_ok=True)
    model = write_text_model(folder / f"tiny-{family}.gguf", text, seed=seed)
    mmproj = folder / f"mmproj-tiny-{family}.gguf"
    with written_whole(mmproj) as part:
        projector = _Projector(part, projector_type, seed)
        build(projector)
        projector.close()
    return model, mmproj
