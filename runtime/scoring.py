"""Span representations x prompt vectors -> the spans decoding keeps, in float32 on the host, in bounded chunks."""

from __future__ import annotations

import math

import numpy as np

from runtime.decoding import sigmoid

# Scores held at once: a chunk of span rows x every label, float32, plus its candidate mask. 10,000 labels on a
# 2,000-word text would be 1 GB of logits scored in one piece.
SCORES_BUDGET_BYTES = 200 * 2**20
# How far below the threshold's logit a score may sit and still be checked exactly (in probability, 80x the
# float32 rounding of a probability near 1): the cheap comparison in logit space only prefilters, the decision
# stays upstream's float32 `sigmoid(x) > threshold`.
_PREFILTER_MARGIN = 1e-5


def _logit_floor(threshold: float) -> float:
    p = float(threshold) - _PREFILTER_MARGIN
    return -math.inf if p <= 0.0 else math.log(p / (1.0 - p))


def _sigmoid_inplace(x: np.ndarray) -> np.ndarray:
    """decoding.sigmoid's float32 operations, in place (same values bit for bit, no second chunk-sized array)."""
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += np.float32(1.0)
    return np.divide(np.float32(1.0), x, out=x)


def score_candidates(
    reps: np.ndarray, prompts: np.ndarray, threshold: float, budget_bytes: int = SCORES_BUDGET_BYTES,
    best_label_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, class, probability) of every (span row, label) whose float32 probability is > threshold, in
    row-major order, as upstream's `torch.where(probs > threshold)` lists them.

    reps: [spans, hidden] span representations (the spans decoding reads, in (start, width) order);
    prompts: [labels, hidden] prompt vectors. The logits are upstream's einsum "BLKD,BCD->BLKC" (one matmul per
    chunk of rows); at most `budget_bytes` of scores exist at once.

    best_label_only (decoding without multi_label): per span row only its highest-probability passing label,
    the first of equal ones. Greedy decoding rejects every other label of a span once that one is kept or
    rejected (the conflict depends on the bounds only), so the entities are the same; the candidates stay one
    per span however many labels pass (random weights put every score near 0.5: 10,000 labels on a 2,500-token
    text were about 1e8 candidates, 7.5 GB peak RSS at base size).
    """
    reps = np.asarray(reps, np.float32)
    prompts_t = np.ascontiguousarray(np.asarray(prompts, np.float32).T)  # [hidden, labels]
    n_labels = prompts_t.shape[1]
    rows = max(1, int(budget_bytes) // (8 * max(n_labels, 1)))  # logit + its mask or probability, per score
    floor = np.float32(_logit_floor(threshold)) if math.isfinite(_logit_floor(threshold)) else None
    thr = np.float32(threshold)
    out_r, out_c, out_p = [], [], []
    for r0 in range(0, reps.shape[0], rows):
        logits = reps[r0 : r0 + rows] @ prompts_t  # [rows, labels]
        if best_label_only:
            live = np.arange(len(logits)) if floor is None else np.flatnonzero(logits.max(axis=1) > floor)
            if live.size == 0:
                continue
            probs = _sigmoid_inplace(logits if live.size == len(logits) else logits[live])
            c = probs.argmax(axis=1)  # the first of equal probabilities: upstream's stable order
            p = probs[np.arange(len(live)), c]
            keep = p > thr
            out_r.append(live[keep] + r0)
            out_c.append(c[keep])
            out_p.append(p[keep])
            continue
        if floor is None:
            r, c = np.nonzero(sigmoid(logits) > thr)
            p = sigmoid(logits[r, c])
        else:
            r, c = np.nonzero(logits > floor)
            p = sigmoid(logits[r, c])
            keep = p > thr
            r, c, p = r[keep], c[keep], p[keep]
        out_r.append(r + r0)
        out_c.append(c)
        out_p.append(p)
    if not out_r:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_p).astype(np.float32)
