"""DeBERTa-v2/v3's token encoder at a static S: disentangled attention with the relative-position buckets of S
built at export, each layer's position scores computed per relative distance and shifted into place with
reshapes and slices (no torch.gather, no S x S index)."""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn
from transformers.models.deberta_v2.modeling_deberta_v2 import build_relative_position

from wrappers.masks import key_padding_bias
from wrappers.shared import OncePerModule


def relative_buckets(seq_len: int, position_buckets: int, max_relative_positions: int) -> torch.Tensor:
    """[S, S] int64: the (log-bucketed) relative position q - k of every query/key pair, as upstream's
    DebertaV2Encoder.get_rel_pos computes it for a sequence of S tokens. A function of S and the config only,
    so a constant of the graph; upstream's own function, fed placeholders of the right length."""
    probe = torch.zeros(seq_len, 1)
    return build_relative_position(probe, probe, bucket_size=position_buckets, max_position=max_relative_positions)[0]


def distance_rows(rel: torch.Tensor, att_span: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of the position tables for every relative distance of S tokens, [2S - 1] int64 each: entry m is the
    row for distance S - 1 - m, for c2p (pos_key, q - k) and p2c (pos_query, k - q), clamped into the 2 span-row
    table exactly as upstream clamps c2p_pos = clamp(rel + span) and p2c_pos = clamp(-rel + span)
    (DisentangledSelfAttention.disentangled_attention_bias)."""
    s = rel.shape[0]
    d = s - 1 - torch.arange(2 * s - 1)
    bucket = torch.where(d >= 0, rel[d.clamp(min=0), 0], rel[0, (-d).clamp(min=0)])  # rel[i, j] = bucket(i - j)
    return torch.clamp(bucket + att_span, 0, 2 * att_span - 1), torch.clamp(-bucket + att_span, 0, 2 * att_span - 1)


def skew(t: torch.Tensor) -> torch.Tensor:
    """[H, S, 2S - 1] scores by relative distance (column m: distance S - 1 - m) -> [H, S, S] scores by key:
    out[h, i, j] = t[h, i, j - i + S - 1], Transformer-XL's relative shift with reshapes and slices only.
    Flattened, that entry is t's (S - 1) + i * (2S - 2) + j: a window of the flat row read with stride 2S - 2."""
    h, s, w = t.shape
    flat = t.reshape(h, s * w)[:, s - 1 : s - 1 + s * (w - 1)]
    return flat.reshape(h, s, w - 1)[:, :, :s]


class PositionTables(OncePerModule):
    """Every layer's projected relative-position table, stacked: pos_key (c2p) and pos_query (p2c), each
    [layers * 2 span, heads * head_dim], made once per backbone in eager PyTorch with upstream's own modules
    (the layer-normed rel_embeddings through key_proj / query_proj, or pos_key_proj / pos_query_proj).

    They depend on weights only. Left in the graph, the converter folded them into constants, and at full size
    (768 wide, 512 rows) the folded constants came out truncated ("Tensor 16 is invalidly specified in schema"
    when loading the file). As buffers of one instance shared by every wrapper of a model, they are ordinary
    constants that a multi-signature export stores once (as FusedHeadWeights in wrappers/text.py).
    """

    @torch.no_grad()
    def __init__(self, backbone: nn.Module):
        super().__init__()
        att = backbone.encoder.layer[0].attention.self
        span = att.pos_ebd_size
        rel_emb = backbone.encoder.get_rel_embedding()[None, : 2 * span]  # upstream slices the same rows
        shared = bool(att.share_att_key)
        for kind, proj in (("c2p", "key_proj" if shared else "pos_key_proj"),
                           ("p2c", "query_proj" if shared else "pos_query_proj")):
            if kind in att.pos_att_type:
                tables = [getattr(layer.attention.self, proj)(rel_emb)[0] for layer in backbone.encoder.layer]
                self.register_buffer(kind, torch.cat(tables).detach().contiguous(), persistent=False)


class DebertaV2Tokens(nn.Module):
    """DebertaV2Model.forward (transformers/models/deberta_v2/modeling_deberta_v2.py) for one text at S:
    [1, S] ids and mask -> [1, S, hidden] (the last layer's output, as gliner reads it).

    Restated: each layer's DisentangledSelfAttention (content-to-content, c2p and p2c scores, each divided by
    sqrt(head_dim * (1 + number of position terms)) as upstream); the rest runs through the layer's own
    submodules (embeddings with their mask multiply, SelfOutput, Intermediate, Output).

    Replaced, for export: upstream scores every query against all 2 span position rows and picks each key's
    with torch.gather by the bucketed relative position (GATHER_ND with [S, S]-sized constant index grids, a
    builtin kernel XNNPACK does not take: 45% of the tiny S=256 graph's time with a flat S*S index). Here each
    layer's table is first expanded to one row per relative distance (2S - 1 rows, chosen by the buckets of S,
    constants computed at export), so q against those rows is [H, S, 2S - 1] and `skew` shifts row i by i into
    [H, S, S]. The expansion of all layers' tables is one lookup per kind per graph (the index made
    input-dependent, else the converter folds 2 x layers x [2S - 1, hidden] constants into every bucket). The
    scores are the same products as upstream's, summed in the same order.
    Upstream's boolean outer-product mask becomes the repo's additive key-padding bias (wrappers/masks.py): the
    same softmax for every valid query row (a masked key's weight is exactly 0 either way), while padded query
    rows, which upstream softmaxes uniformly and nothing downstream reads, attend to the valid keys instead.

    `log_buckets=False` and `p2c=False` are negative controls for the parity tests only: raw relative positions,
    or the position-to-content term dropped.
    """

    def __init__(self, backbone: nn.Module, seq_len: int, log_buckets: bool = True, p2c: bool = True):
        super().__init__()
        cfg = backbone.config
        if getattr(cfg, "conv_kernel_size", 0) > 0:
            raise ValueError("DeBERTa-v2's convolution layer (conv_kernel_size > 0) is not supported; DeBERTa-v3 "
                             "(gliner-bi-*-v1.0) has none")
        if getattr(backbone, "z_steps", 0) > 1:
            raise ValueError("DeBERTa's enhanced mask decoder steps (z_steps > 1) are not supported")
        self.backbone = backbone
        self.seq_len = seq_len
        att = backbone.encoder.layer[0].attention.self
        self.heads, self.head_dim = att.num_attention_heads, att.attention_head_size
        self.relative = bool(att.relative_attention)
        types = set(att.pos_att_type) if self.relative else set()
        unknown = types - {"c2p", "p2c"}
        if unknown:
            raise ValueError(f"pos_att_type {sorted(unknown)} is not supported; DeBERTa-v3 uses ['p2c', 'c2p']")
        self.c2p = "c2p" in types
        self.p2c = "p2c" in types and p2c
        # Upstream: scale = sqrt(head_dim * scale_factor) computed in float32 (scaled_size_sqrt); the same
        # float32 value, so the divisions round as upstream's do.
        factor = 1 + ("c2p" in types) + ("p2c" in types)
        self.scale = float(torch.sqrt(torch.tensor(self.head_dim, dtype=torch.float32) * factor))
        if self.relative:
            self.tables = PositionTables.of(backbone)
            span = att.pos_ebd_size
            rel = relative_buckets(seq_len, att.position_buckets if log_buckets else -1, att.max_relative_positions)
            # Layer l's table starts at row l * 2 span of the stacked tables.
            base = torch.arange(len(backbone.encoder.layer))[:, None] * (2 * span)
            for kind, rows in zip(("c2p", "p2c"), distance_rows(rel, span)):
                self.register_buffer(f"{kind}_rows", (base + rows[None, :]).reshape(-1).to(torch.int32),
                                     persistent=False)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """[1, N, H * d] -> [H, N, d] (upstream's transpose_for_scores, batch of one)."""
        return x.reshape(x.shape[1], self.heads, self.head_dim).permute(1, 0, 2)

    def _distance_tables(self, attention_mask: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        """Per kind, each layer's position table expanded to [H, 2S - 1, d], one row per relative distance."""
        # 0, but computed from an input: with a constant index the converter would fold the expanded tables.
        zero = (attention_mask[0, :1] < 0).to(torch.int32)
        n, out = 2 * self.seq_len - 1, {}
        for kind in ("c2p", "p2c"):
            if getattr(self, kind):
                rows = F.embedding(getattr(self, f"{kind}_rows") + zero, getattr(self.tables, kind))[None]
                out[kind] = [self._heads(rows[:, i * n : (i + 1) * n]) for i in range(len(self.backbone.encoder.layer))]
        return out

    def _attention(self, layer: nn.Module, hidden: torch.Tensor, bias: torch.Tensor, pos: dict) -> torch.Tensor:
        """DisentangledSelfAttention.forward; `pos`: this layer's distance tables by kind."""
        att = layer.attention.self
        q = self._heads(att.query_proj(hidden))  # [H, S, d]
        k = self._heads(att.key_proj(hidden))
        v = self._heads(att.value_proj(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2) / self.scale)  # [H, S, S]
        rel = None
        if "c2p" in pos:
            rel = skew(torch.matmul(q, pos["c2p"].transpose(-1, -2))) / self.scale
        if "p2c" in pos:
            # skew gives [key j, query i] (row j of k against the distances k - q): transposed into [i, j].
            p2c = skew(torch.matmul(k, pos["p2c"].transpose(-1, -2))).transpose(-1, -2) / self.scale
            rel = p2c if rel is None else rel + p2c
        if rel is not None:
            scores = scores + rel
        probs = torch.softmax(scores + bias, dim=-1)
        ctx = torch.matmul(probs, v)  # [H, S, d]
        return ctx.permute(1, 0, 2).reshape(1, self.seq_len, self.heads * self.head_dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bb = self.backbone
        hidden = bb.embeddings(input_ids=input_ids, mask=attention_mask)
        bias = key_padding_bias(attention_mask)[0]  # [1, 1, S]: NEG on padded keys
        tables = self._distance_tables(attention_mask) if self.relative else {}
        for i, layer in enumerate(bb.encoder.layer):
            ctx = self._attention(layer, hidden, bias, {kind: t[i] for kind, t in tables.items()})
            attn_out = layer.attention.output(ctx, hidden)
            hidden = layer.output(layer.intermediate(attn_out), attn_out)
        return hidden
