"""The benchmark (`python -m scripts.bench`) runs on tiny artifacts and writes bench.json and the Markdown it renders.

No timing is asserted: only that every measurement exists, is a positive number and that the document is drawn
from bench.json alone. The renderer is also tested on its own, on a hand-made bench.json and the committed ones.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scripts.bench.render import render_markdown
from tests.conftest import ROOT

BENCH = [sys.executable, "-m", "scripts.bench"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory, tiny_trained_dir, tiny_trained_artifacts):
    out = tmp_path_factory.mktemp("bench")
    cmd = BENCH + [
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
    # --quick: every labels-side graph of the bundle and the smallest bucket's logits and span graphs, in both
    # precisions asked for (the 128-row graph fed 128 labels, the prompts graph 128 embeddings)
    assert seen == {(c, s, p) for p in ("fp32", "int8") for c, s in (
        ("labels", None), ("labels_bulk", None), ("prompts", None), ("text", 256), ("spans", 256))}
    assert b["settings"]["engine"] == "compiled_model"  # what the runtime runs, not an Interpreter
    bulk = next(g for g in b["graphs"] if g["component"] == "labels_bulk")
    assert bulk["input"]["labels"] == 128
    for g in b["graphs"]:
        assert g["bytes"] > 0 and g["flops"] > 0
        assert g["rss"]["peak_bytes"] > 0 and g["rss"]["bare_process_bytes"] > 0
        assert [r["threads"] for r in g["litert"]] == [1]
        for r in g["litert"]:
            _positive_stats(r)
            assert r["gflops_per_s"] > 0 and r["fraction_of_peak"] > 0
            # the ceiling is measured beside each graph, and the share is taken against that very sample
            assert r["fraction_of_peak"] == pytest.approx(r["gflops_per_s"] / r["ceiling"]["gflops_per_s"])
            # Upstream has a call of its own for the labels encoders and the logits graph only
            compared = g["component"] in ("labels", "labels_bulk", "text")
            assert set(r.get("vs", {})) == ({"torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8"} if compared
                                            else set())
            assert all(v > 0 for v in r.get("vs", {}).values())
    text = [g for g in b["graphs"] if g["component"] == "text"][0]
    assert 0.8 * 256 <= text["input"]["tokens"] <= 0.9 * 256  # a text filling ~90% of the bucket


def test_baselines_and_peak(bench_run):
    _, b, _ = bench_run
    runtimes = {(x["component"], x["runtime"]) for x in b["baselines"]}
    assert runtimes == {
        (c, r) for c in ("labels", "labels_bulk", "text")
        for r in ("torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8")
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
    # The bench's few labels (at most max_types) take the logits graph on a bundle, whose stages these are.
    assert e2e["available"] and e2e["stages_of"] == "runtime"
    assert {(r["precision"], r["target_words"]) for r in e2e["rows"]} == {
        (p, n) for p in ("fp32", "int8") for n in (10, 40)
    }
    for r in e2e["rows"]:
        _positive_stats(r["total"])
        assert set(r["stages"]) == {"split_tokenize", "labels_cold", "labels_cached", "inputs", "text_graph", "decode"}
        for s in r["stages"].values():
            _positive_stats(s)
        assert r["entities_match"], "the runtime's stages, timed one by one, must return predict_entities' entities"


def test_render_only(bench_run, tmp_path):
    out, b, _ = bench_run
    doc = tmp_path / "again.md"
    res = subprocess.run(
        BENCH + ["--render-only", str(out / "bench.json"), "--doc", str(doc)],
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


# ------------------------------------------------------------------------------------------- the renderer alone


def _stats(median: float) -> dict:
    return {"median_ms": median, "p90_ms": median * 1.5, "min_ms": median / 2, "runs": 3}


def _hand_made_bench() -> dict:
    """A bench.json with one graph, one baseline, one ceiling and one end-to-end row, numbers easy to spot."""
    stages = {s: _stats(0.25) for s in ("split_tokenize", "labels_cold", "labels_cached", "inputs", "decode")}
    stages["text_graph"] = _stats(41.5)
    return {
        "schema_version": 1,
        "created": "2030-01-02T03:04:05Z",
        "command": "python -m scripts.bench --model m --artifacts a",
        "machine": {
            "cpu": "Test CPU 9000", "arch": "x86_64", "logical_cpus": 2, "physical_cores": 1, "usable_cpus": 2,
            "simd": ["avx2"], "ram_bytes": 8 * 2**30, "os": "TestOS", "kernel": "6.0",
            "load_avg_start": [0.5, 0.5, 0.5], "load_avg_end": [1.0, 1.0, 1.0],
        },
        "tools": {"python": "3.11.7", "ai-edge-litert": "2.3.0"},
        "model": {"source": "m", "artifacts": "a", "weights_sha256": "0" * 64, "config": {}},
        "settings": {
            "runs": 7, "warmup": 1, "e2e_runs": 3, "threads": [2], "precisions": ["int8"], "labels": ["person"],
            "fill": 0.9, "quick": False, "max_seq_len": None, "compare_max_seq_len": 2048, "skip_torch": False,
            "skip_onnx": False,
        },
        "graphs": [
            {
                "variant": "text_encoder_seq256_int8", "component": "text", "seq_len": 256, "precision": "int8",
                "file": "text_encoder_seq256_int8.tflite", "bytes": 161_680_000, "flops": 64_091_000_000,
                "input": {"tokens": 230, "words": 87, "labels": 1},
                "litert": [
                    {
                        "threads": 2, **_stats(138.0), "ceiling": {"median_ms": 5.0, "gflops_per_s": 1497.0},
                        "vs": {"torch_upstream": 0.25}, "gflops_per_s": 465.7, "fraction_of_peak": 0.31,
                    }
                ],
                "rss": {"threads": 2, "peak_bytes": 455 * 2**20, "bare_process_bytes": 48 * 2**20,
                        "graph_bytes": 407 * 2**20},
            }
        ],
        "baselines": [
            {"runtime": "torch_upstream", "component": "text", "seq_len": 256, "threads": 2,
             "input": {"tokens": 231, "words": 87}, **_stats(552.0)},
        ],
        "peak_fc": [
            {
                "precision": "int8", "threads": 2, "shape": [1024, 768, 3072], "recipe": "dynamic_wi8_afp32",
                "ops": ["FULLY_CONNECTED"], "flops": 4_831_838_208, **_stats(3.2), "gflops_per_s": 1510.0,
                "beside_graphs_gflops_per_s": [1497.0], "beside_graphs_median_gflops_per_s": 1497.0,
            }
        ],
        "end_to_end": {
            "available": True, "note": None, "stages_of": "runtime", "labels": ["person"], "skipped": [],
            "rows": [
                {
                    "precision": "int8", "threads": 2, "target_words": 40, "words": 40, "tokens": 77, "windows": 1,
                    "buckets": [256], "total": _stats(43.25), "stages": stages, "stages_sum_ms": 42.5,
                    "entities": 5, "entities_match": True,
                }
            ],
        },
        "notes": ["a note for the reader"],
    }


def test_render_hand_made_bench():
    md = render_markdown(_hand_made_bench())
    rows = [line for line in md.splitlines() if line.startswith("| text S=256 | int8 |")]
    # graph row: MB, input, threads, median, p90, RSS (over bare), GFLOP, GFLOP/s, ceiling, share, run-median share
    assert "| 161.68 | 230 tok / 87 words | 2 | 138 | 207 | 455.0 (407.0) | 64.091 | 465.7 | 1497 | 31% | 31% |" in (
        rows[0]
    )
    assert "| text S=256 | 2 | 138 | 552 | - | - | - |" in md  # latencies beside PyTorch upstream
    assert "| text S=256 | 2 | LiteRT int8 | 0.25 | - | - | - |" in md  # the ratio
    assert "S=256: 231 tok / 87 words" in md
    assert "| int8 | `dynamic_wi8_afp32` | FULLY_CONNECTED | 2 | 1024x768x3072 | 4.83 | 3.20 | 1510.0 | " in md
    assert "| 1497 / 1497 / 1497 (1) |" in md
    assert "| int8 | 2 | 40 | 77 | 1 | 256 | 43.2 | 64.9 | 0.250 | 0.250 | 0.250 | 0.250 | 41.5 | 0.250 | 42.5 | 5 | yes |" in md
    assert "time the runtime's own public stages" in md
    assert "Test CPU 9000 (x86_64)" in md and "8.0 GiB" in md and "- a note for the reader" in md


def test_render_old_end_to_end_and_skips():
    b = _hand_made_bench()
    del b["end_to_end"]["stages_of"]  # a schema-1 file from before the runtime's stages were public
    assert "time a pipeline rebuilt from the runtime's pieces" in render_markdown(b)
    b["baselines"] = []
    b["end_to_end"] = {"available": False, "note": "runtime missing", "rows": [], "skipped": []}
    md = render_markdown(b)
    assert "Not measured in this run (see notes)." in md and "Skipped: runtime missing." in md


@pytest.mark.parametrize("name, doc", [("base-random", "BENCHMARKS.md"), ("tiny-trained", "BENCHMARKS-tiny-trained.md")])
def test_committed_documents_are_rendered_from_committed_json(name, doc):
    b = json.loads((ROOT / "docs" / f"bench-{name}.json").read_text())
    assert render_markdown(b) == (ROOT / "docs" / doc).read_text()
