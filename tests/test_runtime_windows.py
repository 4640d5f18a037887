"""runtime/windows.py on its own (no conversion, no model): the window plan against a reference written in the
tests, its invariants, and the stitch rule."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.windows import Window, default_overlap, plan_smallest_buckets, plan_windows, stitch
from tests.runtime_helpers import reference_bucket_windows, reference_windows

MAX_WIDTH = 12

plans = st.fixed_dictionaries({
    "counts": st.lists(st.integers(0, 40), max_size=600),
    "special": st.integers(0, 3),
    "max_tokens": st.integers(4, 600),
    "max_words": st.integers(1, 300),
    "overlap": st.integers(2 * MAX_WIDTH, 6 * MAX_WIDTH),
})


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_plan_equals_the_reference_and_keeps_its_promises(p):
    windows = plan_windows(p["counts"], p["special"], p["max_tokens"], p["max_words"], p["overlap"])
    ref = reference_windows(p["counts"], p["special"], p["max_tokens"], p["max_words"], p["overlap"])
    assert [(w.start, w.stop, w.own_start, w.own_stop) for w in windows] == [
        (a, b, owned.start, owned.stop) for a, b, owned in ref]
    n = len(p["counts"])
    if n == 0:
        assert windows == []
        return
    # Every word is in a window, windows advance, and each stays within both budgets unless it is one word.
    assert windows[0].start == 0 and windows[-1].stop == n
    for w in windows:
        tokens = p["special"] + sum(p["counts"][w.start : w.stop])
        assert w.stop - w.start == 1 or (w.stop - w.start <= p["max_words"] and tokens <= p["max_tokens"])
    for prev, nxt in zip(windows, windows[1:]):
        assert prev.start < nxt.start <= prev.stop
        assert prev.stop - nxt.start == min(p["overlap"], (prev.stop - prev.start) // 2)
    # Ownership partitions the words: each start word has exactly one window.
    assert [w.own_start for w in windows[1:]] == [w.own_stop for w in windows[:-1]]
    assert windows[0].own_start == 0 and windows[-1].own_stop == n
    assert all(w.start <= w.own_start <= w.own_stop <= w.stop for w in windows)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 4), min_size=200, max_size=2000), st.integers(2 * MAX_WIDTH, 6 * MAX_WIDTH))
def test_an_overlap_of_twice_max_width_keeps_every_owned_span_whole(counts, overlap):
    """Where windows are at least twice the overlap long, every span a window owns ends inside it: the reason
    window_overlap may not go below 2 * max_width (runtime.model refuses less)."""
    windows = plan_windows(counts, 2, 512, 200, overlap)
    for w, nxt in zip(windows, windows[1:]):
        if w.stop - w.start >= 2 * overlap:
            assert w.own_stop - 1 + (MAX_WIDTH - 1) < w.stop, (w, nxt)


def test_a_word_longer_than_the_budget_gets_a_window_of_its_own():
    windows = plan_windows([3, 5000, 3, 3], 2, 100, 50, 24)
    assert [(w.start, w.stop) for w in windows] == [(0, 1), (1, 2), (2, 4)]


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 12), max_size=800), st.integers(0, 3),
    st.lists(st.integers(8, 900), min_size=1, max_size=5, unique=True), st.integers(2 * MAX_WIDTH, 4 * MAX_WIDTH),
)
def test_windows_take_the_smallest_bucket_that_keeps_their_number(counts, special, sizes, overlap):
    budgets = [(s, s) for s in sorted(sizes)]
    got = plan_smallest_buckets(counts, special, budgets, overlap)
    ref = reference_bucket_windows(counts, special, budgets, overlap)
    assert [(w.start, w.stop, w.own_start, w.own_stop) for w in got] == [
        (a, b, owned.start, owned.stop) for a, b, owned in ref]
    assert len(got) == len(plan_windows(counts, special, *budgets[-1], overlap))


def test_two_windows_of_a_long_text_share_one_smaller_bucket():
    """7,000 tokens over 2,935 words (the long-texts benchmark's shape at base): the largest bucket's greedy
    windows are 8192 + 4096 tokens; the same two windows fit 4096 each."""
    counts = [2, 3] * 1400 + [2] * 135  # 7,135 tokens, 2,935 words
    budgets = [(1024, 1024), (2048, 2048), (4096, 4096), (8192, 2048)]
    greedy = plan_windows(counts, 2, 8192, 2048, 48)
    assert [sum(counts[w.start : w.stop]) + 2 > 4096 for w in greedy] == [True, False]
    got = plan_smallest_buckets(counts, 2, budgets, 48)
    assert len(got) == 2 and all(sum(counts[w.start : w.stop]) + 2 <= 4096 for w in got)


def test_a_word_the_smaller_bucket_would_cut_keeps_the_larger_bucket():
    got = plan_smallest_buckets([3, 300, 3], 2, [(100, 100), (400, 400)], 24)
    assert [(w.start, w.stop) for w in got] == [(0, 3)]


def test_default_overlap_is_four_times_max_width():
    assert default_overlap(12) == 48


def test_stitch_takes_each_row_from_its_owner_and_drops_spans_past_a_window():
    # Two windows over 6 words: [0, 4) owns starts 0..2, [2, 6) owns 3..5; max_width 3, one class.
    windows = [Window(0, 4, 0, 3), Window(2, 6, 3, 6)]
    first = np.full((4, 3, 1), 1.0, np.float32)
    second = np.full((4, 3, 1), 2.0, np.float32)
    out = stitch([first, second], windows, 6)
    assert out.shape == (6, 3, 1) and out.dtype == np.float32
    inf = -np.inf
    want = np.array([
        [1, 1, 1],  # start 0: spans end at words 0, 1, 2, inside the first window
        [1, 1, 1],  # start 1: ends 1, 2, 3
        [1, 1, inf],  # start 2: end 4 is past the first window's last word (3): never scored there
        [2, 2, 2],  # start 3, owned by the second window: ends 3, 4, 5
        [2, 2, inf],  # start 4: end 6 is past the text
        [2, inf, inf],
    ], np.float32)[:, :, None]
    np.testing.assert_array_equal(out, want)
