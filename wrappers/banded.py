"""Sliding-window attention computed on diagonal blocks: O(S * window) instead of O(S^2), same function.

ModernBERT's sliding layers let query q see keys with |q - k| <= w (w = local_attention // 2). Cut the
sequence into blocks of w tokens: every key a query of block b may see lies in blocks b-1, b, b+1. So each
query block attends to 3w keys instead of S. Keys outside the window or padded get the same additive NEG as
the dense mask, so the softmax (and the output) is the dense one up to float32 summation order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers.models.modernbert.modeling_modernbert import apply_rotary_pos_emb

from wrappers.masks import NEG, runtime_positions


def num_blocks(seq_len: int, half_window: int) -> int:
    """Blocks of `half_window` tokens covering S; the last is padded inside the graph when w does not divide S."""
    return -(-seq_len // half_window)


def usable(seq_len: int, half_window: int) -> bool:
    """Worth it when there are more than three blocks: with three or fewer, each block's 3w keys are at least
    S, and the dense form (same function, exact too) is cheaper."""
    return half_window > 0 and num_blocks(seq_len, half_window) > 3


def _pad_rows(x: torch.Tensor, rows: int) -> torch.Tensor:
    """[..., S, D] -> [..., S + rows, D] with zero rows at the end (no-op for rows == 0)."""
    return F.pad(x, (0, 0, 0, rows)) if rows else x


def _blocks3(x: torch.Tensor, w: int) -> torch.Tensor:
    """[..., S, D] -> [..., S/w, 3w, D]: for block b, rows of blocks b-1, b, b+1 (zero rows past the ends)."""
    s = x.shape[-2]
    n = s // w
    pad = F.pad(x, (0, 0, w, w))
    parts = [pad[..., i * w : i * w + s, :].reshape(*x.shape[:-2], n, w, x.shape[-1]) for i in range(3)]
    return torch.cat(parts, dim=-2)


def band_bias(attention_mask: torch.Tensor, w: int) -> torch.Tensor:
    """[B, S] -> [B, 1, n, w, 3w] additive bias (n = ceil(S/w)): NEG unless the key exists, is valid and
    |q - k| <= w. Padding rows past S are invalid keys."""
    pad = num_blocks(attention_mask.shape[-1], w) * w - attention_mask.shape[-1]
    if pad:
        attention_mask = F.pad(attention_mask, (0, pad))
    pos = runtime_positions(attention_mask)  # [B, S]
    b, s = pos.shape
    n = s // w
    q = pos.reshape(b, n, w)[..., :, None]  # [B, n, w, 1]
    # Key positions of the 3 blocks, built from runtime positions (no S-sized constants): block b-1 is
    # block b shifted by -w, and so on; existence of a key comes from the zero-padded validity.
    k = torch.cat([pos.reshape(b, n, w) + float(d * w) for d in (-1, 0, 1)], dim=-1)[:, :, None, :]  # [B, n, 1, 3w]
    valid = _blocks3((attention_mask > 0).to(torch.float32)[:, :, None], w)[..., 0]  # [B, n, 3w]
    keep = (torch.abs(q - k) <= float(w)) & (valid[:, :, None, :] > 0)
    return torch.where(keep, torch.zeros((), dtype=torch.float32), torch.full((), NEG))[:, None]


def rotary_qkv(attn, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
    """ModernBertAttention.forward up to the attention itself: Wqkv, heads, rotary. -> q, k, v [B, H, S, D]."""
    b, s, _ = x.shape
    q, k, v = attn.Wqkv(x).view(b, s, 3, attn.config.num_attention_heads, attn.head_dim).unbind(dim=2)
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    q, k = apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim=1)
    return q, k, v


def banded_layer(layer, hidden: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, bias: torch.Tensor, w: int):
    """ModernBertEncoderLayer.forward (eval) with its attention computed on blocks."""
    attn = layer.attn
    b, s, _ = hidden.shape
    n = num_blocks(s, w)
    pad = n * w - s  # zero rows so blocks tile the sequence; they are masked as keys and cut as queries
    x = _pad_rows(layer.attn_norm(hidden), pad)
    cos, sin = _pad_rows(cos, pad), _pad_rows(sin, pad)
    q, k, v = rotary_qkv(attn, x, cos, sin)  # [B, H, S', D]
    heads, d = q.shape[1], q.shape[3]
    qb = q.reshape(b, heads, n, w, d)
    scores = qb @ _blocks3(k, w).transpose(-1, -2) * (d**-0.5) + bias  # [B, H, n, w, 3w]
    probs = torch.softmax(scores, dim=-1)
    out = (probs @ _blocks3(v, w)).reshape(b, heads, n * w, d).transpose(1, 2).reshape(b, n * w, heads * d)
    hidden = hidden + attn.out_drop(attn.Wo(out[:, :s]))
    return hidden + layer.mlp(layer.mlp_norm(hidden))
