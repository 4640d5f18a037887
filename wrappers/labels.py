"""Labels encoder: [rows, 32] label token ids -> [rows, hidden] label embeddings, as upstream encode_labels (rows:
config.max_types, or the bulk graph's 128); and the prompt MLP: label embeddings -> the prompt vectors span
representations are scored against."""

from __future__ import annotations

import torch
from torch import nn

from common.variants import LABEL_TOKENS
from upstream import adapter
from wrappers.masks import key_padding_bias


class LabelsEncoderWrapper(nn.Module):
    """Restates BiEncoder.encode_labels (gliner/modeling/encoder.py): encoder, projection, masked mean.

    For BERT encoders the embedding sum is restated (BertEmbeddings.forward, same addition order) with the
    position and token-type rows of the 32 static positions kept as small buffers: the 512-row position
    table and the unused pooler stay out of the file.
    """

    def __init__(self, model, label_tokens: int = LABEL_TOKENS):
        """`model`: a loaded gliner bi-encoder span model (the GLiNER object)."""
        super().__init__()
        self.model = adapter.labels_backbone(model)
        self.projection = adapter.labels_projection(model)
        self.is_bert = self.model.config.model_type == "bert"
        if self.is_bert:
            emb = self.model.embeddings
            self.word_embeddings = emb.word_embeddings
            self.layer_norm = emb.LayerNorm
            self.register_buffer("type_row", emb.token_type_embeddings.weight[0].detach().clone(), persistent=False)
            self.register_buffer("pos_rows", emb.position_embeddings.weight[:label_tokens].detach().clone(), persistent=False)

    def encode(self, input_ids, attention_mask):
        # A 4-D additive mask: no boolean SDPA mask (NaN on rows with no valid key after conversion).
        bias = key_padding_bias(attention_mask)
        if not self.is_bert:
            return self.model(input_ids=input_ids, attention_mask=bias).last_hidden_state
        hidden = (self.word_embeddings(input_ids) + self.type_row) + self.pos_rows
        hidden = self.layer_norm(hidden)
        return self.model.encoder(hidden, attention_mask=bias).last_hidden_state

    def forward(self, input_ids, attention_mask):
        hidden = self.encode(input_ids, attention_mask)
        if self.projection is not None:
            hidden = self.projection(hidden)
        m = attention_mask.to(hidden.dtype)[:, :, None]
        pooled = (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
        return {"labels_embeds": pooled}


class PromptsWrapper(nn.Module):
    """upstream's prompt_rep_layer (BiEncoderSpanModel.forward applies it to the label embeddings before the
    einsum with the span representations): a graph, so the host never holds weights copied out of the model."""

    def __init__(self, model):
        super().__init__()
        self.prompt_rep = adapter.prompt_rep(model)

    def forward(self, labels_embeds):
        return {"prompts": self.prompt_rep(labels_embeds)}
