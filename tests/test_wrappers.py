"""The export wrappers equal upstream gliner's own forward, on texts that stress the input contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from common.inputs import build_labels_inputs
from tests.conftest import CORE_LABELS, LABELS_25, load_gliner
from upstream import adapter
from validate.reference import candidate_inputs, upstream_reference, valid_span_mask
from validate.suite import fill_text
from wrappers import LabelsEncoderWrapper, TextEncoderWrapper

S = 256
TEXTS = {
    "one-word": "Paris",
    "punctuation": "Wait... what?! (Acme) -- [Globex]; \"quoted\" 'text' / slash",
    "hyphens": "state-of-the-art well-known Jean-Pierre co-founded Rolls-Royce in mid-2020",
    "digits": "On 2021-05-03 John paid $1,234.56 for 3 items; call 555-0100 or +44 20 7946 0958.",
    "accents": "Zoë Ångström visited Kraków, São Paulo and Montréal with François Müller.",
    "cjk": "北京大学的王小明在东京参加了会议。 Tokyo 東京 서울",
    "emoji": "Launch day 🚀🎉 for the Pixel 8 in New York 😀 👍🏽",
}
LABEL_SETS = {"1": ["person"], "5": CORE_LABELS[:5], "25": LABELS_25}


def _torch_inputs(arrays):
    return {k: torch.from_numpy(v).long() if v.dtype == np.int32 else torch.from_numpy(v) for k, v in arrays.items()}


def _wrapper_diff(model, text, labels, seq_len=S, **wrapper_kwargs):
    ref = upstream_reference(model, text, labels)
    inputs = candidate_inputs(ref, seq_len, model.config.max_width, model.config.max_types)
    wrapper = TextEncoderWrapper(model, seq_len, **wrapper_kwargs).eval()
    with torch.no_grad():
        out = wrapper(**_torch_inputs(inputs.arrays))["logits"][0].numpy()
    w, c = ref.num_words, len(labels)
    valid = valid_span_mask(w, model.config.max_width)
    got, want = out[:w, :, :c][valid], ref.logits[:w, :, :c][valid]
    return float(np.abs(got - want).max()), float(np.abs(want).max())


def test_spans_past_the_text_score_as_upstream_scores_them(tiny_trained_dir):
    """Upstream zeroes the index of a span that ends past the text and so scores it as span (0, 0); the graph
    does the same (its span head slices instead of gathering, and reads span_idx only for that)."""
    model = load_gliner(str(tiny_trained_dir))
    ref = upstream_reference(model, TEXTS["punctuation"], CORE_LABELS)
    inputs = candidate_inputs(ref, S, model.config.max_width, model.config.max_types)
    with torch.no_grad():
        out = TextEncoderWrapper(model, S).eval()(**_torch_inputs(inputs.arrays))["logits"][0].numpy()
    w, c = ref.num_words, len(CORE_LABELS)
    invalid = ~valid_span_mask(w, model.config.max_width)
    assert invalid.any()
    got, want = out[:w, :, :c], ref.logits[:w, :, :c]
    assert np.abs(got[invalid] - want[invalid]).max() <= 1e-5 * max(1.0, float(np.abs(want).max()))
    assert np.abs(got[invalid] - got[0, 0]).max() == 0.0


def _fill(model, seq_len=S):
    return fill_text(lambda text: adapter.count_text_tokens(model, text), seq_len)


@pytest.mark.parametrize("labels_key", list(LABEL_SETS))
@pytest.mark.parametrize("text_key", list(TEXTS) + ["fill-95"])
def test_text_wrapper_matches_upstream(any_model_dir, text_key, labels_key):
    model = load_gliner(str(any_model_dir))
    text = _fill(model) if text_key == "fill-95" else TEXTS[text_key]
    diff, scale = _wrapper_diff(model, text, LABEL_SETS[labels_key])
    assert diff <= 1e-5 * max(1.0, scale), f"max abs diff {diff:.3g} (max |logit| {scale:.3g})"


@pytest.mark.parametrize("fuse", [False, True], ids=["upstream-head", "fused-head"])
def test_span_head_modes_match_upstream(tiny_trained_dir, fuse):
    model = load_gliner(str(tiny_trained_dir))
    diff, scale = _wrapper_diff(model, _fill(model), LABELS_25, fuse_span_head=fuse)
    assert diff <= 1e-5 * max(1.0, scale)


@pytest.mark.parametrize("seq_len", [256, 512])
def test_banded_and_dense_sliding_attention_match_upstream(tiny_trained_dir, seq_len):
    model = load_gliner(str(tiny_trained_dir))
    wrapper = TextEncoderWrapper(model, seq_len)
    assert wrapper.banded, "the tiny model's 8-token half window tiles these buckets"
    for banded in (True, False):
        diff, scale = _wrapper_diff(model, _fill(model, seq_len), CORE_LABELS, seq_len=seq_len, banded_attention=banded)
        assert diff <= 1e-5 * max(1.0, scale), (banded, diff)


@pytest.mark.parametrize("seq_len", [64, 100, 192])
def test_banded_attention_is_exact_at_any_bucket(tiny_trained_dir, seq_len):
    """Small ladder steps and an S the 8-token half window does not divide (100: the last block is padded in
    the graph) stay banded and equal upstream."""
    model = load_gliner(str(tiny_trained_dir))
    assert TextEncoderWrapper(model, seq_len).banded
    diff, scale = _wrapper_diff(model, _fill(model, seq_len), CORE_LABELS, seq_len=seq_len)
    assert diff <= 1e-5 * max(1.0, scale), diff


@pytest.mark.parametrize("seq_len", [256, 512])
def test_query_blocked_global_attention_matches_upstream(tiny_trained_dir, seq_len):
    """Global layers 64 queries at a time (4 and 8 blocks: one and two levels of stacking) compute upstream's
    function."""
    model = load_gliner(str(tiny_trained_dir))
    wrapper = TextEncoderWrapper(model, seq_len, scores_budget=1 << 16)
    assert wrapper.global_block == 64 < seq_len
    diff, scale = _wrapper_diff(model, _fill(model, seq_len), LABELS_25, seq_len=seq_len, scores_budget=1 << 16)
    assert diff <= 1e-5 * max(1.0, scale), diff


def test_query_block_sizes():
    from wrappers.blocked import query_block

    assert query_block(1024, 12) == 1024  # 48 MiB of scores: one block
    assert query_block(4096, 12) == 512  # 12 x 512 x 4096 x 4 B = 96 MiB <= 128 MiB < 192 MiB at 1024
    assert query_block(8192, 12) == 256
    assert query_block(8192, 16, budget=1 << 20) == 64  # never below 64 rows
    assert query_block(6144, 12) == 384  # blocks divide S: 16 of 384 rows (108 MiB), not 512-row ones
    for s in range(64, 8193, 64):  # every bucket: whole blocks, at least 64 rows (or S)
        block = query_block(s, 12)
        assert s % block == 0 and (block >= 64 or block == s)


def test_fill_text_fills_the_bucket(tiny_trained_dir):
    model = load_gliner(str(tiny_trained_dir))
    ref = upstream_reference(model, _fill(model), ["person"])
    assert 0.95 * S <= len(ref.input_ids) <= S


def test_negative_control_without_sliding_window_fails(tiny_trained_dir):
    """The parity check has teeth: dropping the sliding window must break it on a text longer than the window."""
    model = load_gliner(str(tiny_trained_dir))
    diff, scale = _wrapper_diff(model, _fill(model), CORE_LABELS, sliding_window=False)
    assert diff > 1e-5 * max(1.0, scale) * 10, f"diff {diff:.3g} unexpectedly small"


def test_labels_wrapper_matches_encode_labels(any_model_dir):
    model = load_gliner(str(any_model_dir))
    tok = model.data_processor.labels_tokenizer
    encodings = [tok(label)["input_ids"] for label in LABELS_25]
    arrays = build_labels_inputs(encodings, tok("")["input_ids"], model.config.max_types)
    wrapper = LabelsEncoderWrapper(model).eval()
    with torch.no_grad():
        got = wrapper(**_torch_inputs(arrays))["labels_embeds"].numpy()
    want = model.encode_labels(LABELS_25).numpy()
    assert got.shape == (25, want.shape[1])
    assert np.abs(got - want).max() <= 1e-5


def test_bilstm_is_never_called_and_not_exported(tiny_trained_dir, tmp_path):
    model = load_gliner(str(tiny_trained_dir))
    assert hasattr(model.model, "rnn"), "the checkpoint carries the LSTM, as upstream's does"
    calls = []
    handle = model.model.rnn.register_forward_hook(lambda *a: calls.append(1))
    text = "Maria Garcia joined Acme Corp in Paris on May 3, 2021."
    try:
        before = model.predict_entities(text, CORE_LABELS, threshold=0.3)
    finally:
        handle.remove()
    assert calls == []
    saved = {k: v.clone() for k, v in model.model.rnn.state_dict().items()}
    try:
        for fill in (torch.zeros_like, lambda t: torch.randn_like(t) * 10):
            with torch.no_grad():
                for p in model.model.rnn.parameters():
                    p.copy_(fill(p))
            assert model.predict_entities(text, CORE_LABELS, threshold=0.3) == before
    finally:
        model.model.rnn.load_state_dict(saved)
    wrapper = TextEncoderWrapper(model, S)
    assert not [k for k in wrapper.state_dict() if "rnn" in k or "lstm" in k.lower()]
    lstm_params = {id(p) for p in model.model.rnn.parameters()}
    assert not lstm_params & {id(p) for p in wrapper.parameters()}


def test_reference_sees_only_the_words_upstream_feeds(tiny_trained_dir):
    """A text past config.max_len words: upstream cuts the words before tokenizing; so must the candidate."""
    model = load_gliner(str(tiny_trained_dir))
    max_len = model.config.max_len
    text = " ".join(["Paris"] * (max_len + 50))
    ref = upstream_reference(model, text, ["location"])
    assert ref.num_words == len(ref.words) == max_len
    assert max(w for w in ref.word_ids if w is not None) == max_len - 1
    diff, scale = _wrapper_diff(model, text, ["location"], seq_len=1024)
    assert diff <= 1e-5 * max(1.0, scale)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_stacking_equals_torch_for_any_count(dim):
    """wrappers.stacking's levelled concatenations (reshaped between levels) are torch.cat / torch.stack exactly,
    for counts that need one, two and three levels, primes included, and parts of different lengths along dim."""
    from wrappers.stacking import cat, stack

    g = torch.Generator().manual_seed(dim)
    for n in (1, 2, 5, 6, 7, 12, 13, 25, 26, 32, 125, 126):
        parts = [torch.randn(2, 3, 4, generator=g) for _ in range(n)]
        assert torch.equal(stack(parts, dim), torch.stack(parts, dim))
        ragged = [torch.randn(*[1 + (i % 3) if d == dim else 3 for d in range(3)], generator=g) for i in range(n)]
        assert torch.equal(cat(ragged, dim), torch.cat(ragged, dim))
