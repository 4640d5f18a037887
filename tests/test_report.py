"""report.md drawn from a hand-made report dict, and the reproduce command of a failing row (no model)."""

from __future__ import annotations

import dataclasses

import shlex
from pathlib import Path

from common import manifest as mf
from common.variants import Component, Layout, Precision, Variant
from validate.report import render_markdown, reproduce_command

REPRODUCE = ("python -m validate --model m --artifacts a --thresholds 0.3 --threads 1 --report a/report/reproduce/"
             "text_encoder_seq256_int8 --only text_encoder_seq256_int8 labels_encoder_int8")


def _text_stats(max_abs, mean_abs, rel, flips, f1):
    return {"items": 7, "max_abs_diff": max_abs, "mean_abs_diff": mean_abs, "relative_error": rel, "nonfinite": 0,
            "decision_points": 900, "flips": {"0.3": flips}, "entities": {"0.3": {"f1": f1}}}


REPORT = {
    "model": "m", "artifacts": "a", "suite_version": "v1", "thresholds": [0.3],
    "meta": {"suite_cases": 7, "suite_limit": None}, "summary": {"passed": 1, "failed": 1},
    "results": [
        {"variant": "labels_encoder_int8", "component": "labels", "precision": "int8", "file": "labels_encoder_int8.tflite",
         "bytes": 2_500_000, "status": "within tolerance", "passed": True, "failures": [], "reproduce": None,
         "judged": ["min cosine >= 0.99"], "tolerance": {"why": "int8 by design"}, "timing_ms": {"median": 1.26},
         "stats": {"labels": {"labels": 12, "max_abs": 0.00918, "min_cosine": 0.9999461, "relative_error": 0.00414,
                              "nonfinite": 0}}},
        {"variant": "text_encoder_seq256_int8", "component": "text", "precision": "int8",
         "file": "text_encoder_seq256_int8.tflite", "bytes": 480_000, "status": "shapes matched", "passed": False,
         "failures": ["[upstream_labels] entity F1 0.0043 at 0.3 < 0.99"], "reproduce": REPRODUCE,
         "judged": ["entity F1 >= 0.99 (upstream_labels, tflite_labels)"], "tolerance": {"why": "int8 by design"},
         "timing_ms": {"median": 3.5},
         "stats": {"upstream_labels": _text_stats(4.47, 0.0123, 0.011, 28, 0.0043),
                   "tflite_labels": _text_stats(4.5, 0.0124, 0.012, 31, 0.0051)}},
    ],
}


