"""Error statistics on hand-made arrays, against values worked out by hand (no conversion, no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validate.stats import LabelStats, SpanStats

# Logits of 4 decision points (2 valid spans x 2 labels); a logit of 0 is probability 0.5.
REF = np.array([[1.0, -2.0], [0.5, -1e-6]], np.float32)
GOT = np.array([[1.5, -2.0], [-0.5, 0.1]], np.float32)
# |GOT - REF| = 0.5, 0, 1.0, 0.100001; max |REF| = 2.


def _one_item(thresholds=(0.5,), margin=1e-5):
    st = SpanStats(thresholds, margin)
    ref_ents = {0.5: {(0, 0, "a"), (1, 2, "b")}}
    got_ents = {0.5: {(0, 0, "a"), (3, 3, "c")}}
    st.add(REF, GOT, ref_ents, got_ents)
    return st


def test_span_error_statistics():
    out = _one_item().finish()
    assert out["items"] == 1 and out["valid_spans"] == 2 and out["decision_points"] == 4
    assert out["max_abs_diff"] == pytest.approx(1.0)
    assert out["mean_abs_diff"] == pytest.approx((0.5 + 0 + 1.0 + 0.100001) / 4, rel=1e-6)
    assert out["max_abs_reference"] == pytest.approx(2.0)
    assert out["relative_error"] == pytest.approx(0.5)
    assert out["nonfinite"] == 0


def test_flips_and_the_margin_around_a_threshold():
    out = _one_item().finish()
    # At 0.5: 0.5 -> -0.5 crosses (reference 0.62 is far from 0.5); -1e-6 -> 0.1 crosses too, but the
    # reference sits 2.5e-7 from the threshold, inside the 1e-5 margin: a flip, not one beyond the margin.
    assert out["flips"] == {"0.5": 2}
    assert out["flips_beyond_margin"] == {"0.5": 1}
    assert out["flip_rate"] == {"0.5": 0.5}


def test_entity_precision_recall_f1_accumulate_over_items():
    st = _one_item()
    # Second item: 2 of 3 reference entities found, nothing extra.
    st.add(REF, REF, {0.5: {(0, 0, "a"), (1, 1, "b"), (0, 1, "c")}}, {0.5: {(0, 0, "a"), (1, 1, "b")}})
    e = st.finish()["entities"]["0.5"]
    # tp 1 + 2 = 3, fp 1 + 0 = 1, fn 1 + 1 = 2
    assert e["precision"] == pytest.approx(3 / 4)
    assert e["recall"] == pytest.approx(3 / 5)
    assert e["f1"] == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert e["reference_entities"] == 5 and e["candidate_entities"] == 4


def test_nan_is_counted_and_makes_the_error_infinite():
    st = SpanStats((0.5,))
    got = GOT.copy()
    got[0, 1] = np.nan
    st.add(REF, got, {0.5: set()}, {0.5: set()})
    out = st.finish()
    assert out["nonfinite"] == 1
    assert math.isinf(out["max_abs_diff"])


def test_label_cosine_and_truncated_rows_apart():
    ref = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 4.0]], np.float32)
    got = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 5.0]], np.float32)
    st = LabelStats()
    st.add(ref, got, truncated=np.array([False, False, True]))
    out = st.finish()
    assert out["labels"] == 2 and out["truncated"] == 1
    assert out["min_cosine"] == pytest.approx(1 / math.sqrt(2))  # row 2: (0,1).(1,1) / sqrt(2)
    assert out["max_abs"] == pytest.approx(1.0)  # row 2; the truncated row (diff 3) is kept apart
    assert out["min_cosine_truncated"] == pytest.approx(20 / 25)  # (3,4).(0,5) / (5 * 5)
