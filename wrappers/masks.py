"""Additive attention biases built inside the graph from position comparisons."""

from __future__ import annotations

import torch

# An additive large negative, not -inf and not a boolean mask: a padded query row whose window holds no
# valid key then softmaxes to a finite uniform row instead of NaN. (Boolean SDPA masks converted, but the
# .tflite softmaxed such rows over only -inf and the NaN spread to every row.) Valid rows never see it.
# -1e4, not finfo(float32).min (upstream transformers' value): the mask must survive fp16, where LiteRT's GPU
# accelerator computes by default. finfo(float32).min is -inf in fp16, so a padded query row (every key masked)
# softmaxes over only -inf, its NaN reaches the valid rows through the next layer's attention (0 weight x NaN value)
# and the span graphs gave NaN logits on the GPU (validate.gpu, docs/PHONE.md). -1e4 is exact in fp16 (max 65504),
# and float32 outputs are unchanged: a masked key's weight exp(score - 1e4 - max) underflows to exactly 0 (below
# exp(-104)) unless raw attention scores differ by ~1e4, so valid rows see the same softmax as with upstream's mask;
# only the padded rows (never read) differ. BERT's extended attention mask used -10000.0 for the same job.
NEG = -1e4


def runtime_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """0..S-1 as float, computed from an input so the converter cannot fold S x S grids into constants.

    `ones_like` alone depends only on the static shape and was folded (a [1, S, S] constant in the file);
    `mask >= 0` is true for every entry but depends on the input's values, so it stays a runtime op.
    """
    ones = (attention_mask >= 0).to(torch.float32)
    return torch.cumsum(ones, dim=-1) - 1.0


def key_padding_bias(attention_mask: torch.Tensor) -> torch.Tensor:
    """[B, S] 0/1 -> [B, 1, 1, S]: NEG where the key is padding."""
    keep = attention_mask[:, None, None, :] > 0
    return torch.where(keep, torch.zeros((), dtype=torch.float32), torch.full((), NEG))


def sliding_window_bias(attention_mask: torch.Tensor, half_window: int) -> torch.Tensor:
    """[B, S] -> [B, 1, S, S]: NEG unless the key is valid and |q - k| <= half_window.

    Mirrors transformers' sliding_window_bidirectional_overlay (masking_utils.py) with ModernBERT's
    config.sliding_window = local_attention // 2. One select, so NEG is never added to NEG (-inf).
    """
    pos = runtime_positions(attention_mask)  # [B, S]
    dist = torch.abs(pos[:, :, None] - pos[:, None, :])  # [B, S, S]
    keep = (dist <= float(half_window)) & (attention_mask[:, None, :] > 0)
    return torch.where(keep, torch.zeros((), dtype=torch.float32), torch.full((), NEG))[:, None]
