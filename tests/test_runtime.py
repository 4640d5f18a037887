"""The torch-free runtime equals GLiNER.predict_entities on the converted tiny-trained model (real LiteRT, no mocks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CORE_LABELS, LABELS_25, ROOT, load_gliner
from validate.suite import FILL_SENTENCES, load_suite

SCORE_TOL = 1e-4  # fp32 graphs vs PyTorch: float32 rounding only (measured max ~6e-6)
PER_CATEGORY = 8  # suite texts per category in the parity set: every category, within the time budget
EXTRA_TEXTS = [
    "Paris",
    "北京大学的王小明在东京参加了会议。 Tokyo 東京 서울",
    "Launch day 🚀🎉 for the Pixel 8 in New York 😀 👍🏽 with Maria Garcia of Acme Corp.",
    "Zoë Ångström visited Kraków, São Paulo and Montréal with François Müller on 3 May 2021.",
    "  leading and trailing spaces,\ttabs\nand newlines around Helios Pharma  ",
    "state-of-the-art Jean-Pierre co-founded Rolls-Royce in mid-2020 for $1,234.56",
]
# 30 labels: the 8 the model knows sit at positions 22..29, across the 25-label group boundary.
LABELS_30 = LABELS_25[8:] + ["animal", "sport", "language", "religion", "weapon"] + CORE_LABELS


@pytest.fixture(scope="session")
def trained_artifacts(tiny_trained_artifacts) -> Path:
    """tiny-trained converted once per session (tests/conftest.py), shared with the other suites."""
    return tiny_trained_artifacts


@pytest.fixture(scope="module")
def upstream(tiny_trained_dir):
    return load_gliner(str(tiny_trained_dir))


@pytest.fixture(scope="module")
def rt(trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(trained_artifacts, "fp32", num_threads=1)


@pytest.fixture(scope="module")
def rt_int8(trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(trained_artifacts, "int8", num_threads=1)


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


def _keyed(ents) -> dict:
    return {(e["start"], e["end"], e["label"]): e for e in ents}


def _diff(want: list[dict], got: list[dict], text: str) -> tuple[list[str], float]:
    """Problems (spans, labels, texts, order) and the max score difference of matching entities."""
    w, g = _keyed(want), _keyed(got)
    problems = []
    if set(w) != set(g):
        problems.append(f"upstream only {sorted(set(w) - set(g))}, runtime only {sorted(set(g) - set(w))}")
    if [e["start"] for e in got] != sorted(e["start"] for e in got):
        problems.append("runtime entities are not ordered by start")
    diff = 0.0
    for k in set(w) & set(g):
        diff = max(diff, abs(w[k]["score"] - g[k]["score"]))
        if g[k]["text"] != text[k[0] : k[1]] or g[k]["text"] != w[k]["text"]:
            problems.append(f"text of {k}: {g[k]['text']!r} vs {w[k]['text']!r}")
    return problems, diff


def _f1(want: list[list[dict]], got: list[list[dict]]) -> float:
    tp = fp = fn = 0
    for w, g in zip(want, got):
        ws, gs = set(_keyed(w)), set(_keyed(g))
        tp, fp, fn = tp + len(ws & gs), fp + len(gs - ws), fn + len(ws - gs)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


# ---------------------------------------------------------------------------------------------- parity


@pytest.mark.parametrize("threshold", [0.3, 0.5])
@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
def test_fp32_equals_upstream(rt, upstream, parity_items, flat_ner, multi_label, threshold):
    kw = dict(flat_ner=flat_ner, multi_label=multi_label, threshold=threshold)
    failures, max_diff, n_ents = [], 0.0, 0
    for item_id, text, labels in parity_items:
        want = upstream.predict_entities(text, labels, **kw)
        got = rt.predict_entities(text, labels, **kw)
        problems, diff = _diff(want, got, text)
        max_diff, n_ents = max(max_diff, diff), n_ents + len(want)
        failures += [f"{item_id}: {p}" for p in problems]
    print(f"\n{len(parity_items)} texts, {n_ents} upstream entities, max |score diff| {max_diff:.2e}")
    assert not failures, "\n".join(failures)
    assert max_diff <= SCORE_TOL
    assert n_ents > len(parity_items)  # the trained model finds entities: the comparison is not vacuous


def test_int8_entity_f1(rt_int8, upstream, parity_items):
    want = [upstream.predict_entities(t, labels) for _, t, labels in parity_items]
    got = [rt_int8.predict_entities(t, labels) for _, t, labels in parity_items]
    f1 = _f1(want, got)
    print(f"\nint8 entity F1 against upstream fp32: {f1:.4f} over {sum(map(len, want))} entities")
    assert f1 >= 0.8, "int8 is far off upstream: a broken graph or input, not quantization noise"


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
        problems, diff = _diff(want, got, text)
        failures += [f"{item_id}: {p}" for p in problems]
        failures += [f"{item_id}: score diff {diff:.2e}"] if diff > SCORE_TOL else []
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


# ---------------------------------------------------------------------------------------------- long texts


def _long_text() -> str:
    return " ".join(FILL_SENTENCES * 2)  # ~1370 words, ~3000 tokens: 9 windows of the 512 bucket


def test_windowed_text_equals_upstream_run_per_window(rt, upstream):
    """Exact rule: each window is what upstream computes on that window's text; rows are stitched by owner."""
    from runtime.decoding import decode_spans
    from runtime.windows import stitch
    from validate.reference import upstream_reference

    text = _long_text()
    prep = rt.prepare(text, "window")
    assert len(prep.windows) > 2 and all(w.stop - w.start <= rt.max_words for w in prep.windows)
    logits = []
    for w in prep.windows:
        ref = upstream_reference(upstream, text[prep.starts[w.start] : prep.ends[w.stop - 1]], CORE_LABELS)
        assert ref.words == prep.words[w.start : w.stop]
        logits.append(ref.logits)
    spans = decode_spans(stitch(logits, prep.windows, len(prep.words)), len(prep.words), CORE_LABELS)
    want = [
        {"start": prep.starts[s], "end": prep.ends[e], "text": text[prep.starts[s] : prep.ends[e]], "label": lab,
         "score": sc}
        for s, e, lab, sc in spans
    ]
    got = rt.predict_entities(text, CORE_LABELS)
    problems, diff = _diff(want, got, text)
    assert not problems, problems
    assert diff <= SCORE_TOL
    # No duplicates and flat: windows were merged, not concatenated.
    bounds = sorted((e["start"], e["end"]) for e in got)
    assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:]))


