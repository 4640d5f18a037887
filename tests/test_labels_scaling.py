"""Any number of entity types in one text pass (issue 14): the span graphs scored on the host equal
GLiNER.predict_entities at 1, 25, 26 and 300 labels; label banks round-trip and refuse what is not theirs."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import CORE_LABELS, LABELS_25, ROOT, load_gliner
from tests.runtime_helpers import SCORE_TOL, diff, env

TEXTS = [
    "Maria Garcia joined Acme Corp in Paris on Monday with John Smith from Google.",
    "Dr. Helen Park of Helios Pharma met the mayor of Berlin and two Reuters journalists in March 2021.",
    "Launch day 🚀 for the Pixel 8 in New York with François Müller of Globex, Initech and Umbrella Corp.",
]
# Near-duplicates: labels a few tokens apart (never the same tokens: the runtime refuses those as one type).
NEAR_DUPLICATES = [
    "persons", "a person", "person name", "people", "organisation", "organizations", "company name", "companies",
    "city name", "location name", "place", "places", "date and time", "dates",
]


def _labels(n: int) -> list[str]:
    base = list(dict.fromkeys(CORE_LABELS + NEAR_DUPLICATES + LABELS_25))
    filler = [f"{w} type {i}" for i, w in enumerate(["entity", "thing", "item", "object", "name"] * 60)]
    return (base + filler)[:n]


@pytest.fixture(scope="module")
def upstream(tiny_trained_dir):
    return load_gliner(str(tiny_trained_dir))


@pytest.fixture(scope="module")
def rt(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    # The span path at every label count (by default up to max_types labels run the logits graph).
    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1, span_scoring=True)


@pytest.fixture(scope="module")
def rt_int8(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "int8", num_threads=1, span_scoring=True)


def test_by_default_more_than_max_types_labels_take_the_span_path(tiny_trained_artifacts):
    """Default: max_types (25) labels or fewer run the logits graph (the span head folded into the labels), more
    run one span-graph pass; the real graphs' calls counted."""
    from runtime import GLiNERLiteRT

    auto = GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)
    assert auto.span_scoring and not auto.uses_span_path(25) and auto.uses_span_path(26)
    for n, want in ((25, ["text_encoder_seq256"]), (26, ["text_spans_seq256"])):
        assert _text_graph_calls(auto, TEXTS[0], _labels(n)) == want


def _text_graph_calls(rt, text: str, labels: list[str]) -> list[str]:
    """The text graphs (signatures) one predict_entities call runs, labels encoded beforehand."""
    rt.encode_labels(labels)
    calls = []
    run = rt.artifacts.run
    rt.artifacts.run = lambda v, arrays: calls.append(v) or run(v, arrays)
    try:
        rt.predict_entities(text, labels)
    finally:
        del rt.artifacts.run
    return [v.signature for v in calls if v.component.per_bucket]


def test_the_bundle_scores_spans_on_the_host(rt):
    """The fixture folder holds the bundle: the runtime takes the span path (not 25 labels per text pass)."""
    assert rt.span_scoring
    assert {b.variant.signature for b in rt.buckets} == {"text_spans_seq256", "text_spans_seq512"}


@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
@pytest.mark.parametrize("n", [1, 25, 26, 300])
def test_entities_equal_upstream_at_any_label_count(rt, upstream, n, flat_ner, multi_label):
    labels = _labels(n)
    assert len(labels) == n and len(set(labels)) == n
    found = 0
    for text in TEXTS:
        for threshold in (0.3, 0.5):
            want = upstream.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner,
                                             multi_label=multi_label)
            got = rt.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
            problems, worst = diff(want, got, text)
            assert not problems, (text, threshold, problems)
            assert worst <= SCORE_TOL
            assert [(e["start"], e["label"]) for e in got] == [(e["start"], e["label"]) for e in want]
            found += len(want)
    assert found, "no entity in any text: the comparison would prove nothing"


