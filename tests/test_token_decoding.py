"""runtime/token_decoding.py against gliner's own TokenDecoder on crafted logits: upstream computes every expected
value (no model, no conversion)."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from gliner.decoding.decoder import TokenDecoder

from runtime.token_decoding import decode_tokens


def upstream_decode(logits: np.ndarray, labels, threshold, flat_ner, multi_label):
    spans = TokenDecoder(types.SimpleNamespace()).decode(
        [["w"] * logits.shape[0]], {i + 1: x for i, x in enumerate(labels)},
        model_output=torch.from_numpy(np.ascontiguousarray(logits[None], np.float32)),
        flat_ner=flat_ner, threshold=threshold, multi_label=multi_label)[0]
    return [(s.start, s.end, s.entity_type, s.score) for s in spans]


def same(got, want) -> bool:
    """Equal spans, labels and order; scores equal within an ulp: torch's float32 sigmoid itself differs by an ulp
    between its SIMD and scalar paths (tests/test_decoding.py), numpy's is one fixed function."""
    return [g[:3] for g in got] == [w[:3] for w in want] and all(
        abs(g[3] - w[3]) <= 1.2e-7 for g, w in zip(got, want))


def crafted(seed: int, words: int, classes: int) -> np.ndarray:
    """Logits on a coarse grid (many exact ties, many values at or near the thresholds' logits) with long inside
    runs, so candidate order, tie breaks and the inside rule all matter."""
    rng = np.random.default_rng(seed)
    grid = np.array([-4.0, -1.0, -0.8473, -0.2, 0.0, 0.2, 0.8473, 1.5, 3.0], np.float32)  # ±0.8473 = logit(0.7)
    x = rng.choice(grid, size=(words, classes, 3)).astype(np.float32)
    x[..., 2] = np.where(rng.random((words, classes)) < 0.7, np.abs(x[..., 2]) + 0.5, x[..., 2])
    return x


@pytest.mark.parametrize("multi_label", [False, True], ids=["single", "multi"])
@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_equals_upstream_token_decoder(threshold, flat_ner, multi_label):
    labels = ["a", "b", "c", "d"]
    total = 0
    for seed in range(40):
        logits = crafted(seed, words=3 + seed % 17, classes=len(labels))
        want = upstream_decode(logits, labels, threshold, flat_ner, multi_label)
        got = decode_tokens(logits, logits.shape[0], labels, threshold, flat_ner, multi_label)
        assert same(got, want), (seed, got, want)
        total += len(want)
    assert total > 100  # the crafted logits make entities: the comparison is not vacuous


def test_inside_score_equal_to_the_threshold_passes_as_upstream():
    """Upstream compares inside scores as Python floats with `<`: an inside probability exactly at the threshold
    keeps the span; start and end need float32 `>`."""
    labels = ["x"]
    logits = np.full((3, 1, 3), 3.0, np.float32)
    logits[1:, 0, 0] = -3.0  # one start (word 0) and one end (word 2): the only candidate is words 0..2
    logits[:2, 0, 1] = -3.0
    logits[1, 0, 2] = 0.0  # sigmoid(0) == 0.5 exactly
    for t in (0.5, 0.49):
        assert same(decode_tokens(logits, 3, labels, t), upstream_decode(logits, labels, t, True, False))
    assert [e[:2] for e in decode_tokens(logits, 3, labels, 0.5)] == [(0, 2)]
    assert decode_tokens(logits, 3, labels, 0.51) == []


def test_padding_rows_past_the_text_are_ignored():
    labels = ["x", "y"]
    logits = crafted(7, 12, 2)
    logits[8:] = 5.0  # padding rows would make entities if read
    want = upstream_decode(logits[:8], labels, 0.5, True, False)
    assert same(decode_tokens(logits, 8, labels, 0.5), want) and want


def test_bad_shapes_are_refused_by_name():
    with pytest.raises(ValueError, match=r"\[W, C, 3\]"):
        decode_tokens(np.zeros((4, 2)), 4, ["a", "b"])
    with pytest.raises(ValueError, match="2 labels"):
        decode_tokens(np.zeros((4, 3, 3)), 4, ["a", "b"])