def _row(md: str, file: str) -> list[str]:
    line = next(x for x in md.splitlines() if x.startswith(f"| {file} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_failing_row_renders_its_failure_and_reproduce_line():
    md = render_markdown(REPORT)
    assert "1 passed, 1 failed." in md
    failures = md[md.index("## Failures"):]
    assert "- `text_encoder_seq256_int8` (shapes matched):" in failures
    assert "  - [upstream_labels] entity F1 0.0043 at 0.3 < 0.99" in failures
    assert f"  - reproduce: `{REPRODUCE}`" in failures
    assert "- `labels_encoder_int8`" not in failures  # a passing row has none


def test_table_numbers_are_the_reports():
    md = render_markdown(REPORT)
    text = _row(md, "text_encoder_seq256_int8.tflite")
    # artifact, MB, status, inputs, max abs, mean abs, rel, NaN, flips @0.3, entity F1 @0.3, median ms
    assert text == ["text_encoder_seq256_int8.tflite", "0.5", "**FAIL**", "7", "4.47e+00", "1.23e-02", "1.10e-02",
                    "0", "28 / 31 of 900", "0.0043 / 0.0051", "3.5"]
    labels = _row(md, "labels_encoder_int8.tflite")
    assert labels == ["labels_encoder_int8.tflite", "2.5", "pass", "12 labels", "9.18e-03", "min cos 0.9999461",
                      "4.14e-03", "0", "–", "–", "1.3"]
    assert "- **text int8**: entity F1 >= 0.99 (upstream_labels, tflite_labels). Why: int8 by design." in md


def test_bundle_rows_name_their_graph_and_prompts_rows_their_statistics():
    """Rows of one bundle share its file, so each is named bundle/signature; the prompts graph's row shows its
    prompt statistics (it rendered as an empty text row before)."""
    prompts = {"variant": "gliner_bi_int8/label_prompts", "component": "prompts", "precision": "int8",
               "layout": "bundle", "file": "gliner_bi_int8.tflite", "bytes": 2_500_000, "status": "within tolerance",
               "passed": True, "failures": [], "reproduce": None, "judged": [], "tolerance": {"why": "int8"},
               "timing_ms": {"median": 0.42},
               "stats": {"prompts": {"labels": 9, "max_abs": 0.0031, "min_cosine": 0.9999871, "relative_error": 0.002,
                                     "nonfinite": 0}}}
    text = dict(REPORT["results"][1], variant="gliner_bi_int8/text_encoder_seq256", layout="bundle",
                file="gliner_bi_int8.tflite")
    md = render_markdown(dict(REPORT, results=[prompts, text]))
    assert _row(md, "gliner_bi_int8/label_prompts") == ["gliner_bi_int8/label_prompts", "2.5", "pass", "9 labels",
                                                         "3.10e-03", "min cos 0.9999871", "2.00e-03", "0", "–", "–",
                                                         "0.4"]
    assert _row(md, "gliner_bi_int8/text_encoder_seq256")[3:5] == ["7", "4.47e+00"]


def _manifest(*variants: Variant) -> mf.Manifest:
    arts = {}
    for v in variants:
        g = mf.Graph(v, "serving_default", (mf.TensorSpec("x", (1,), "int32"),), (mf.TensorSpec("y", (1,), "float32"),), 32)
        arts[v.stem] = mf.ArtifactFile(v.file_name, "0" * 64, 1, v.precision, Layout.FILES, (g,), key="k")
    cfg = mf.ModelConfig(12, 25, 32, 600, "whitespace", "markerV0", "first", 32, 0)
    return mf.Manifest(source={"weights_sha256": "0" * 64}, config=cfg, files={}, tools={}, platform={}, artifacts=arts)


def test_reproduce_command_carries_the_run_and_the_labels_encoder():
    text = Variant(Component.TEXT, Precision.INT8, 256)
    labels = Variant(Component.LABELS, Precision.INT8)
    run = ["python", "-m", "validate", "--model", "my model", "--artifacts", "a", "--thresholds", "0.4",
           "--threads", "1", "--suite-limit", "40", "--random-weights"]
    cmd = reproduce_command(run, text, _manifest(labels, text), Path("r"))
    assert shlex.split(cmd) == [*run, "--report", "r/reproduce/text_encoder_seq256_int8",
                                "--only", "text_encoder_seq256_int8", "labels_encoder_int8"]
    # No labels encoder of that precision in the folder: the text graph alone.
    assert shlex.split(reproduce_command(run, text, _manifest(text), Path("r")))[-2:] == ["--only", "text_encoder_seq256_int8"]
    # A labels row reproduces alone.
    assert shlex.split(reproduce_command(run, labels, _manifest(labels, text), Path("r")))[-2:] == [
        "--only", "labels_encoder_int8"]


def test_reproduce_command_names_a_bundle_row_by_its_signature():
    text = Variant(Component.TEXT, Precision.INT8, 256)
    labels = Variant(Component.LABELS, Precision.INT8)
    man = _manifest(labels, text)
    for a in list(man.artifacts.values()):
        man.artifacts[a.file] = dataclasses.replace(a, layout=Layout.BUNDLE)
    cmd = shlex.split(reproduce_command(["python", "-m", "validate"], text, man, Path("r"), Layout.BUNDLE))
    assert cmd == ["python", "-m", "validate", "--report", "r/reproduce/gliner_bi_int8/text_encoder_seq256", "--only",
                   "gliner_bi_int8/text_encoder_seq256", "gliner_bi_int8/labels_encoder"]