def test_span_logits_equal_upstream_logits(rt, upstream):
    """fp32 span representations x prompts on the host = upstream's logits within 1e-5 relative, 300 labels."""
    from validate.reference import upstream_reference, valid_span_mask

    labels = _labels(300)
    ref = upstream_reference(upstream, TEXTS[1], labels)
    prepared = rt.prepare(TEXTS[1])
    (reps,) = [rt.window_spans(prepared, w) for w in prepared.windows]
    got = reps @ rt.label_prompts(rt.encode_labels(labels)).T  # [W, K, 300]
    w = ref.num_words
    valid = valid_span_mask(w, rt.config.max_width)
    want = ref.logits[:w][valid]
    rel = float(np.abs(got[:w][valid] - want).max() / np.abs(want).max())
    assert rel <= 1e-5, rel


def test_bulk_labels_encoder_equals_upstream(rt, upstream):
    """300 labels run through the 128-row graph (two calls) and the 25-row one (the remainder): upstream's
    embeddings either way."""
    from validate.reference import upstream_label_embeds

    labels = _labels(300)
    rt.clear_label_cache()
    got = rt.encode_labels(labels)
    want = upstream_label_embeds(upstream, labels).float().numpy()
    assert rt.artifacts.bulk_labels_variant is not None
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_one_text_pass_whatever_the_label_count(rt, tiny_trained_artifacts):
    """The span path runs one text-graph call per window for 300 labels (the real graphs, calls counted); the
    seed's path runs one per 25 labels, to the same entities."""
    from runtime import GLiNERLiteRT

    labels = _labels(300)
    assert _text_graph_calls(rt, TEXTS[0], labels) == ["text_spans_seq256"]
    seed = GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1, span_scoring=False)
    prepared = seed.prepare(TEXTS[0])
    assert len(seed.build_calls(prepared, prepared.windows[0], seed.encode_labels(labels))) == 12
    want = seed.predict_entities(TEXTS[0], labels, threshold=0.3)
    problems, worst = diff(want, rt.predict_entities(TEXTS[0], labels, threshold=0.3), TEXTS[0])
    assert want and not problems and worst <= SCORE_TOL


def test_chunked_scoring_keeps_every_candidate():
    """The score budget changes how many rows are scored at once, never which spans pass or their order."""
    from runtime.scoring import score_candidates

    rng = np.random.default_rng(0)
    reps = rng.normal(size=(500, 16)).astype(np.float32)
    prompts = rng.normal(size=(700, 16)).astype(np.float32) * 0.4
    whole = score_candidates(reps, prompts, 0.7, budget_bytes=1 << 30)
    for budget in (1, 5 * 700 * 3, 5 * 700 * 64):
        rows, classes, probs = score_candidates(reps, prompts, 0.7, budget_bytes=budget)
        np.testing.assert_array_equal(rows, whole[0])
        np.testing.assert_array_equal(classes, whole[1])
        # A one-row chunk is a matrix-vector product to BLAS: float32 rounding may differ by an ulp.
        np.testing.assert_allclose(probs, whole[2], rtol=0, atol=1e-6)
    # The exact float32 decision: every probability > threshold is kept, none at or below it.
    from runtime.decoding import sigmoid

    probs = sigmoid(reps @ prompts.T)
    assert len(whole[0]) == int((probs > np.float32(0.7)).sum()) > 0


# ------------------------------------------------------------------ banks


def test_bank_round_trip(rt, tmp_path):
    labels = _labels(300)
    bank = rt.build_bank(labels)
    path = bank.save(tmp_path / "bank.npz")
    with np.load(path, allow_pickle=False) as z:  # no pickled object anywhere in the file
        meta = json.loads(str(z["meta"][()]))
        assert list(z["labels"]) == labels
        np.testing.assert_array_equal(z["embeds"], rt.encode_labels(labels))
    man = rt.artifacts.manifest
    assert meta["weights_sha256"] == man.source["weights_sha256"]
    assert meta["labels_tokenizer_sha256"] == hashlib.sha256(
        (rt.artifacts.folder / "labels_tokenizer" / "tokenizer.json").read_bytes()).hexdigest()
    assert meta["precision"] == "fp32"
    loaded = rt.load_bank(path)
    assert loaded.labels == tuple(labels)
    np.testing.assert_array_equal(loaded.embeds, bank.embeds)
    for text in TEXTS:
        assert rt.predict_entities(text, loaded, threshold=0.3) == rt.predict_entities(text, labels, threshold=0.3)


