"""torch.cat / torch.stack as concatenations the XNNPACK delegate runs: at most five inputs each, low rank.

XNNPACK takes a CONCATENATION of 2 to 5 inputs; one with more stays on TFLite's builtin kernel and cuts the graph
into two delegate partitions. Everything a partition outputs is alive when it returns, so a wide concatenation
after a loop keeps all of its inputs alive at once: the span head's 12-way stacks of shifted slices (seven chunks
of them) made the S=4096 int8 text graph's arena +550 MiB under XNNPACK against +290 MiB on the builtin kernels
(measured with the Interpreter on base-random).

So wide concatenations are done in levels of at most five inputs. The converter folds a concatenation of
concatenations along one axis back into a single wide one, so each level first reshapes its inputs, alternating
between [prefix, rows, rest] and [prefix, rows * rest] (`prefix` the dims before `dim`, `rest` the product of those
after it): concatenating along `dim` means the same in both forms (each prefix's rows are contiguous), no reshape
is the identity of the one before, and no tensor gets a higher rank than its parts (XNNPACK takes at most 6 dims:
stacking levels on new axes made 7 at S=8192 and LiteRT failed to delegate them).
"""

from __future__ import annotations

import math

import torch

# Inputs per CONCATENATION the TFLite XNNPACK delegate accepts (measured: 5 delegated, 6 not).
MAX_INPUTS = 5


def cat(parts: list[torch.Tensor], dim: int) -> torch.Tensor:
    """torch.cat(parts, dim) (dim >= 0), every CONCATENATION with at most MAX_INPUTS inputs."""
    if len(parts) <= MAX_INPUTS:
        return torch.cat(parts, dim) if len(parts) > 1 else parts[0]
    prefix, rest = tuple(parts[0].shape[:dim]), tuple(parts[0].shape[dim + 1 :])
    inner = math.prod(rest)
    rows = sum(p.shape[dim] for p in parts)
    flat = False
    while len(parts) > 1:
        parts = [p.reshape(*prefix, -1) if flat else p.reshape(*prefix, -1, inner) for p in parts]
        parts = [torch.cat(parts[i : i + MAX_INPUTS], dim) if len(parts) - i > 1 else parts[i]
                 for i in range(0, len(parts), MAX_INPUTS)]
        flat = not flat
    return parts[0].reshape(*prefix, rows, *rest)


def stack(parts: list[torch.Tensor], dim: int) -> torch.Tensor:
    """torch.stack(parts, dim) (equal shapes, dim >= 0), every CONCATENATION with at most MAX_INPUTS inputs."""
    return cat([p.unsqueeze(dim) for p in parts], dim)
