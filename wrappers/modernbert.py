"""ModernBERT's token encoder at a static S: the backbone's forward with runtime-built masks and rotary tables,
sliding layers on diagonal blocks and global layers in query blocks (all exact)."""

from __future__ import annotations

import torch
from torch import nn

from wrappers import banded, blocked
from wrappers.masks import key_padding_bias, runtime_positions, sliding_window_bias


class ModernBertTokens(nn.Module):
    """ModernBertModel.forward (transformers/models/modernbert/modeling_modernbert.py) for one text at S:
    [1, S] ids and mask -> [1, S, hidden] after the final norm.

    Masks and rotary tables are built from runtime positions (constants would grow the file with S).
    """

    def __init__(self, backbone: nn.Module, seq_len: int, sliding_window: bool = True, banded_attention: bool = True,
                 scores_budget: int | None = blocked.SCORES_BUDGET_BYTES):
        super().__init__()
        self.backbone = backbone
        bcfg = backbone.config
        self.seq_len = seq_len
        # `sliding_window=False` exists only as a negative control for the parity tests.
        self.half_window = bcfg.sliding_window if sliding_window else 10**9
        self.layer_types = list(bcfg.layer_types)
        # Sliding layers on diagonal blocks (wrappers/banded.py) at any S with more than three blocks (the last
        # block padded inside the graph); below that the dense sliding mask is as exact and cheaper.
        self.banded = banded_attention and sliding_window and banded.usable(seq_len, self.half_window)
        # Global layers in query blocks so no tensor holds S x S scores for every head (None: upstream's layer).
        self.global_block = (
            None if scores_budget is None else blocked.query_block(seq_len, bcfg.num_attention_heads, scores_budget)
        )

    def _rotary(self, positions: torch.Tensor, layer_type: str) -> tuple[torch.Tensor, torch.Tensor]:
        """ModernBertRotaryEmbedding.forward, fed runtime positions instead of a constant arange."""
        rot = self.backbone.rotary_emb
        inv_freq = getattr(rot, f"{layer_type}_inv_freq")
        scaling = getattr(rot, f"{layer_type}_attention_scaling")
        freqs = positions[:, :, None] * inv_freq[None, None, :].float()  # [B, S, D/2]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos() * scaling, emb.sin() * scaling

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bb = self.backbone
        hidden = bb.embeddings(input_ids=input_ids)
        pos = runtime_positions(attention_mask)
        masks = {"full_attention": key_padding_bias(attention_mask)}
        if self.banded:
            masks["sliding_attention"] = banded.band_bias(attention_mask, self.half_window)
        else:
            masks["sliding_attention"] = sliding_window_bias(attention_mask, self.half_window)
        rope = {t: self._rotary(pos, t) for t in set(self.layer_types)}
        for layer in bb.layers:
            kind = layer.attention_type
            if self.banded and kind == "sliding_attention":
                hidden = banded.banded_layer(layer, hidden, *rope[kind], masks[kind], self.half_window)
            elif kind == "full_attention" and self.global_block is not None and self.global_block < self.seq_len:
                hidden = blocked.blocked_global_layer(layer, hidden, *rope[kind], masks[kind], self.global_block)
            else:
                hidden = layer(hidden, attention_mask=masks[kind], position_embeddings=rope[kind])
        return bb.final_norm(hidden)
