"""Text encoder + span head at a fixed sequence length: six arrays in, span logits [1, S, max_width, max_types] out;
or, labels-independent, four arrays in and the span representations [1, S, max_width, hidden] out."""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from upstream import adapter
from wrappers import blocked
from wrappers.shared import OncePerModule
from wrappers.stacking import stack


def token_encoder(backbone: nn.Module, seq_len: int, sliding_window: bool = True, banded_attention: bool = True,
                  scores_budget: int | None = blocked.SCORES_BUDGET_BYTES) -> nn.Module:
    """The static-S restatement of the text backbone, by its config's model_type: [1, S] ids and mask ->
    [1, S, backbone hidden]. The keyword options are ModernBERT's (attention layouts and negative controls)."""
    kind = backbone.config.model_type
    if kind == "modernbert":
        from wrappers.modernbert import ModernBertTokens

        return ModernBertTokens(backbone, seq_len, sliding_window, banded_attention, scores_budget)
    if kind == "deberta-v2":
        from wrappers.deberta import DebertaV2Tokens

        return DebertaV2Tokens(backbone, seq_len)
    raise ValueError(f"text encoder {kind!r} is not supported; only ModernBERT (gliner-bi-*-v2.0) and DeBERTa-v2/v3 "
                     "(gliner-bi-*-v1.0)")


class FusedHeadWeights(OncePerModule):
    """The span head's out_project weights in the layout the fused head multiplies by, made once per model
    (wrappers/shared.py: sliced in forward, they would be a new constant in every signature)."""

    def __init__(self, span: nn.Module):
        super().__init__()
        l1, l2 = span.out_project[0], span.out_project[3]
        d = l1.weight.shape[1] // 2
        for name, t in (("w1_start", l1.weight[:, :d]), ("w1_end", l1.weight[:, d:]), ("b1", l1.bias),
                        ("w2_t", l2.weight.t()), ("b2", l2.bias)):
            self.register_buffer(name, t.detach().contiguous().clone(), persistent=False)


