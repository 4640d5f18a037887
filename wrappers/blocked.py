"""ModernBERT's global-attention layers computed in query blocks: exact, with no S x S tensor for all heads.

A global layer's attention is softmax(q k^T / sqrt(d) + key padding) v. Each query row's softmax needs only
its own row of scores, so computing the rows in blocks of `block` queries gives the same function (up to
float32 summation order) while the largest live tensor is [B, H, block, S] instead of [B, H, S, S]: at S = 8192
with 12 heads that is 12 x 8192^2 x 4 bytes = 3.2 GB per tensor dense, 100 MB per block of 256 rows. The
converted graph runs the blocks one after another, and LiteRT's arena reuses one block's buffers for the next.
"""

from __future__ import annotations

import torch

from wrappers.banded import rotary_qkv
from wrappers.stacking import cat

# The scores of one block (and their softmax, alive at the same time) stay under this many bytes each.
SCORES_BUDGET_BYTES = 1 << 27  # 128 MiB


def query_block(seq_len: int, heads: int, budget: int = SCORES_BUDGET_BYTES) -> int:
    """Queries per block: S itself when the whole [heads, S, S] float32 score matrix fits `budget`, else S / n
    for the smallest power of two n that fits it, with at least 64 rows per block: whole blocks of S (a multiple
    of 64), as few as fit (each block is ~20 ops, and XNNPACK's per-op overhead counts at S=8192)."""
    if heads * seq_len * seq_len * 4 <= budget:
        return seq_len
    n = 2
    while seq_len % (2 * n) == 0 and seq_len // (2 * n) >= 64 and (seq_len // n) * heads * seq_len * 4 > budget:
        n *= 2
    return seq_len // n


def blocked_global_layer(layer, hidden: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, bias: torch.Tensor,
                         block: int) -> torch.Tensor:
    """ModernBertEncoderLayer.forward (eval) of a global layer, its attention computed `block` queries at a time.

    `bias` is the [B, 1, 1, S] additive key-padding bias (wrappers.masks.key_padding_bias).
    """
    attn = layer.attn
    x = layer.attn_norm(hidden)
    b, s, _ = x.shape
    q, k, v = rotary_qkv(attn, x, cos, sin)  # [B, H, S, D]
    # The scale and the key-padding bias go into the matmul instead of two passes over every block's scores
    # (S=8192 int8 graph 10.0 -> 8.5 s, the dense form's 8.6; the MUL alone was 0.96 s in scripts/profile_ops.py):
    # q is scaled once (by 1/8 at head_dim 64, a power of two: exact), and a column of ones in q meets the bias as
    # a column of k, so q1 . k1 = scale q . k + bias. Upstream adds the same NEG (wrappers.masks), so a padded key
    # still softmaxes to 0 (NEG + any score rounds to NEG: no overflow to -inf). The ones come from the bias (0 or
    # NEG, so <= 0 everywhere), not ones_like: that would be an S-sized constant in the file.
    heads = q.shape[1]
    col = bias.transpose(-1, -2)  # [B, 1, S, 1]
    ones = (col <= 0).to(q.dtype).expand(b, heads, s, 1)
    q1 = torch.cat([q * attn.head_dim**-0.5, ones], dim=-1)  # [B, H, S, D + 1]
    k1 = torch.cat([k, col.expand(b, heads, s, 1)], dim=-1)  # [B, H, S, D + 1]
    kt = k1.transpose(-1, -2)
    outs = [torch.softmax(q1[:, :, i : i + block] @ kt, dim=-1) @ v for i in range(0, s, block)]
    out = cat(outs, dim=2)  # [B, H, S, D], in concatenations XNNPACK runs (wrappers/stacking.py)
    out = out.transpose(1, 2).reshape(b, s, -1)
    hidden = hidden + attn.out_drop(attn.Wo(out))
    return hidden + layer.mlp(layer.mlp_norm(hidden))
