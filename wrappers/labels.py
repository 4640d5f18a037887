"""Labels encoder: [25, 32] label token ids -> [25, hidden] label embeddings, as upstream encode_labels."""

from __future__ import annotations

import torch
from torch import nn

from wrappers.masks import key_padding_bias


class LabelsEncoderWrapper(nn.Module):
    """Restates BiEncoder.encode_labels (gliner/modeling/encoder.py): encoder, projection, masked mean."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        enc = inner.token_rep_layer
        if getattr(enc, "labels_encoder", None) is None:
            raise ValueError("model has no labels encoder: not a bi-encoder")
        self.encoder = enc.labels_encoder.model
        self.projection = getattr(enc, "labels_projection", None)

    def forward(self, input_ids, attention_mask):
        # A 4-D additive mask is passed through as is by transformers' mask utilities: no boolean SDPA mask.
        bias = key_padding_bias(attention_mask)
        hidden = self.encoder(input_ids=input_ids, attention_mask=bias).last_hidden_state
        if self.projection is not None:
            hidden = self.projection(hidden)
        m = attention_mask.to(hidden.dtype)[:, :, None]
        pooled = (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
        return {"labels_embeds": pooled}
