"""Overlapping word windows for texts longer than one graph call, and the rule that stitches them back.

A window is a half-open word range [start, stop). Every span start word is *owned* by exactly one
window: where two windows overlap, the overlap is cut at its midpoint, so each word is owned by the
window in which it lies farther from a seam. The span logits of each start row are taken from its
owner and decoded once over the whole text, so the merged result has no duplicates and follows
upstream's greedy rules over the union (see docs/RUNTIME.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Window:
    start: int  # first word of the window
    stop: int  # one past its last word
    own_start: int  # first span-start word this window owns
    own_stop: int  # one past the last span-start word it owns


def default_overlap(max_width: int) -> int:
    """Words two neighbouring windows share: twice the widest span, so every span whose start a window owns
    lies wholly inside that window, plus as much again of context on each side of the cut."""
    return 4 * max_width


def tokens_per_word(word_ids: Sequence[int | None], num_words: int) -> list[int]:
    """Tokens of each word, from one encoding's word_ids (special tokens have no word: None)."""
    counts = [0] * num_words
    for wid in word_ids:
        if wid is not None:
            counts[wid] += 1
    return counts


def plan_windows(
    token_counts: Sequence[int], special_tokens: int, max_tokens: int, max_words: int, overlap: int,
) -> list[Window]:
    """Cut words into windows of at most `max_words` words and `max_tokens` tokens (specials included).

    Windows are as long as the budget allows, taken greedily from the left; the next one starts
    `overlap` words before the previous one ends (less when a window is shorter than twice the overlap,
    so every window advances). A single word whose tokens alone exceed the budget is a window of its own
    (the caller truncates its tokens).
    """
    n = len(token_counts)
    if n == 0:
        return []
    budget = max_tokens - special_tokens
    spans: list[tuple[int, int]] = []
    a = 0
    while True:
        b, used = a, 0
        while b < n and b - a < max_words and used + token_counts[b] <= budget:
            used += token_counts[b]
            b += 1
        b = max(b, a + 1)
        spans.append((a, b))
        if b >= n:
            break
        step_back = min(overlap, (b - a) // 2)
        a = max(b - step_back, a + 1)
    out = []
    for i, (a, b) in enumerate(spans):
        own_a = 0 if i == 0 else (spans[i - 1][1] + a) // 2
        own_b = n if i == len(spans) - 1 else (b + spans[i + 1][0]) // 2
        out.append(Window(a, b, own_a, own_b))
    return out


def plan_smallest_buckets(
    token_counts: Sequence[int], special_tokens: int, budgets: Sequence[tuple[int, int]], overlap: int,
) -> list[Window]:
    """Windows as few as the largest bucket allows, each in the smallest bucket that keeps that count.

    `budgets`: (max_tokens, max_words) of each bucket, smallest first. Greedy windows under the largest bucket
    leave a short tail that runs a smaller graph while the rest run the largest (7,000 tokens of base: 8192 +
    4096); the same number of windows cut under a smaller bucket is as many seams, runs one smaller graph, and
    holds one arena instead of two (activations and scores grow faster than S). A smaller bucket is used only
    if every window fits it whole (a long word is never cut where the largest bucket would hold it).
    """
    largest = plan_windows(token_counts, special_tokens, *budgets[-1], overlap)
    for max_tokens, max_words in budgets[:-1]:
        windows = plan_windows(token_counts, special_tokens, max_tokens, max_words, overlap)
        if len(windows) == len(largest) and all(
            special_tokens + sum(token_counts[w.start : w.stop]) <= max_tokens for w in windows
        ):
            return windows
    return largest


def stitch(window_logits: Sequence[np.ndarray], windows: Sequence[Window], num_words: int) -> np.ndarray:
    """Per-window logits [>= window words, max_width, C] -> text logits [num_words, max_width, C].

    Row s (spans starting at word s) comes from the window owning s. Spans that run past their window's
    last word were never scored there; they are set to -inf so decoding drops them.
    """
    first = window_logits[0]
    out = np.full((num_words, first.shape[1], first.shape[2]), -np.inf, np.float32)
    for w, logits in zip(windows, window_logits):
        rows = np.arange(w.own_start, w.own_stop)
        local = logits[rows - w.start].astype(np.float32, copy=True)
        ends = (rows - w.start)[:, None] + np.arange(local.shape[1])[None, :]
        local[ends >= w.stop - w.start] = -np.inf
        out[rows] = local
    return out


def stitch_spans(window_reps: Sequence[np.ndarray], windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-window span representations [>= window words, max_width, hidden] -> the spans decoding reads:
    (reps [n, hidden], start word [n], width index [n]) in (start, width) order over the whole text.

    Each start comes from the window owning it, as `stitch` takes rows; a span running past its window's last
    word was never scored there (and one past the text is never read), so it is left out, as `stitch` sets it
    to -inf.
    """
    reps, starts, widths = [], [], []
    for w, r in zip(windows, window_reps):
        local = np.arange(w.own_start - w.start, w.own_stop - w.start)
        k = np.arange(r.shape[1])
        s_i, k_i = np.nonzero(local[:, None] + k[None, :] < w.stop - w.start)
        reps.append(r[local[s_i], k_i])
        starts.append(local[s_i] + w.start)
        widths.append(k_i)
    return (np.concatenate(reps).astype(np.float32, copy=False), np.concatenate(starts), np.concatenate(widths))
