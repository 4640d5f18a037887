"""Numpy port of upstream gliner's token-level decoding (BIO-style start/end/inside scores per word and label).

``GLiNER.predict_entities`` on a ``BiEncoderTokenGLiNER`` ends in ``TokenDecoder.decode`` with the model's
logits [B, W, C, 3] (gliner/decoding/decoder.py): sigmoid, candidate starts and ends above the threshold,
``_calculate_span_score`` pairing them, then ``BaseDecoder.greedy_search``. This module reproduces that chain
for one text without torch, in upstream's candidate order, so LiteRT logits decode to the same entities with
the same scores.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from runtime.decoding import decode_candidates, sigmoid

__all__ = ["decode_tokens", "token_candidates"]


def token_candidates(logits: np.ndarray, num_words: int, threshold: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TokenDecoder._calculate_span_score: (start word, width index, class index, score) arrays in upstream's
    candidate order, for `logits` [W, C, 3] (start, end, inside) of one text.

    Upstream's order: starts in row-major (word, class) order (torch.where over [W, C]); for each, every end of
    the same class at or after it, in (word, class) order. Starts and ends pass `sigmoid > threshold` compared in
    float32 (a float32 tensor against a Python float); the inside check is `score < threshold` on Python floats
    (float32 values widened to float64 by .tolist()), so an inside score equal to the threshold in float64 passes
    and one that rounds to it in float32 need not. The score is min(inside over the span, start, end).
    """
    logits = np.asarray(logits, dtype=np.float32)
    if logits.ndim != 3 or logits.shape[2] != 3:
        raise ValueError(f"token logits must have shape [W, C, 3] (start, end, inside), got {logits.shape}")
    probs = sigmoid(logits[:num_words])
    start, end, inside = probs[..., 0], probs[..., 1], probs[..., 2]
    thr32 = np.float32(threshold)
    st_w, st_c = np.nonzero(start > thr32)
    ed_w, ed_c = np.nonzero(end > thr32)
    inside_ok = ~(inside.astype(np.float64) < float(threshold))  # [W, C]
    ends_of: dict[int, list[int]] = {}
    for w, c in zip(ed_w.tolist(), ed_c.tolist()):
        ends_of.setdefault(c, []).append(w)
    s_out, k_out, c_out, score_out = [], [], [], []
    for st, c in zip(st_w.tolist(), st_c.tolist()):
        ends = ends_of.get(c)
        if not ends:
            continue
        # Inside scores from st on, while none is below the threshold: every span (st, ed) with ed past the
        # first failing word fails too, so a running minimum over the passing prefix gives each span's min.
        col_ok, col_in = inside_ok[st:, c], inside[st:, c]
        fail = np.flatnonzero(~col_ok)
        limit = st + (fail[0] if len(fail) else len(col_ok))  # first word whose inside score fails
        run_min = np.minimum.accumulate(col_in[: limit - st]) if limit > st else col_in[:0]
        s_score = start[st, c]
        for ed in ends:
            if ed < st or ed >= limit:
                continue
            score = min(run_min[ed - st], s_score, end[ed, c])
            s_out.append(st)
            k_out.append(ed - st)
            c_out.append(c)
            score_out.append(score)
    return (np.asarray(s_out, np.int64), np.asarray(k_out, np.int64), np.asarray(c_out, np.int64),
            np.asarray(score_out, np.float32))


def decode_tokens(logits: np.ndarray, num_words: int, labels: Sequence[str], threshold: float = 0.5,
                  flat_ner: bool = True, multi_label: bool = False) -> list[tuple[int, int, str, float]]:
    """Token logits [W, C, 3] of one text -> (start_word, end_word, label, score) tuples, as upstream's
    TokenDecoder followed by greedy_search (the same greedy as the span decoder: runtime/decoding.py)."""
    labels = list(labels)
    if np.asarray(logits).shape[1:2] != (len(labels),):
        raise ValueError(f"token logits have {np.asarray(logits).shape[1:2]} classes but {len(labels)} labels were given")
    s, k, c, scores = token_candidates(logits, num_words, threshold)
    return decode_candidates(s, k, c, scores, num_words, labels, flat_ner, multi_label)