def test_windowed_text_matches_upstream_whole_text(rt, upstream):
    """Against upstream seeing the whole text in one pass (max_len raised): windows see less context, so scores
    move (measured up to ~0.08) and entities near the threshold may differ; confident ones must not."""
    text = _long_text()
    old = upstream.config.max_len
    upstream.config.max_len = 100_000
    try:
        want = upstream.predict_entities(text, CORE_LABELS)
    finally:
        upstream.config.max_len = old
    got = rt.predict_entities(text, CORE_LABELS)
    w, g = _keyed(want), _keyed(got)
    confident = 0.7  # threshold 0.5 + 0.2
    missed = [k for k in set(w) - set(g) if w[k]["score"] >= confident]
    extra = [k for k in set(g) - set(w) if g[k]["score"] >= confident]
    f1 = _f1([want], [got])
    print(f"\nwindowed vs whole-text upstream: F1 {f1:.4f}, {len(want)} upstream entities")
    assert not missed and not extra, (missed, extra)
    assert f1 >= 0.95


def test_overflow_policies(rt):
    text = _long_text()
    with pytest.raises(ValueError, match="on_overflow='window'"):
        rt.predict_entities(text, CORE_LABELS, on_overflow="error")
    with pytest.warns(UserWarning, match="truncated"):
        cut = rt.predict_entities(text, CORE_LABELS, on_overflow="truncate")
    prep = rt.prepare(text, "window")
    first_window_end = prep.ends[prep.windows[0].stop - 1]
    assert cut and max(e["end"] for e in cut) <= first_window_end
    whole = rt.predict_entities(text, CORE_LABELS)
    assert max(e["end"] for e in whole) > 0.9 * len(text)


def test_max_len_truncate_mirrors_upstream(trained_artifacts, upstream, tmp_path):
    """More words than max_len (tokens fit): upstream drops the rest with a warning; 'truncate' does the same,
    'window' keeps every window within max_len words."""
    from runtime import GLiNERLiteRT
    from runtime.words import split_words

    folder = _copy(trained_artifacts, tmp_path / "short")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["config"]["max_len"] = 100
    (folder / "manifest.json").write_text(json.dumps(manifest))
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
    problems, diff = _diff(want, got, text)
    assert not problems and diff <= SCORE_TOL, problems
    prep = short.prepare(text, "window")
    assert len(prep.windows) > 1 and all(w.stop - w.start <= 100 for w in prep.windows)
    assert max(e["end"] for e in short.predict_entities(text, CORE_LABELS)) > max(e["end"] for e in got)


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.predict_entities("Maria lives in Paris", []), "no labels"),
        (lambda m: m.predict_entities("Maria lives in Paris", ["person", ""]), "label 1 is empty"),
        (lambda m: m.predict_entities("Maria lives in Paris", ["person", "  "]), "label 1 is empty"),
        (lambda m: m.predict_entities("Maria lives in Paris", ["person", "person"]), "duplicate label"),
        (lambda m: m.predict_entities("Maria lives in Paris", ["person", 3]), "must be a string"),
        (lambda m: m.predict_entities("Maria lives in Paris", {"person": "a human"}), "list of strings"),
        (lambda m: m.predict_entities(None, ["person"]), "text must be a string"),
        (lambda m: m.predict_entities(b"Paris", ["person"]), "text must be a string"),
        (lambda m: m.predict_entities("Paris", ["person"], threshold=0), r"threshold must be in \(0, 1\)"),
        (lambda m: m.predict_entities("Paris", ["person"], threshold=1.0), r"threshold must be in \(0, 1\)"),
        (lambda m: m.predict_entities("Paris", ["person"], threshold=-0.5), r"threshold must be in \(0, 1\)"),
        (lambda m: m.predict_entities("Paris", ["person"], threshold="0.5"), "threshold must be a number"),
        (lambda m: m.predict_entities("Paris", ["person"], on_overflow="split"), "on_overflow must be one of"),
        (lambda m: m.batch_predict_entities("Paris", ["person"]), "texts must be a list"),
        (lambda m: m.predict_with_embeds("Paris", np.zeros((2, 3)), ["person"]), "labels_embeddings must have shape"),
    ],
    ids=[
        "no-labels", "empty-label", "blank-label", "duplicate-labels", "non-string-label", "label-mapping",
        "none-text", "bytes-text", "threshold-0", "threshold-1", "threshold-negative", "threshold-str",
        "bad-overflow", "batch-of-str", "embeds-shape",
    ],
)
def test_bad_input_raises(rt, call, match):
    with pytest.raises(ValueError, match=match):
        call(rt)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "], ids=["empty", "spaces", "whitespace"])
