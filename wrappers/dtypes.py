"""A graph fed in another dtype than it computes in: the seed files' int64 / float32 inputs, cast on entry."""

from __future__ import annotations

import torch
from torch import nn


class CastInputs(nn.Module):
    """Runs `inner` with every int64 input cast to int32 first; other inputs pass through.

    The wrappers compute with int32 indices (LiteRT's EMBEDDING_LOOKUP and GATHER width). Exported with
    litert-torch's enable_x64=True, only the int64 inputs stay 64-bit: each becomes one builtin CAST, and every
    tensor after it is the same as in the int32 graph (measured: the outputs are bit-identical). A float32
    word_valid_mask needs no cast: the text wrapper multiplies by it as float anyway.
    """

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, **inputs):
        return self.inner(**{n: t.to(torch.int32) if t.dtype == torch.int64 else t for n, t in inputs.items()})
