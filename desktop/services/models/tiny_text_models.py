"""Write tiny random-weight language models (the text half of a vision test pair).

Each vision family needs a text model of the architecture libmtmd pairs it with
(gemma3, qwen2vl with M-RoPE, qwen3vl with deepstack inputs, llama, llama4 with
experts). Real ones are gigabytes; these are a few hundred kilobytes, load in
milliseconds and run a 4,000-token image prompt in a second on two cores, so
every image path (tiling, M-RoPE positions, non-causal image attention) can be
tested through the real engine. The answers are meaningless, but greedy ones are
deterministic and depend on every token and image embedding of the prompt.

The vocabulary is byte-level BPE (GPT-2 style: one token per byte, a merge for
"\\n\\n") plus the family's special tokens, so libmtmd finds the image markers
it looks up by text (`<start_of_image>`, `<fake_token_around_image>`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, TokenType

from desktop.services.models.model_files import written_whole

__all__ = ["TEXT_WIDTH", "TextSpec", "write_text_model"]

_WIDTH = 64
TEXT_WIDTH = _WIDTH  # what the projectors must produce
_HEADS = 4
_HEAD_DIM = 16
_KV_HEADS = 2
_FFN = 128
_BLOCKS = 2


@dataclass(frozen=True)
class TextSpec:
    """What differs between the families' language models."""

    arch: str
    specials: tuple[str, ...]  # control tokens, after the 256 byte tokens
    eos: str
    chat_template: str
    bos: str | None = None  # added at the start of a prompt when set
    kv: dict[str, object] = field(default_factory=dict)  # more `{arch}.` keys
    qkv_bias: bool = False
    qk_norm: bool = False
    post_norms: bool = False  # Gemma's norms after attention and feed-forward
    experts: int = 0  # llama4: every second block is a mixture of experts (and a shared one)
    blocks: int = _BLOCKS


def _byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode map: token i is byte i, as a printable character."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def write_text_model(path: Path, spec: TextSpec, *, seed: int = 0) -> Path:
    """Write `spec`'s tiny model to `path` (via a `.part` file, so it appears whole)."""
    with written_whole(path) as part:
        _write(part, spec, seed)
    return path


def _write(part: Path, spec: TextSpec, seed: int) -> None:
    rng = np.random.default_rng(seed)
    newline = _byte_tokens()[ord("\n")]
    tokens = [*_byte_tokens(), newline * 2, *spec.specials]
    types = [TokenType.NORMAL] * 257 + [TokenType.CONTROL] * len(spec.specials)
    arch = spec.arch

    def matrix(rows: int, cols: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale / np.sqrt(cols)).astype(np.float16)

    writer = GGUFWriter(str(part), arch=arch)
    writer.add_name(f"Hearth tiny {arch} (random weights)")
    writer.add_context_length(32768)
    writer.add_embedding_length(_WIDTH)
    writer.add_block_count(spec.blocks)
    writer.add_feed_forward_length(_FFN)
    writer.add_head_count(_HEADS)
    writer.add_head_count_kv(_KV_HEADS)
    writer.add_key_length(_HEAD_DIM)
    writer.add_value_length(_HEAD_DIM)
    writer.add_rope_dimension_count(_HEAD_DIM)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    for key, value in spec.kv.items():
        if isinstance(value, list):
            writer.add_array(f"{arch}.{key}", value)
        else:
            writer.add_uint32(f"{arch}.{key}", int(value))  # every extra key here is a count
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([f"{newline} {newline}"])
    writer.add_eos_token_id(tokens.index(spec.eos))
    writer.add_add_bos_token(spec.bos is not None)
    if spec.bos is not None:
        writer.add_bos_token_id(tokens.index(spec.bos))
    writer.add_chat_template(spec.chat_template)

    ones = np.ones(_WIDTH, dtype=np.float32)
    writer.add_tensor("token_embd.weight", rng.standard_normal((len(tokens), _WIDTH)).astype(np.float16))
    writer.add_tensor("output_norm.weight", ones)
    # Untied from token_embd: a tied random model mostly repeats the token it was given.
    writer.add_tensor("output.weight", rng.standard_normal((len(tokens), _WIDTH)).astype(np.float16))
    q_width, kv_width = _HEADS * _HEAD_DIM, _KV_HEADS * _HEAD_DIM
    for block in range(spec.blocks):
        name = f"blk.{block}."
        writer.add_tensor(name + "attn_norm.weight", ones)
        writer.add_tensor(name + "attn_q.weight", matrix(q_width, _WIDTH))
        writer.add_tensor(name + "attn_k.weight", matrix(kv_width, _WIDTH))
        writer.add_tensor(name + "attn_v.weight", matrix(kv_width, _WIDTH))
        writer.add_tensor(name + "attn_output.weight", matrix(_WIDTH, q_width, 2.0))
        if spec.qkv_bias:
            for part_name, width in (("q", q_width), ("k", kv_width), ("v", kv_width)):
                writer.add_tensor(f"{name}attn_{part_name}.bias", np.zeros(width, dtype=np.float32))
        if spec.qk_norm:
            writer.add_tensor(name + "attn_q_norm.weight", np.ones(_HEAD_DIM, dtype=np.float32))
            writer.add_tensor(name + "attn_k_norm.weight", np.ones(_HEAD_DIM, dtype=np.float32))
        if spec.post_norms:  # as large as the scaled token embeddings, so the context counts
            writer.add_tensor(name + "post_attention_norm.weight", (ones * np.sqrt(_WIDTH)).astype(np.float32))
            writer.add_tensor(name + "post_ffw_norm.weight", ones)
        writer.add_tensor(name + "ffn_norm.weight", ones)
        if spec.experts and block % 2 == 1:
            n = spec.experts
            writer.add_tensor(name + "ffn_gate_inp.weight", matrix(n, _WIDTH).astype(np.float32))
            for kind, shape in (("gate", (_FFN, _WIDTH)), ("up", (_FFN, _WIDTH)), ("down", (_WIDTH, _FFN))):
                writer.add_tensor(f"{name}ffn_{kind}_exps.weight", np.stack([matrix(*shape) for _ in range(n)]))
                writer.add_tensor(f"{name}ffn_{kind}_shexp.weight", matrix(*shape))
        else:
            writer.add_tensor(name + "ffn_gate.weight", matrix(_FFN, _WIDTH))
            writer.add_tensor(name + "ffn_up.weight", matrix(_FFN, _WIDTH))
            writer.add_tensor(name + "ffn_down.weight", matrix(_WIDTH, _FFN))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