def _write_bank(path, labels, embeds, **meta_over):
    """A bank file as LabelBank.save lays it out, its digests computed here from docs/RUNTIME.md's definition."""
    digest = hashlib.sha256()
    for label in labels:
        digest.update(struct.pack("<I", len(label.encode())) + label.encode())
    meta = {"format": "gliner-litert-label-bank", "version": 2, "weights_sha256": "0" * 64, "precision": "fp32",
            "labels_tokenizer_sha256": "0" * 64, "labels_sha256": digest.hexdigest(),
            "embeds_sha256": hashlib.sha256(np.asarray(embeds, "<f4").tobytes()).hexdigest(), **meta_over}
    buf = io.BytesIO()
    np.savez(buf, labels=np.array(labels, dtype=str), embeds=np.asarray(embeds, np.float32),
             meta=np.array(json.dumps(meta)))
    path.write_bytes(buf.getvalue())
    return path


def test_bank_of_another_precision_is_refused_naming_both(rt, rt_int8, tmp_path):
    from runtime.bank import BankError

    path = rt.build_bank(CORE_LABELS).save(tmp_path / "fp32.npz")
    with pytest.raises(BankError, match=r"precision differ.*bank has .*precision fp32.*this model .*precision int8"):
        rt_int8.load_bank(path)
    with pytest.raises(BankError, match="precision fp32.*precision int8"):
        rt_int8.predict_entities(TEXTS[0], rt.build_bank(CORE_LABELS))


def test_bank_of_another_model_is_refused_naming_both(rt, tiny_dir, tmp_path):
    """A bank whose weights are the untrained tiny model's (its real sha256) is refused by tiny-trained."""
    other = hashlib.sha256((tiny_dir / "model.safetensors").read_bytes()).hexdigest()
    mine = rt.artifacts.manifest.source["weights_sha256"]
    assert other != mine
    bank = rt.build_bank(CORE_LABELS)
    path = _write_bank(tmp_path / "other.npz", bank.labels, bank.embeds, weights_sha256=other,
                       labels_tokenizer_sha256=bank.labels_tokenizer_sha256)
    from runtime.bank import BankError

    with pytest.raises(BankError, match=rf"weights_sha256 differ.*bank has weights sha256 {other[:16]}.*this model .* "
                                        rf"has weights sha256 {mine[:16]}"):
        rt.load_bank(path)


@pytest.mark.parametrize("case", ["nan", "count-mismatch", "empty", "pickled", "not-a-bank"])
def test_broken_banks_are_refused(rt, tmp_path, case):
    from runtime.bank import BankError

    good = rt.build_bank(CORE_LABELS)
    ident = {"weights_sha256": good.weights_sha256, "labels_tokenizer_sha256": good.labels_tokenizer_sha256}
    path = tmp_path / f"{case}.npz"
    if case == "nan":
        emb = good.embeds.copy()
        emb[2, 5] = np.nan
        _write_bank(path, good.labels, emb, **ident)
        match = rf"embedding row\(s\) \[2\] \(label '{good.labels[2]}'.*NaN"
    elif case == "count-mismatch":
        _write_bank(path, good.labels[:-1], good.embeds, **ident)
        match = rf"holds {len(good) - 1} labels but embeddings of shape \[{len(good)}, "
    elif case == "empty":
        _write_bank(path, [], np.zeros((0, good.embeds.shape[1])), **ident)
        match = "holds no labels"
    elif case == "pickled":
        buf = io.BytesIO()
        np.savez(buf, labels=np.array(list(good.labels), dtype=object), embeds=good.embeds, meta=np.array("{}"))
        path.write_bytes(buf.getvalue())
        match = "holds pickled objects"
    else:
        path.write_bytes(b"person\norganization\n")
        match = "not a label bank: not the .npz archive"
    with pytest.raises(BankError, match=match):
        rt.load_bank(path)


