"""Text encoder + token-level Scorer at a fixed sequence length: five arrays in, start/end/inside logits
[1, S, max_types, 3] out (gliner's BiEncoderTokenModel, span_mode "token_level")."""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from common.variants import TOKEN_LEVEL
from upstream import adapter
from wrappers.shared import OncePerModule
from wrappers.stacking import stack
from wrappers.text import TextEncoderWrapper


class ScorerWeights(OncePerModule):
    """out_mlp's first Linear split over its input concatenation [tok0, lab0, tok1 * lab1], made once per model.

    Slicing a parameter inside forward folds a new constant into every signature (wrappers/text.py
    FusedHeadWeights, wrappers/shared.py): one instance per Scorer, shared by every bucket's wrapper, is stored once.
    """

    def __init__(self, scorer: nn.Module):
        super().__init__()
        l1 = scorer.out_mlp[0]
        d = l1.weight.shape[1] // 3
        for name, t in (("w_tok", l1.weight[:, :d]), ("w_lab", l1.weight[:, d : 2 * d]),
                        ("w_prod", l1.weight[:, 2 * d :]), ("b1", l1.bias)):
            self.register_buffer(name, t.detach().contiguous().clone(), persistent=False)


class TokenLogitsWrapper(TextEncoderWrapper):
    """Restates BiEncoderTokenModel.forward (gliner/modeling/base.py) for one text at a static S: the text
    encoder and first-subword word embeddings as the span graph computes them (TextEncoderWrapper.encode_words),
    then Scorer (gliner/modeling/scorers.py) on the words and the label embeddings as given (a token model has
    no prompt_rep layer: upstream scores the labels encoder's output directly).

    Scorer builds rank-5 tensors ([B, S, C, 2, D] expanded and permuted), which GPU delegates refuse (rank > 4).
    Restated here with the same function: proj_token / proj_label outputs split into their halves (view(.., 2, D)
    is [first D | second D]), and out_mlp's first Linear split over its input [tok0, lab0, tok1 * lab1], so the
    word part (tok0 @ W_tok^T) runs once per word and the label part (lab0 @ W_lab^T + b) once per label; only the
    product term runs per (word, label). Labels go one at a time (a loop over the static max_types) so one
    [S, 4D] hidden layer is alive at once, as the span head does one width at a time; the Dropout is the
    identity in eval.
    """

    def __init__(self, model, seq_len: int, **kwargs):
        super().__init__(model, seq_len, fuse_span_head=False, **kwargs)
        self.max_types = adapter.config(model).max_types

    def _check_mode(self, cfg) -> None:
        if cfg.span_mode != TOKEN_LEVEL:
            raise ValueError(f"span_mode {cfg.span_mode!r}: TokenLogitsWrapper takes token_level models; "
                             "span models use TextEncoderWrapper")
        if getattr(cfg, "represent_spans", False):
            # represent_spans adds a span head on top of the token scores (BiEncoderTokenModel.forward's
            # get_span_representations); its span logits are a second output the graph would need.
            raise ValueError("token_level models with represent_spans=True are not supported: only the token "
                             "Scorer's start/end/inside logits are converted")

    def _init_head(self, model) -> None:
        self.scorer = adapter.token_scorer(model)
        self.scorer_weights = ScorerWeights.of(self.scorer)

    def forward(self, input_ids, attention_mask, first_subword_positions, word_valid_mask, labels_embeds):
        words = self.encode_words(input_ids, attention_mask, first_subword_positions, word_valid_mask)  # [S, D]
        sc, w = self.scorer, self.scorer_weights
        d = words.shape[1]
        tok = sc.proj_token(words)  # [S, 2D]
        lab = sc.proj_label(labels_embeds[0])  # [C, 2D]
        tok0, tok1 = tok[:, :d], tok[:, d:]
        lab0, lab1 = lab[:, :d], lab[:, d:]
        word_part = F.linear(tok0, w.w_tok)  # [S, 4D]
        label_part = F.linear(lab0, w.w_lab, w.b1)  # [C, 4D]
        out = sc.out_mlp[3]
        per_label = []
        for c in range(self.max_types):
            h = (F.linear(tok1 * lab1[c : c + 1], w.w_prod) + word_part + label_part[c : c + 1]).relu()
            per_label.append(out(h))  # [S, 3]
        return {"logits": stack(per_label, dim=1)[None]}  # [1, S, C, 3]


def upstream_scores(model, words: torch.Tensor, labels_embeds: torch.Tensor) -> torch.Tensor:
    """upstream's Scorer itself on [1, S, D] words and [1, C, D] labels (the reference the restatement matches)."""
    return adapter.token_scorer(model)(words, labels_embeds)


__all__ = ["ScorerWeights", "TokenLogitsWrapper", "upstream_scores"]
