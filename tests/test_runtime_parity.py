"""The torch-free runtime equals GLiNER.predict_entities on the converted tiny-trained model (real LiteRT, no mocks)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from tests.conftest import ROOT, load_gliner
from tests.runtime_helpers import (
    CORE_LABELS, EXTRA_TEXTS, LABELS_30, SCORE_TOL, diff, env, f1, keyed, long_text, noisy_text,
    reference_bucket_windows,
    upstream_per_window,
)
from validate.suite import FILL_SENTENCES, load_suite

PER_CATEGORY = 8  # suite texts per category in the parity set: every category, within the time budget


@pytest.fixture(scope="module")
def upstream(tiny_trained_dir):
    return load_gliner(str(tiny_trained_dir))


@pytest.fixture(scope="module")
def rt(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)


@pytest.fixture(scope="module")
def rt_int8(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "int8", num_threads=1)


def _fits_one_call(rt, text: str, labels) -> bool:
    from runtime.words import split_words

    words = [w for w, _, _ in split_words(text)]
    n_tok = len(rt.text_tokenizer.encode(words, is_pretokenized=True).ids)
    long_label = any(len(rt.labels_tokenizer.encode(x).ids) > rt.config.label_tokens for x in labels)
    return len(words) <= rt.max_words and n_tok <= rt.max_tokens and not long_label


@pytest.fixture(scope="module")
def parity_items(rt):
    """(id, text, labels): the first texts of each suite category that fit one graph call, plus edge texts."""
    per_cat: dict[str, list] = defaultdict(list)
    for item in load_suite():
        if len(per_cat[item.category]) < PER_CATEGORY and _fits_one_call(rt, item.text, item.labels):
            per_cat[item.category].append((item.id, item.text, list(item.labels)))
    items = [x for cat in sorted(per_cat) for x in per_cat[cat]]
    return items + [(f"extra-{i}", t, list(CORE_LABELS)) for i, t in enumerate(EXTRA_TEXTS)]


# ---------------------------------------------------------------------------------------------- one call


@pytest.mark.parametrize("threshold", [0.3, 0.5])
@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
def test_fp32_equals_upstream(rt, upstream, parity_items, flat_ner, multi_label, threshold):
    kw = dict(flat_ner=flat_ner, multi_label=multi_label, threshold=threshold)
    failures, max_diff, n_ents = [], 0.0, 0
    for item_id, text, labels in parity_items:
        want = upstream.predict_entities(text, labels, **kw)
        got = rt.predict_entities(text, labels, **kw)
        problems, d = diff(want, got, text)
        max_diff, n_ents = max(max_diff, d), n_ents + len(want)
        failures += [f"{item_id}: {p}" for p in problems]
    print(f"\n{len(parity_items)} texts, {n_ents} upstream entities, max |score diff| {max_diff:.2e}")
    assert not failures, "\n".join(failures)
    assert max_diff <= SCORE_TOL
    assert n_ents > len(parity_items)  # the trained model finds entities: the comparison is not vacuous


def test_int8_entity_f1(rt_int8, upstream, parity_items):
    want = [upstream.predict_entities(t, labels) for _, t, labels in parity_items]
    got = [rt_int8.predict_entities(t, labels) for _, t, labels in parity_items]
    score = f1(want, got)
    print(f"\nint8 entity F1 against upstream fp32: {score:.4f} over {sum(map(len, want))} entities")
    assert score >= 0.8, "int8 is far off upstream: a broken graph or input, not quantization noise"


def test_tokenizers_equal_upstream(rt, upstream):
    from runtime.words import split_words

    hf = upstream.data_processor.transformer_tokenizer
    texts = [item.text for item in load_suite()] + EXTRA_TEXTS + ["<<ENT>> [FLERT] <<SEP>> [CLS] x\u200by a\u0301"]
    for text in texts:
        words = [w for w, _, _ in split_words(text)]
        want = hf(words, is_split_into_words=True, truncation=True)
        got = rt.text_tokenizer.encode(words, is_pretokenized=True)
        assert got.ids == want["input_ids"] and got.word_ids == want.word_ids(), text[:60]
    labels_hf = upstream.data_processor.labels_tokenizer
    labels = LABELS_30 + ["Person", "ORGANIZATION", "Café owner", "日本の会社", "e-mail address 📧"]
    want = labels_hf(labels, truncation=True)["input_ids"]
    assert [rt.labels_tokenizer.encode(x).ids for x in labels] == want


def test_encode_labels_equals_upstream_and_is_cached(rt, upstream):
    got = rt.encode_labels(LABELS_30)
    want = upstream.encode_labels(LABELS_30).numpy()
    assert got.shape == (30, rt.config.hidden_size) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert rt.encode_labels(tuple(LABELS_30)) is got
    assert not got.flags.writeable


def test_more_than_25_labels_equal_upstream_with_all_labels(rt, upstream, parity_items):
    failures, second_group = [], 0
    for item_id, text, _ in parity_items[::3]:
        want = upstream.predict_entities(text, LABELS_30, threshold=0.3)
        got = rt.predict_entities(text, LABELS_30, threshold=0.3)
        problems, d = diff(want, got, text)
        failures += [f"{item_id}: {p}" for p in problems]
        failures += [f"{item_id}: score diff {d:.2e}"] if d > SCORE_TOL else []
        second_group += sum(LABELS_30.index(e["label"]) >= 25 for e in got)
    assert not failures, "\n".join(failures)
    assert second_group > 0, "no entity came from the second label group: the test exercises nothing"


def test_batch_and_embeds_equal_predict_entities(rt, parity_items):
    texts = [t for _, t, _ in parity_items[:6]] + ["", "   "]
    batch = rt.batch_predict_entities(texts, CORE_LABELS, threshold=0.3)
    single = [rt.predict_entities(t, CORE_LABELS, threshold=0.3) for t in texts]
    assert batch == single and batch[-2:] == [[], []]
    emb = rt.encode_labels(CORE_LABELS)
    assert [rt.predict_with_embeds(t, emb, CORE_LABELS, threshold=0.3) for t in texts] == single


def test_long_label_is_truncated_with_a_warning(rt):
    long_label = " ".join(["organization"] * 40)
    with pytest.warns(UserWarning, match="truncated"):
        rt.encode_labels(["person", long_label])


@pytest.mark.parametrize("text", ["", "   ", "\n\t "], ids=["empty", "spaces", "whitespace"])
def test_empty_text_gives_no_entities(rt, text):
    assert rt.predict_entities(text, CORE_LABELS) == []


# ---------------------------------------------------------------------------------------------- long texts


@pytest.mark.parametrize("max_seq_len", [None, 256], ids=["every-bucket", "capped-256"])
def test_windowed_text_equals_upstream_run_per_window(rt, upstream, tiny_trained_artifacts, max_seq_len):
    """Exact rule, computed without the runtime: plan the windows from the manifest's limits and upstream's
    tokenizer, run upstream on each window's text, keep each start row from the window owning it (spans past a
    window's end are -inf), decode once with upstream's decoder; the runtime must give the same entities.
    With max_seq_len the largest bucket allowed sets the windows (an app trading context for memory)."""
    from runtime import GLiNERLiteRT

    if max_seq_len is not None:
        rt = GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1, max_seq_len=max_seq_len)
    text = long_text()
    want, windows = upstream_per_window(upstream, tiny_trained_artifacts, text, CORE_LABELS, max_seq_len)
    assert len(windows) > 2
    got = rt.predict_entities(text, CORE_LABELS)
    assert [(w.start, w.stop) for w in rt.prepare(text).windows] == [(a, b) for a, b, _ in windows]
    problems, d = diff(want, got, text)
    assert not problems, problems
    assert d <= SCORE_TOL
    assert len(want) > 50  # entities in every window: the comparison is not vacuous
    bounds = sorted((e["start"], e["end"]) for e in got)
    assert all(x[1] <= y[0] for x, y in zip(bounds, bounds[1:]))  # merged, not concatenated: flat, no duplicates


def _whole_text_upstream(upstream, text: str) -> list[dict]:
    old = upstream.config.max_len
    upstream.config.max_len = 100_000  # upstream in one pass (the tiny encoder has 8192 positions)
    try:
        return upstream.predict_entities(text, CORE_LABELS)
    finally:
        upstream.config.max_len = old


@pytest.mark.parametrize("kind", ["clean", "noisy"])
def test_windowed_text_against_upstream_whole_text(rt, upstream, kind):
    """Windows against upstream seeing the whole text in one pass: windows see less context, so scores move and
    entities near the threshold differ. How much depends on the text; docs/RUNTIME.md quotes these figures.
    clean: the long text above (short clean English sentences); noisy: 8 noisy multi-script texts (noisy_text)."""
    texts = [long_text()] if kind == "clean" else [noisy_text(seed) for seed in range(8)]
    want = [_whole_text_upstream(upstream, t) for t in texts]
    got = [rt.predict_entities(t, CORE_LABELS) for t in texts]
    confident = 0.7  # threshold 0.5 + 0.2
    missed = extra = 0
    worst = 0.0
    for w, g in zip(map(keyed, want), map(keyed, got)):
        missed += sum(w[k]["score"] >= confident for k in set(w) - set(g))
        extra += sum(g[k]["score"] >= confident for k in set(g) - set(w))
        worst = max([worst] + [abs(w[k]["score"] - g[k]["score"]) for k in set(w) & set(g)])
    score = f1(want, got)
    windows = sum(len(rt.prepare(t).windows) for t in texts)
    print(f"\n{kind}: {len(texts)} texts, {windows} windows, {sum(map(len, want))} upstream entities; F1 {score:.4f}; "
          f"scoring >= {confident}: {missed} missed, {extra} extra; max |score diff| of entities in both {worst:.3f}")
    if kind == "clean":  # measured: F1 0.9955, none confident differs, max diff 0.082
        assert missed == extra == 0 and score >= 0.99
    else:  # measured: F1 0.9652, 4 missed and 3 extra of 458, max diff 0.273
        assert score >= 0.93


def test_overflow_policies(rt):
    text = long_text()
    with pytest.raises(ValueError, match="on_overflow='window'"):
        rt.predict_entities(text, CORE_LABELS, on_overflow="error")
    with pytest.warns(UserWarning, match="truncated"):
        cut = rt.predict_entities(text, CORE_LABELS, on_overflow="truncate")
    prep = rt.prepare(text, "window")
    first_window_end = prep.ends[prep.windows[0].stop - 1]
    assert cut and max(e["end"] for e in cut) <= first_window_end
    whole = rt.predict_entities(text, CORE_LABELS)
    assert max(e["end"] for e in whole) > 0.9 * len(text)


def test_max_len_truncate_mirrors_upstream(tiny_trained_artifacts, upstream, tmp_path):
    """More words than max_len (tokens fit): upstream drops the rest with a warning; 'truncate' does the same,
    'window' keeps every window within max_len words."""
    from runtime import GLiNERLiteRT
    from runtime.words import split_words
    from tests.runtime_helpers import copy_folder, edit_manifest

    folder = copy_folder(tiny_trained_artifacts, tmp_path / "short")
    edit_manifest(folder, lambda m: m["config"].update(max_len=100))
    short = GLiNERLiteRT.from_pretrained(folder, num_threads=1)
    text = " ".join(FILL_SENTENCES[:12])
    words = [w for w, _, _ in split_words(text)]
    assert len(words) > 100 and len(short.text_tokenizer.encode(words, is_pretokenized=True).ids) <= short.max_tokens
    old = upstream.config.max_len
    upstream.config.max_len = 100
    try:
        with pytest.warns(UserWarning, match="truncated to 100"):
            want = upstream.predict_entities(text, CORE_LABELS)
    finally:
        upstream.config.max_len = old
    with pytest.warns(UserWarning, match="truncated to 100"):
        got = short.predict_entities(text, CORE_LABELS, on_overflow="truncate")
    problems, d = diff(want, got, text)
    assert not problems and d <= SCORE_TOL, problems
    prep = short.prepare(text, "window")
    assert len(prep.windows) > 1 and all(w.stop - w.start <= 100 for w in prep.windows)
    assert max(e["end"] for e in short.predict_entities(text, CORE_LABELS)) > max(e["end"] for e in got)


# ---------------------------------------------------------------------------------------------- process-level


def test_prediction_never_imports_torch(tiny_trained_artifacts):
    code = (
        "import sys, json\n"
        "from runtime import GLiNERLiteRT\n"
        f"m = GLiNERLiteRT.from_pretrained({str(tiny_trained_artifacts)!r}, 'int8')\n"
        f"ents = m.predict_entities({long_text()!r}, {LABELS_30!r})\n"
        "bad = sorted({k.split('.')[0] for k in sys.modules} & {'torch', 'transformers', 'gliner', 'wrappers', "
        "'convert', 'validate'})\n"
        "print(json.dumps({'n': len(ents), 'bad': bad}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["bad"] == [] and res["n"] > 0