def test_empty_text_gives_no_entities(rt, text):
    assert rt.predict_entities(text, CORE_LABELS) == []


def _copy(src: Path, dst: Path, precision: str = "fp32") -> Path:
    """An artifacts folder holding one precision's graphs (small), for tests that damage it."""
    def other_graphs(_dir, names):
        return [n for n in names if n.endswith(".tflite") and precision not in n]

    shutil.copytree(src, dst, ignore=other_graphs)
    return dst


def test_bad_folder_raises(trained_artifacts, tmp_path):
    from runtime import GLiNERLiteRT

    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        GLiNERLiteRT.from_pretrained(trained_artifacts, "fp16")
    no_int8w = _copy(trained_artifacts, tmp_path / "no-int8w")
    man = json.loads((no_int8w / "manifest.json").read_text())
    man["artifacts"] = {k: v for k, v in man["artifacts"].items() if v["precision"] != "int8w"}
    (no_int8w / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(FileNotFoundError, match="no int8w labels encoder.*--precisions int8w"):
        GLiNERLiteRT.from_pretrained(no_int8w, "int8w")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        GLiNERLiteRT.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="manifest.json is missing"):
        GLiNERLiteRT.from_pretrained(tmp_path)
    missing = _copy(trained_artifacts, tmp_path / "missing")
    (missing / "text_encoder_seq512_fp32.tflite").unlink()
    with pytest.raises(FileNotFoundError, match="text_encoder_seq512_fp32.tflite is listed in the manifest but"):
        GLiNERLiteRT.from_pretrained(missing)


def test_sha256_mismatch_raises_on_first_load(trained_artifacts, tmp_path):
    from runtime import GLiNERLiteRT

    bad = _copy(trained_artifacts, tmp_path / "bad")
    f = bad / "labels_encoder_fp32.tflite"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    model = GLiNERLiteRT.from_pretrained(bad)  # opening is cheap; each file is checked when first needed
    with pytest.raises(ValueError, match="labels_encoder_fp32.tflite: sha256 .* does not match the manifest"):
        model.predict_entities("Maria lives in Paris", CORE_LABELS)


# ---------------------------------------------------------------------------------------------- process-level


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def test_prediction_never_imports_torch(trained_artifacts):
    code = (
        "import sys, json\n"
        "from runtime import GLiNERLiteRT\n"
        f"m = GLiNERLiteRT.from_pretrained({str(trained_artifacts)!r}, 'int8')\n"
        f"ents = m.predict_entities({_long_text()!r}, {LABELS_30!r})\n"
        "bad = sorted({k.split('.')[0] for k in sys.modules} & {'torch', 'transformers', 'gliner', 'wrappers', "
        "'convert', 'validate'})\n"
        "print(json.dumps({'n': len(ents), 'bad': bad}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["bad"] == [] and res["n"] > 0


def test_cli(trained_artifacts):
    base = [sys.executable, "-m", "runtime", "--model", str(trained_artifacts),
            "--labels", "person,organization,location"]
    text = "Maria Garcia joined Acme Corp in Paris on May 3, 2021."
    out = subprocess.run(base + ["--threshold", "0.3", text], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    assert line["text"] == text and {e["label"] for e in line["entities"]} >= {"person", "location"}
    out = subprocess.run(base + ["--nested", "--multi-label"], input=f"{text}\n\nOslo welcomed it.\n",
                         capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(lines) == 3 and lines[1]["entities"] == []
    out = subprocess.run(base[:-1] + ["person,person", text], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=120)
    assert out.returncode == 2 and "duplicate label" in out.stderr
