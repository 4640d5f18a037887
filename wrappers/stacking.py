"""torch.stack as concatenations the XNNPACK delegate runs: at most five inputs each.

XNNPACK takes a CONCATENATION of 2 to 5 inputs; one with more stays on TFLite's builtin kernel and cuts the graph
into two delegate partitions. Everything a partition outputs is alive when it returns, so a wide concatenation
after a loop keeps all of its inputs alive at once: the span head's 12-way stacks of shifted slices (seven chunks
of them) made the S=4096 int8 text graph's arena +550 MiB under XNNPACK against +290 MiB on the builtin kernels
(measured with the Interpreter on base-random). The converter folds a concatenation of concatenations along one
axis back into a single wide one, so groups are stacked on a new axis (a reshape between the two levels) instead.
"""

from __future__ import annotations

import torch

# Inputs per CONCATENATION the TFLite XNNPACK delegate accepts (measured: 5 delegated, 6 not).
MAX_INPUTS = 5


def stack(parts: list[torch.Tensor], dim: int) -> torch.Tensor:
    """torch.stack(parts, dim) (equal shapes, dim >= 0), every CONCATENATION with at most MAX_INPUTS inputs."""
    n = len(parts)
    if n <= MAX_INPUTS:
        return torch.cat([p.unsqueeze(dim) for p in parts], dim) if n > 1 else parts[0].unsqueeze(dim)
    factor = next((f for f in range(MAX_INPUTS, 1, -1) if n % f == 0), None)
    if factor is None:  # a prime above MAX_INPUTS: the first n - 1 (even) on the grid, then the last one
        return torch.cat([stack(parts[:-1], dim), parts[-1].unsqueeze(dim)], dim)
    groups = [stack(parts[i : i + factor], dim) for i in range(0, n, factor)]  # each [..., factor, ...] at dim
    return stack(groups, dim).flatten(dim, dim + 1)  # [..., n / factor, factor, ...] -> [..., n, ...]
