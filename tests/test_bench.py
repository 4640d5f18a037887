"""Smoke test of scripts/bench.py: it runs on tiny artifacts and writes bench.json and the Markdown it renders.

No timing is asserted: only that every measurement exists, is a positive number and that the document is drawn
from bench.json alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory, tiny_trained_dir, tiny_trained_artifacts):
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable,
        str(BENCH),
        "--model",
        str(tiny_trained_dir),
        "--artifacts",
        str(tiny_trained_artifacts),
        "--runs",
        "2",
        "--warmup",
        "1",
        "--quick",
        "--threads",
        "1",
        "--precisions",
        "fp32",
        "int8",
        "--e2e-words",
        "10",
        "40",
        "--out",
        str(out / "bench.json"),
        "--doc",
        str(out / "BENCHMARKS.md"),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out, json.loads((out / "bench.json").read_text()), res.stdout


def _positive_stats(d: dict) -> None:
    assert d["runs"] >= 1
    for k in ("median_ms", "p90_ms", "min_ms"):
        assert d[k] > 0, k


def test_graphs(bench_run):
    _, b, stdout = bench_run
    assert "[bench]" in stdout  # progress lines
    seen = {(g["component"], g["seq_len"], g["precision"]) for g in b["graphs"]}
    # --quick: the labels encoder and the smallest text bucket, in both precisions asked for
    assert seen == {("labels", None, "fp32"), ("labels", None, "int8"), ("text", 256, "fp32"), ("text", 256, "int8")}
    for g in b["graphs"]:
        assert g["bytes"] > 0 and g["flops"] > 0
        assert g["rss"]["peak_bytes"] > 0 and g["rss"]["bare_process_bytes"] > 0
        assert [r["threads"] for r in g["litert"]] == [1]
        for r in g["litert"]:
            _positive_stats(r)
            assert r["gflops_per_s"] > 0 and r["fraction_of_peak"] > 0
            # the ceiling is measured beside each graph, and the share is taken against that very sample
            assert r["fraction_of_peak"] == pytest.approx(r["gflops_per_s"] / r["ceiling"]["gflops_per_s"])
            assert set(r["vs"]) == {"torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8"}
            assert all(v > 0 for v in r["vs"].values())
    text = [g for g in b["graphs"] if g["component"] == "text"][0]
    assert 0.8 * 256 <= text["input"]["tokens"] <= 0.9 * 256  # a text filling ~90% of the bucket


def test_baselines_and_peak(bench_run):
    _, b, _ = bench_run
    runtimes = {(x["component"], x["runtime"]) for x in b["baselines"]}
    assert runtimes == {
        (c, r) for c in ("labels", "text") for r in ("torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8")
    }
    for x in b["baselines"]:
        _positive_stats(x)
        if x["runtime"].startswith("ort"):
            assert x["bytes"] > 0 and x["exporter"] in ("dynamo", "torchscript")
    assert {p["precision"] for p in b["peak_fc"]} == {"fp32", "int8"}
    for p in b["peak_fc"]:
        _positive_stats(p)
        assert p["flops"] == 2 * p["shape"][0] * p["shape"][1] * p["shape"][2]
        assert "FULLY_CONNECTED" in p["ops"]
        graphs_here = [g for g in b["graphs"] if g["precision"] == p["precision"]]
        assert len(p["beside_graphs_gflops_per_s"]) == len(graphs_here)  # one sample per graph at 1 thread
    # The int8 ceiling must run the encoder layers' kernel (dynamic int8: no DEQUANTIZE before the FC), not the
    # head's weight-only one, which XNNPACK runs in float and which made int8 graphs look 2-4x "above" peak.
    int8 = [p for p in b["peak_fc"] if p["precision"] == "int8"]
    assert all(p["recipe"] == "dynamic_wi8_afp32" and "DEQUANTIZE" not in p["ops"] for p in int8)


def test_machine_and_end_to_end(bench_run):
    _, b, _ = bench_run
    assert b["schema_version"] == 1
    assert b["machine"]["cpu"] and b["machine"]["logical_cpus"] >= 1 and b["machine"]["ram_bytes"] > 0
    assert b["tools"]["ai-edge-litert"] != "missing"
    e2e = b["end_to_end"]
    if not e2e["available"]:
        pytest.skip(f"runtime not available: {e2e['note']}")
    assert {(r["precision"], r["target_words"]) for r in e2e["rows"]} == {
        (p, n) for p in ("fp32", "int8") for n in (10, 40)
    }
    for r in e2e["rows"]:
        _positive_stats(r["total"])
        assert set(r["stages"]) == {"split_tokenize", "labels_cold", "labels_cached", "inputs", "text_graph", "decode"}
        for s in r["stages"].values():
            _positive_stats(s)
        assert r["entities_match"], "the staged pipeline must return predict_entities' entities"


def test_render_only(bench_run, tmp_path):
    out, b, _ = bench_run
    doc = tmp_path / "again.md"
    res = subprocess.run(
        [sys.executable, str(BENCH), "--render-only", str(out / "bench.json"), "--doc", str(doc)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    md = doc.read_text()
    assert md == (out / "BENCHMARKS.md").read_text()  # the document is a function of bench.json
    for heading in (
        "## Machine",
        "## LiteRT graphs",
        "## Against PyTorch and ONNX Runtime",
        "## How close to the machine",
        "## End to end",
    ):
        assert heading in md
    assert b["machine"]["cpu"] in md
