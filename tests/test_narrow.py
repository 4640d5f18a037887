"""A model whose max_width (8) and max_types (10) are not base's (12, 25) converts, validates and runs:
the graphs, the validation harness and the runtime take both from the config (real litert-torch, real LiteRT,
upstream gliner as the reference)."""

from __future__ import annotations

import json

import pytest

from common import manifest as mf
from tests.conftest import CORE_LABELS, load_gliner
from tests.runtime_helpers import EXTRA_TEXTS, SCORE_TOL, diff
from validate.__main__ import main as validate_main
from validate.suite import load_suite

# 8 labels the model knows and 5 it does not, the known ones on both sides of the 10-label group boundary.
LABELS_13 = CORE_LABELS[:6] + ["email", "url", "vehicle", "drug"] + CORE_LABELS[6:] + ["gene"]


def _io(path, signature):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner(signature)
    ins = {n: tuple(int(x) for x in d["shape"]) for n, d in runner.get_input_details().items()}
    outs = {n: tuple(int(x) for x in d["shape"]) for n, d in runner.get_output_details().items()}
    return ins, outs


def test_graphs_take_max_width_and_max_types_from_the_config(narrow_artifacts):
    man = mf.read(narrow_artifacts)
    assert (man.config.max_width, man.config.max_types, man.config.hidden_size) == (8, 10, 32)
    for precision in ("fp32", "int8"):
        path = narrow_artifacts / f"gliner_bi_{precision}.tflite"
        ins, outs = _io(path, "labels_encoder")
        assert ins == {"input_ids": (10, 32), "attention_mask": (10, 32)}
        assert outs == {"labels_embeds": (10, 32)}
        ins, outs = _io(path, "text_encoder_seq256")
        assert ins["labels_embeds"] == (1, 10, 32) and ins["span_idx"] == (1, 256 * 8, 2)
        assert outs == {"logits": (1, 256, 8, 10)}


def test_validate_passes_on_the_narrow_model(narrow_artifacts, narrow_dir, tmp_path):
    """The full suite (rows of up to 25 labels: the harness runs them 10 at a time), fp32 within 1e-5 of
    upstream and int8 entity F1 >= 0.99, as on tiny-trained."""
    code = validate_main(["--model", str(narrow_dir), "--artifacts", str(narrow_artifacts), "--report", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    failing = {r["variant"]: r["failures"] for r in report["results"] if not r["passed"]}
    assert code == 0 and not failing, failing
    # Every graph of the bundle, the labels-independent ones included (their rows at max_types 10, too).
    graphs = ("labels_encoder", "labels_encoder_bulk", "label_prompts", "text_encoder_seq256", "text_spans_seq256")
    assert {r["variant"] for r in report["results"]} == {f"gliner_bi_{p}/{g}" for p in ("fp32", "int8") for g in graphs}
    assert max(len(i.labels) for i in load_suite()) > 10  # some rows did need more than one call


@pytest.fixture(scope="module")
def upstream(narrow_dir):
    return load_gliner(str(narrow_dir))


@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
def test_runtime_equals_upstream_predict_entities(narrow_artifacts, upstream, flat_ner):
    from runtime import GLiNERLiteRT

    rt = GLiNERLiteRT.from_pretrained(narrow_artifacts, "fp32", num_threads=1)
    # Texts of one graph call (a windowed text sees other context than upstream's one pass, by design).
    texts = [t for t in [i.text for i in load_suite()[:60]] + EXTRA_TEXTS if len(rt.prepare(t).windows) == 1]
    failures, n_ents, max_diff, widths = [], 0, 0.0, set()
    for i, text in enumerate(texts):
        want = upstream.predict_entities(text, LABELS_13, threshold=0.3, flat_ner=flat_ner)
        got = rt.predict_entities(text, LABELS_13, threshold=0.3, flat_ner=flat_ner)
        problems, d = diff(want, got, text)
        failures += [f"text {i}: {p}" for p in problems]
        n_ents, max_diff = n_ents + len(want), max(max_diff, d)
        widths |= {len(e["text"].split()) for e in want}
    assert not failures, "\n".join(failures)
    assert max_diff <= SCORE_TOL
    assert n_ents > len(texts)  # the trained model finds entities: the comparison is not vacuous
    # Labels of both groups were found (the second group holds 'event', 'disease', 'money' of the first 8).
    found = {e["label"] for t in texts for e in upstream.predict_entities(t, LABELS_13, threshold=0.3)}
    assert found & set(LABELS_13[:10]) and found & set(LABELS_13[10:]), found


def test_window_overlap_floor_follows_max_width(narrow_artifacts):
    from runtime import GLiNERLiteRT

    with pytest.raises(ValueError, match=r"window_overlap must be a whole number of words >= 16 \(2 \* config.max_width 8"):
        GLiNERLiteRT.from_pretrained(narrow_artifacts, "fp32", window_overlap=15)
    GLiNERLiteRT.from_pretrained(narrow_artifacts, "fp32", window_overlap=16)