class TextEncoderWrapper(nn.Module):
    """Restates BiEncoderSpanModel.forward (gliner/modeling/base.py) for one text at a static S.

    Replaced, because they cannot be exported or export badly: the `torch.where` word extraction
    (extract_first_word_embeddings) becomes an index_select of host-computed first-subword positions
    (torch.gather lowers to GATHER_ND with large constant index grids); masks and rotary tables are built
    from runtime positions (constants would grow the file with S); the 4-D einsum becomes a matmul.
    Left out: the BiLSTM (`rnn`), which the bi-encoder span forward never calls.

    `fuse_span_head=True` reorders the span head's linear algebra (see `_span_logits_fused`): the same
    function, 12x fewer multiply-adds in its largest layers; `False` runs upstream's SpanMarkerV0 as is.
    """

    def __init__(self, model, seq_len: int, fuse_span_head: bool = True, sliding_window: bool = True,
                 banded_attention: bool = True, scores_budget: int | None = blocked.SCORES_BUDGET_BYTES):
        """`model`: a loaded gliner bi-encoder span model (the GLiNER object)."""
        super().__init__()
        cfg = adapter.config(model)
        self._check_mode(cfg)
        if getattr(cfg, "subtoken_pooling", "first") != "first":
            raise ValueError("only subtoken_pooling='first' is supported")
        if adapter.post_fusion(model) is not None or cfg.fuse_layers:
            raise ValueError("post-fusion layers and fuse_layers are not supported")
        self.tokens = token_encoder(adapter.text_backbone(model), seq_len, sliding_window=sliding_window,
                                    banded_attention=banded_attention, scores_budget=scores_budget)
        self.projection = adapter.text_projection(model)
        self._init_head(model)
        self.seq_len = seq_len
        self.max_width = cfg.max_width
        self.fuse_span_head = fuse_span_head

    def _check_mode(self, cfg) -> None:
        if cfg.span_mode != "markerV0":
            raise ValueError(f"span_mode {cfg.span_mode!r} is not supported; only markerV0 (gliner-bi-base-v2.0)")

    def _init_head(self, model) -> None:
        """The head on top of the word embeddings: SpanMarkerV0 and the prompt MLP (wrappers/token.py overrides
        it and _check_mode with the token-level Scorer)."""
        self.span = adapter.span_marker(model)
        self.head_weights = FusedHeadWeights.of(self.span)
        self.prompt_rep = adapter.prompt_rep(model)

    @property
    def backbone(self) -> nn.Module:
        return self.tokens.backbone

    @property
    def banded(self) -> bool:
        """ModernBERT: whether sliding layers run on diagonal blocks (False for other encoders)."""
        return bool(getattr(self.tokens, "banded", False))

    @property
    def global_block(self) -> int | None:
        """ModernBERT: queries per block of a global layer (None for other encoders)."""
        return getattr(self.tokens, "global_block", None)

    def encode_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.tokens(input_ids, attention_mask)
        if self.projection is not None:
            hidden = self.projection(hidden)
        return hidden

    def _span_hidden(self, words: torch.Tensor):
        """out_project's hidden layer relu(L1(cat(relu(start), relu(end)))) of every span, one width at a time:
        k = 0 .. max_width - 1 -> [S, 4D], row s for the span (s, s + k).

        L1 splits over the concatenation, so its two halves run once per word (S rows) instead of once per span
        (S*K rows), and the bias is added once. The end rows of width k are b shifted by k: slices, not a gather
        by span_idx (index_select lowers to builtin GATHER_ND + SELECT_V2 ops that XNNPACK does not take, and
        every one splits the graph; measured: S=8192 peaked 1.9 GB above the loaded model with gathers). One
        width at a time keeps one [S, 4D] tensor alive in XNNPACK's arena, reused by the next width. Rows past
        S are zero: those spans end past the text, and decoding never reads them.
        """
        sp, hw = self.span, self.head_weights
        a = F.linear(sp.project_start(words).relu(), hw.w1_start)  # [S, 4D]
        b = F.linear(sp.project_end(words).relu(), hw.w1_end, hw.b1)  # [S, 4D]
        n_words, k_max = words.shape[0], self.max_width
        b = F.pad(b, (0, 0, 0, k_max - 1))
        for k in range(k_max):
            yield (a + b[k : k + n_words]).relu()

    def _span_logits_upstream(self, words: torch.Tensor, span_idx: torch.Tensor, prompts: torch.Tensor):
        sp = self.span
        start = torch.index_select(sp.project_start(words), 0, span_idx[:, 0])
        end = torch.index_select(sp.project_end(words), 0, span_idx[:, 1])
        span_rep = sp.out_project(torch.cat([start, end], dim=-1).relu())  # [S*K, D]
        return span_rep @ prompts.transpose(0, 1)  # [S*K, C]

    def _span_logits_fused(self, words: torch.Tensor, span_idx: torch.Tensor, prompts: torch.Tensor):
        """SpanMarkerV0 + scoring with the algebra reordered (identical function, float32 rounding aside).

        out_project = L2(ReLU(L1(cat(relu(s), relu(e))))): L1 runs per word (_span_hidden), and the final
        score L2(h) . p = h . (W2^T p) + b2 . p, so L2 folds into the C label vectors:
        [S*K, 4D] x [4D, C] instead of [S*K, 4D] x [4D, D] followed by [S*K, D] x [D, C].
        """
        hw = self.head_weights
        qt = F.linear(hw.w2_t, prompts)  # [4D, C] = W2^T P^T
        c = F.linear(prompts, hw.b2[None])[:, 0]  # [C] = P b2

        def score(h: torch.Tensor) -> torch.Tensor:
            # Two batches, not h @ qt: with both operands computed at run time a 2-D (or batch-1) matmul is
            # lowered to a FULLY_CONNECTED that XNNPACK declines (TFLite's reference kernel: 6% of int8 S=256
            # at base); a batch of two stays a BATCH_MATMUL, which XNNPACK runs. S is even (a multiple of 64).
            hb = h.reshape(2, h.shape[0] // 2, h.shape[1])
            return torch.bmm(hb, torch.cat([qt[None], qt[None]])).reshape(h.shape[0], -1) + c

        logits = stack([score(h) for h in self._span_hidden(words)], dim=1)  # [S, K, C]
        logits = logits.reshape(-1, logits.shape[-1])  # [S*K, C]: span (s, s + k) is row s*K + k
        # Upstream scores a span it zeroed (span_idx row (0, 0): it ends past the text) as the span (0, 0): so
        # does this graph, and span_idx stays the input it is in the seed's contract.
        zeroed = (span_idx[:, :1] + span_idx[:, 1:]) == 0
        return torch.where(zeroed, logits[:1], logits)

    def encode_words(self, input_ids, attention_mask, first_subword_positions, word_valid_mask) -> torch.Tensor:
        tokens = self.encode_tokens(input_ids, attention_mask)[0]  # [S, D]
        valid = word_valid_mask[0].to(tokens.dtype)[:, None]
        # Upstream leaves rows past the last word at zero (new_zeros in extract_first_word_embeddings).
        return torch.index_select(tokens, 0, first_subword_positions[0]) * valid  # [S, D]

    def forward(self, input_ids, attention_mask, first_subword_positions, word_valid_mask, labels_embeds, span_idx):
        words = self.encode_words(input_ids, attention_mask, first_subword_positions, word_valid_mask)
        prompts = self.prompt_rep(labels_embeds[0])  # [C, D]
        spans = span_idx[0]
        if self.fuse_span_head:
            logits = self._span_logits_fused(words, spans, prompts)
        else:
            logits = self._span_logits_upstream(words, spans, prompts)
        return {"logits": logits.reshape(1, self.seq_len, self.max_width, -1)}


class SpanRepsWrapper(TextEncoderWrapper):
    """The text graph without the labels: SpanMarkerV0's span representations of every span of the bucket,
    [1, S, max_width, hidden] (row s, k: words s .. s + k), which the host scores against any number of prompt
    vectors (upstream's einsum "BLKD,BCD->BLKC" in gliner/modeling/base.py, as a matmul).

    Why span representations and not the per-word halves of the fused head: with the halves the host would
    compute relu(a[s] + b[s + k]) [spans, 4 x hidden] and multiply it by every label's W2^T p (4 x hidden wide),
    four times the host work per label of scoring hidden-wide representations; the graph pays out_project's last
    layer once per span instead, which upstream computes anyway (docs/LABELS.md measures both).
    """

    def __init__(self, model, seq_len: int, **kwargs):
        super().__init__(model, seq_len, fuse_span_head=True, **kwargs)
        self.out_last = self.span.out_project[3]

    def forward(self, input_ids, attention_mask, first_subword_positions, word_valid_mask):
        words = self.encode_words(input_ids, attention_mask, first_subword_positions, word_valid_mask)
        # out_project's last layer (upstream's weights) on each width's hidden layer (_span_hidden).
        reps = stack([self.out_last(h) for h in self._span_hidden(words)], dim=1)  # [S, K, D]
        return {"span_reps": reps[None]}