def test_cli_labels_file_and_bank(tiny_trained_artifacts, tmp_path):
    labels_file = tmp_path / "labels.txt"
    labels_file.write_text("person\n\norganization \nlocation\n", encoding="utf-8")
    bank = tmp_path / "bank.npz"
    cmd = [sys.executable, "-m", "runtime", "--model", str(tiny_trained_artifacts)]
    out = subprocess.run(cmd + ["--labels-file", str(labels_file), "--save-bank", str(bank)], capture_output=True,
                         env=env(), cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr.decode()
    with np.load(bank, allow_pickle=False) as z:
        assert list(z["labels"]) == ["person", "organization", "location"]
    lines = {}
    for how in (["--labels-file", str(labels_file)], ["--bank", str(bank)], ["--labels", "person,organization,location"]):
        out = subprocess.run(cmd + how + [TEXTS[0]], capture_output=True, env=env(), cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr.decode()
        lines[how[0]] = json.loads(out.stdout.decode())["entities"]
    assert lines["--bank"] == lines["--labels-file"] == lines["--labels"] and lines["--bank"]
    out = subprocess.run(cmd + ["--precision", "int8", "--bank", str(bank), TEXTS[0]], capture_output=True, env=env(),
                         cwd=ROOT, timeout=300)
    assert out.returncode == 2 and "precision fp32" in out.stderr.decode() and "precision int8" in out.stderr.decode()


def test_every_variant_name_round_trips():
    """One Variant names every graph: file stem, signature and report row round-trip, none shared."""
    from common.variants import Component, Layout, Precision, Variant, all_variants

    vs = all_variants((64, 256), list(Precision), components=list(Component))  # span and token graphs alike
    assert {v.component for v in vs} == set(Component)
    assert all(Variant.from_stem(str(v)) == v for v in vs)
    for layout in (Layout.BUNDLE, Layout.FILES):
        assert len({v.id_in(layout) for v in vs}) == len(vs)
    assert len({(v.signature, v.precision) for v in vs}) == len(vs)
    for bad in ("text_spans_fp32", "label_prompts64_fp32", "labels_encoder_bulk"):
        with pytest.raises(ValueError, match="names no variant|unknown precision .bulk."):
            Variant.from_stem(bad)


def test_labels_benchmark_writes_json_and_doc(tiny_trained_artifacts, tmp_path):
    """The benchmark runs end to end on the fixture (real graphs, fresh child processes for memory) and its
    Markdown is drawn from its JSON. Times are reported, never asserted."""
    out, doc = tmp_path / "bench.json", tmp_path / "BENCH.md"
    res = subprocess.run([sys.executable, "-m", "scripts.bench.labels", "--artifacts", str(tiny_trained_artifacts),
                          "--name", "fixture", "--json", str(out), "--doc", str(doc), "--runs", "1"],
                         capture_output=True, env=env(), cwd=ROOT, timeout=900)
    assert res.returncode == 0, res.stderr.decode()[-3000:]
    b = json.loads(out.read_text())
    assert set(b["predict"]) == {"25", "1000", "10000"}
    assert all(b["predict"][n]["same_entities_as_seed_path"] for n in ("25", "1000"))
    mem = b["memory"]
    assert mem["10000"]["tokens"] >= 2000 and mem["10000"]["peak_rss"] > 0
    assert mem["10000"]["scores_budget_bytes"] <= 200 * 2**20
    assert b["bank_1000"]["bytes"] > 1000 * 4 * 32  # 1,000 float32 rows of the fixture's width at least
    assert "## fixture (int8" in doc.read_text()


def test_best_label_only_keeps_each_spans_decoded_label():
    """Without multi_label only a span's best passing label can be decoded: the pruned candidates decode to the
    same spans as all of them, ties between equal probabilities going to the first label, as upstream's."""
    from runtime.decoding import decode_candidates
    from runtime.scoring import score_candidates

    rng = np.random.default_rng(1)
    w, k = 60, 12
    s_idx, k_idx = np.nonzero(np.arange(w)[:, None] + np.arange(k)[None, :] < w)
    reps = rng.normal(size=(len(s_idx), 16)).astype(np.float32)
    prompts = (rng.normal(size=(300, 16)) * 0.5).astype(np.float32)
    prompts[7] = prompts[3]  # equal scores: the first label must win
    labels = [f"l{i}" for i in range(300)]
    for flat in (True, False):
        for thr in (0.5, 0.9):
            every = score_candidates(reps, prompts, thr)
            best = score_candidates(reps, prompts, thr, budget_bytes=8 * 300 * 7, best_label_only=True)
            assert len(best[0]) <= len(set(every[0].tolist())) and len(best[0]) > 0
            want = decode_candidates(s_idx[every[0]], k_idx[every[0]], every[1], every[2], w, labels, flat, False)
            got = decode_candidates(s_idx[best[0]], k_idx[best[0]], best[1], best[2], w, labels, flat, False)
            assert got == want and want
