"""Numpy port of upstream gliner's span decoding for bi-encoder span models.

``GLiNER.predict_entities`` on a ``BiEncoderSpanGLiNER`` ends in
``decode_batch`` -> ``SpanDecoder.decode`` -> ``BaseSpanDecoder.decode`` (the model
output carries no ``span_idx``/``span_mask``, so the explicit-span branch is never
taken) -> ``_decode_batch`` / ``_decode_batch_item`` -> ``BaseDecoder.greedy_search``.
This module reproduces that chain for one text without torch, so LiteRT logits decode
to the same entities, in the same order, with the same scores as upstream.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["sigmoid", "decode_spans", "decode_candidates"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function evaluated in float32, like ``torch.sigmoid`` on float32 logits.

    Upstream thresholds and reports float32 probabilities; computing in float64 would
    move values across the threshold and break score ties differently.  (torch's own
    float32 result varies by up to 1 ulp between its SIMD and scalar paths, so only
    agreement within float32 rounding is achievable.)
    """
    x = np.asarray(x, dtype=np.float32)
    one = np.float32(1.0)
    # exp overflows to inf for x < ~-88; 1 / inf == 0 is the right limit, as in torch.
    with np.errstate(over="ignore"):
        return one / (one + np.exp(-x))


def decode_spans(
    logits: np.ndarray,
    num_words: int,
    labels: Sequence[str],
    threshold: float = 0.5,
    flat_ner: bool = True,
    multi_label: bool = False,
) -> list[tuple[int, int, str, float]]:
    """Decode span logits of one text into ``(start_word, end_word, label, score)`` tuples.

    Args:
        logits: raw span logits, shape ``[W, max_width, C]``; ``logits[s, k, c]`` scores
            the span of words ``s .. s + k`` for ``labels[c]``.  Rows ``>= num_words``
            may be padding.
        num_words: number of real words in the text.
        labels: the ``C`` entity labels, in the order of the logits' last axis.
        threshold: keep spans whose probability is strictly greater than this.
        flat_ner: if True no two kept spans may overlap; if False spans may nest
            but not cross.
        multi_label: allow several labels on exactly the same span.

    Returns:
        Kept spans with inclusive ``end_word``, ordered like upstream: by start word,
        ties keeping the greedy (descending score) order.
    """
    logits = np.asarray(logits, dtype=np.float32)
    if logits.ndim != 3:
        raise ValueError(f"logits must have shape [W, max_width, C], got {logits.shape}")
    labels = list(labels)
    num_words_pad, max_width, num_classes = logits.shape
    if num_classes != len(labels):
        raise ValueError(f"logits have {num_classes} classes but {len(labels)} labels were given")

    probs = sigmoid(logits)

    # BaseSpanDecoder._find_candidate_spans: torch compares a float32 tensor with a Python
    # float in float32 (so does numpy for a weak scalar); cast explicitly so a float64
    # threshold such as np.float64(0.1) behaves the same, e.g. p == float32(0.1) is rejected.
    candidate = probs > np.float32(threshold)
    # _decode_batch_item's "(s_idx + k_idx + 1) <= num_tokens": a span must end on a real
    # word.  Masking before np.nonzero keeps the surviving candidates in the same row-major
    # (start, width, class) order as torch.where followed by boolean indexing.
    ends = np.arange(num_words_pad)[:, None] + np.arange(max_width)[None, :]
    candidate &= (ends < num_words)[:, :, None]
    s_idx, k_idx, c_idx = np.nonzero(candidate)
    return decode_candidates(s_idx, k_idx, c_idx, probs[s_idx, k_idx, c_idx], num_words, labels, flat_ner, multi_label)


def decode_candidates(
    s_idx: np.ndarray, k_idx: np.ndarray, c_idx: np.ndarray, scores: np.ndarray, num_words: int,
    labels: Sequence[str], flat_ner: bool = True, multi_label: bool = False,
) -> list[tuple[int, int, str, float]]:
    """decode_spans from its candidates: the spans whose float32 probability passed the threshold, as
    (start word, width index, class index, probability) arrays in row-major (start, width, class) order (what
    np.nonzero over [W, max_width, C] gives). Lets a caller that scores labels in chunks keep only these."""
    if len(s_idx) == 0:
        return []
    s_idx, k_idx, c_idx = np.asarray(s_idx), np.asarray(k_idx), np.asarray(c_idx)
    scores = np.asarray(scores, dtype=np.float32)
    labels = list(labels)

    # BaseDecoder.greedy_search: sorted(spans, key=lambda x: -x.score) is a stable sort, so
    # equal scores keep the candidate (start, width, class) order; a stable argsort of the
    # negated float32 scores gives the same permutation.
    order = np.argsort(-scores, kind="stable")
    starts = s_idx[order].tolist()
    ends_incl = (s_idx + k_idx)[order].tolist()
    classes = c_idx[order].tolist()
    # float32 -> Python float, as upstream's probs[...].tolist() does.
    score_list = scores[order].tolist()

    if flat_ner:
        keep = _greedy_flat(starts, ends_incl, num_words, multi_label)
    else:
        keep = _greedy_nested(starts, ends_incl, multi_label)

    selected = [(starts[i], ends_incl[i], labels[classes[i]], score_list[i]) for i in keep]
    # greedy_search's final new_list.sort(key=lambda x: x.start): stable, so spans sharing a
    # start stay in descending-score (selection) order.
    selected.sort(key=lambda span: span[0])
    return selected


def _greedy_flat(starts: list[int], ends: list[int], num_words: int, multi_label: bool) -> list[int]:
    """Indices kept by greedy_search with ``has_overlapping`` (gliner/decoding/utils.py).

    has_overlapping rejects any intersecting kept span, except that with multi_label a span
    with exactly the same (start, end) never conflicts, whatever its label.  Kept spans with
    different bounds are therefore pairwise disjoint, so "conflicts with something kept" is
    "some word of the candidate is covered" unless the candidate's bounds were already kept
    (then every other kept span is disjoint from it).  A word-coverage array gives the same
    answers as upstream's pairwise scan in O(width) per candidate.
    """
    covered = bytearray(max(num_words, 0))
    kept_bounds: set[tuple[int, int]] = set()
    keep = []
    for i, (s, e) in enumerate(zip(starts, ends)):
        if multi_label and (s, e) in kept_bounds:
            keep.append(i)
            continue
        if covered.find(1, s, e + 1) != -1:
            continue
        covered[s : e + 1] = b"\x01" * (e + 1 - s)
        kept_bounds.add((s, e))
        keep.append(i)
    return keep


def _greedy_nested(starts: list[int], ends: list[int], multi_label: bool) -> list[int]:
    """Indices kept by greedy_search with ``has_overlapping_nested`` (gliner/decoding/utils.py).

    A candidate conflicts with a kept span when the two cross (intersect with neither
    containing the other), or when their bounds are identical and multi_label is off.
    Mirrors upstream's pairwise scan against every kept span.
    """
    kept: list[tuple[int, int]] = []
    keep = []
    for i, (s, e) in enumerate(zip(starts, ends)):
        conflict = False
        for a, b in kept:
            if a == s and b == e:
                if not multi_label:
                    conflict = True
                    break
                continue
            # Intersecting ((s <= b) and (a <= e)) and neither nested in the other.
            if s <= b and a <= e and not ((s <= a and b <= e) or (a <= s and e <= b)):
                conflict = True
                break
        if not conflict:
            kept.append((s, e))
            keep.append(i)
    return keep
