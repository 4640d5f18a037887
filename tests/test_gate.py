"""The CI parity gate: `python -m validate` on the converted tiny-trained, the full suite, every graph of both
layouts, as CI runs it; its report and the model card drawn from it."""

from __future__ import annotations

import json

import pytest

from common import manifest as mf
from common.variants import Component, Variant
from validate.__main__ import main as validate_main


@pytest.fixture(scope="session")
def gate_report(tiny_trained_artifacts, tiny_trained_dir, tmp_path_factory):
    """`python -m validate` on the converted tiny-trained: the full suite, every artifact, as CI runs it."""
    out = tmp_path_factory.mktemp("report")
    code = validate_main(["--model", str(tiny_trained_dir), "--artifacts", str(tiny_trained_artifacts),
                          "--report", str(out)])
    return code, json.loads((out / "report.json").read_text()), out


def test_parity_gate_passes_on_tiny_trained(gate_report):
    code, report, _ = gate_report
    failing = {r["variant"]: r["failures"] for r in report["results"] if not r["passed"]}
    assert code == 0 and not failing, failing


def test_report_schema_and_rendering(gate_report, tiny_trained_artifacts):
    _, report, out = gate_report
    assert report["schema_version"] == 1 and report["suite_version"] == "v1"
    assert report["thresholds"] == [0.3, 0.5]
    assert {"tools", "machine", "python"} <= set(report["environment"])
    man = mf.read(tiny_trained_artifacts)
    listed = {g.variant.id_in(a.layout) for a, g in man.graphs()}  # every graph of both layouts: one row each
    assert {r["variant"] for r in report["results"]} == listed and len(report["results"]) == len(listed)
    for r in report["results"]:
        if r["layout"] == "bundle" and Component(r["component"]).in_seed:  # the seed's graphs have a seed file
            seed_file = Variant.from_stem(f"{r['variant'].split('/')[1]}_{r['precision']}").file_name
            assert f"bit-identical to {seed_file}" in r["judged"], r["judged"]
        assert r["status"] == "within tolerance" and r["reproduce"] is None
        if r["component"] in ("text", "spans"):  # spans: scored on the host against prompts, judged alike
            for path in ("upstream_labels", "tflite_labels"):
                st = r["stats"][path]
                assert st["items"] > 150 and st["nonfinite"] == 0
                assert set(st["entities"]) == {"0.3", "0.5"}
            if r["precision"] == "fp32":
                assert r["stats"]["upstream_labels"]["relative_error"] <= 1e-5
                # The trained fixture makes real decisions: entities exist to agree on.
                assert r["stats"]["tflite_labels"]["entities"]["0.5"]["reference_entities"] > 100
    # Every graph of the bundle has its row, the labels-independent ones too (issue 14).
    span_graphs = {c.value for c in Component if c.serves("markerV0")}
    assert {r["component"] for r in report["results"] if r["layout"] == "bundle"} == span_graphs
    md = (out / "report.md").read_text()
    for r in report["results"]:  # a row per graph: a bundle's by bundle/signature (they share one file)
        assert f"| {r['variant'] if r['layout'] == 'bundle' else r['file']} |" in md
    assert (out / "abs_diff_by_precision.png").stat().st_size > 0
    assert (out / "flips_by_variant.png").stat().st_size > 0


def test_card_from_the_gate_report(gate_report, tiny_trained_artifacts):
    """The model card drawn from a real report.json: every number in it is the report's, every row passes."""
    from tests.test_card import assert_card_table_equals_report
    from validate import card

    _, report, _ = gate_report
    text = card.render(tiny_trained_artifacts, mf.read(tiny_trained_artifacts), report)
    assert "out of date" not in text and "Not validated" not in text
    assert_card_table_equals_report(text, report)
    assert f"{report['summary']['passed']} passed, {report['summary']['failed']} failed" in text


