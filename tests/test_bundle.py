"""The bundle layout: one .tflite per precision whose signatures are every graph, weights stored once."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from common import manifest as mf
from common.inputs import input_shapes, output_shape
from common.tflite import live_peak_bytes, sha256_file, signatures_io, widest_op
from common.variants import Component, Layout, Precision, Variant, all_variants, bundle_file_name
from tests.conftest import TEST_SEQ_LENS, convert_into


@pytest.mark.parametrize("precision", list(Precision), ids=str)
def test_bundle_signatures_equal_the_manifest_and_the_contract(tiny_trained_artifacts, precision):
    man = mf.read(tiny_trained_artifacts)
    art = man.artifacts[bundle_file_name(precision).removesuffix(".tflite")]
    assert art.layout is Layout.BUNDLE and art.sha256 == sha256_file(tiny_trained_artifacts / art.file)
    # Every component: the seed's graphs and the labels-independent ones (issue 14).
    want = all_variants(TEST_SEQ_LENS, [precision])
    assert {v.component for v in want} == {c for c in Component if c.serves("markerV0")}
    assert [g.variant for g in art.graphs] == want
    sigs = signatures_io(tiny_trained_artifacts / art.file)
    assert sorted(sigs) == sorted(v.signature for v in want) == sorted(g.signature for g in art.graphs)
    for g in art.graphs:
        inputs, outputs = sigs[g.signature]
        assert [(t.name, list(t.shape), t.dtype) for t in g.inputs] == [(i["name"], i["shape"], i["dtype"]) for i in inputs]
        assert [(t.name, list(t.shape), t.dtype) for t in g.outputs] == [(o["name"], o["shape"], o["dtype"]) for o in outputs]
        v, cfg = g.variant, man.config
        assert {t.name: t.shape for t in g.inputs} == input_shapes(v.component, v.seq_len, cfg.max_width, cfg.hidden_size, cfg.max_types)
        assert [t.shape for t in g.outputs] == [output_shape(v.component, v.seq_len, cfg.max_width, cfg.hidden_size, cfg.max_types)]


@pytest.mark.parametrize("precision", list(Precision), ids=str)
def test_every_concatenation_is_one_xnnpack_runs(tiny_trained_artifacts, precision):
    """A CONCATENATION of more than five inputs (or more than six dimensions) stays off XNNPACK and keeps all its
    inputs alive at once (the span head's 12-way stacks cost +450 MiB at S=4096 base, wrappers/stacking.py): no
    graph has one."""
    from wrappers.stacking import MAX_INPUTS

    widths = widest_op(tiny_trained_artifacts / bundle_file_name(precision), "CONCATENATION")
    assert set(widths) == {v.signature for v in all_variants(TEST_SEQ_LENS, [precision])}
    assert max(n for n, _ in widths.values()) > 1  # the stacks are there, each within XNNPACK's limits
    assert {s: w for s, w in widths.items() if w[0] > MAX_INPUTS or w[1] > 6} == {}


def test_live_peak_counts_the_activations_an_arena_needs(tiny_trained_artifacts):
    """live_peak_bytes (docs/LONG-TEXTS.md's `ideal`): at least the graph's inputs and output (all alive when the
    last op runs: sizes from the interpreter), more for a larger bucket, an error for a signature not there."""
    path = tiny_trained_artifacts / bundle_file_name(Precision.FP32)
    sigs = signatures_io(path)
    peaks = []
    for s in TEST_SEQ_LENS:
        name = f"text_encoder_seq{s}"
        inputs, outputs = sigs[name]
        io_bytes = sum(int(np.prod(t["shape"])) * np.dtype(t["dtype"]).itemsize for t in inputs + outputs)
        peak = live_peak_bytes(path, name)
        assert io_bytes < peak, (s, io_bytes, peak)
        peaks.append(peak)
    assert peaks == sorted(peaks) and peaks[0] < peaks[-1]
    with pytest.raises(ValueError, match="no signature"):
        live_peak_bytes(path, "text_encoder_seq3")


def _random_feeds(details: dict, rng) -> dict:
    """Valid inputs by name, int32 (the bundle's); `_as` casts them to another graph's dtypes."""
    feeds = {}
    for name, d in details.items():
        shape = tuple(int(x) for x in d["shape"])
        if name == "labels_embeds":
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
        elif name in ("attention_mask", "word_valid_mask"):
            feeds[name] = (np.arange(shape[-1]) < shape[-1] * 3 // 4).astype(np.int32) * np.ones(shape, np.int32)
        elif name == "span_idx":
            feeds[name] = rng.integers(0, shape[1] // 20, size=shape).astype(np.int32)
        else:
            feeds[name] = rng.integers(0, 50, size=shape).astype(np.int32)
    return feeds


def _as(feeds: dict, runner) -> dict:
    return {n: a.astype(runner.get_input_details()[n]["dtype"]) for n, a in feeds.items()}


@pytest.mark.parametrize("precision", list(Precision), ids=str)
def test_each_bundle_signature_equals_its_per_bucket_file(tiny_trained_artifacts, precision):
    """Same graph, same weights: a bundle signature's output is bit-identical to the seed-named file's."""
    from ai_edge_litert.interpreter import Interpreter

    man = mf.read(tiny_trained_artifacts)
    bundle = Interpreter(model_path=str(tiny_trained_artifacts / bundle_file_name(precision)))
    rng = np.random.default_rng(0)
    for v in [Variant(Component.LABELS, precision)] + [Variant(Component.TEXT, precision, s) for s in TEST_SEQ_LENS]:
        art, graph = man.find(v, Layout.FILES)
        single = Interpreter(model_path=str(tiny_trained_artifacts / art.file)).get_signature_runner(graph.signature)
        feeds = _random_feeds(single.get_input_details(), rng)
        # The same values in each file's dtypes: int64 / float32 for the seed file, int32 for the bundle.
        want = single(**_as(feeds, single))
        runner = bundle.get_signature_runner(v.signature)
        got = runner(**_as(feeds, runner))
        for name in want:
            assert np.array_equal(got[name], want[name]), (str(v), name)


def test_int8_bundle_stores_the_weights_once(tiny_trained_artifacts):
    """The text weights are shared by the buckets: the bundle is far smaller than the files it replaces."""
    man = mf.read(tiny_trained_artifacts)
    for p in Precision:
        bundle = man.artifacts[bundle_file_name(p).removesuffix(".tflite")].bytes
        seed_files = [a for a in man.artifacts.values() if a.layout is Layout.FILES and a.precision is p]
        files = sum(a.bytes for a in seed_files)
        graphs = len(man.artifacts[bundle_file_name(p).removesuffix(".tflite")].graphs)
        one_text = man.find(Variant(Component.TEXT, p, TEST_SEQ_LENS[0]), Layout.FILES)[0].bytes
        labels = man.find(Variant(Component.LABELS, p), Layout.FILES)[0].bytes
        # Per graph: the bundle also holds the span graphs the seed's files do not have.
        assert bundle / graphs < files / len(seed_files), (p, bundle, graphs, files, len(seed_files))
        # Each extra signature adds its ops, not its weights (tiny's weights are small, so ops weigh more here
        # than at full size; docs/BENCHMARKS.md has the full-size ratio). Each bucket holds two graphs (logits,
        # span representations) and the labels side three (25 rows, 128 rows, prompts): 2x, not 1.5x.
        assert bundle < 2.0 * (one_text + labels), (p, bundle, one_text + labels)


def test_second_bundle_convert_is_skipped(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    folder = shutil.copytree(tiny_trained_artifacts, tmp_path / "copy", copy_function=shutil.copy2)  # mtimes kept
    path = folder / bundle_file_name(Precision.INT8)
    before = (path.stat().st_mtime_ns, sha256_file(path))
    lines = []
    convert_into(tiny_trained_dir, folder, log=lines.append, layouts=("bundle", "files"))
    assert (path.stat().st_mtime_ns, sha256_file(path)) == before
    assert any("up to date" in line for line in lines), lines


def test_a_bundle_with_other_buckets_is_replaced(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    """The shared folder's fp32 bundle (buckets 256 and 512) asked again for 256 alone: one conversion, and the
    bundle left holds exactly the new plan's graphs."""
    out = shutil.copytree(tiny_trained_artifacts, tmp_path / "b")
    assert "text_encoder_seq512" in signatures_io(out / "gliner_bi_fp32.tflite")
    convert_into(tiny_trained_dir, out, seq_lens=(256,), precisions=("fp32",), layouts=("bundle",))
    man = mf.read(out)
    assert [s for s, a in man.artifacts.items() if a.layout.value == "bundle"] == ["gliner_bi_fp32", "gliner_bi_int8",
                                                                                 "gliner_bi_int8w"]
    assert sorted(signatures_io(out / "gliner_bi_fp32.tflite")) == [
        "label_prompts", "labels_encoder", "labels_encoder_bulk", "text_encoder_seq256", "text_spans_seq256"]
    assert sorted(g.signature for g in man.artifacts["gliner_bi_fp32"].graphs) == sorted(
        signatures_io(out / "gliner_bi_fp32.tflite"))


def test_old_schema_folder_is_refused_with_the_fix(tiny_trained_artifacts, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(tiny_trained_artifacts, folder)
    data = json.loads((folder / mf.MANIFEST).read_text())
    data["schema_version"] = 1
    (folder / mf.MANIFEST).write_text(json.dumps(data))
    with pytest.raises(mf.ManifestError, match="schema 1.*reconvert.*--force"):
        mf.read(folder)
