"""The validation harness has teeth: broken, tampered or vacuous artifacts are reported failing (the gate
itself, on the whole suite, is tests/test_gate.py)."""

from __future__ import annotations

import copy
import dataclasses
import json
import shlex
import shutil
from pathlib import Path

import pytest
import torch

from common import manifest as mf
from common.variants import Variant
from common.tflite import sha256_file
from tests.cli import run_cli
from tests.conftest import convert_into, load_gliner
from validate import harness
from validate.__main__ import main as validate_main
from validate.suite import SuiteItem, fill_texts, load_suite


def _small_items(model):
    tok = model.data_processor.transformer_tokenizer
    split = model.data_processor.words_splitter
    count = lambda t: len(tok([w for w, _, _ in split(t)], is_split_into_words=True)["input_ids"])
    return load_suite()[:25] + fill_texts(count, 256)


def _broken_artifacts(tiny_trained_dir, tmp_path, mutate):
    """Artifacts exported from a modified copy of the model but labelled as the original."""
    model = copy.deepcopy(load_gliner(str(tiny_trained_dir)))
    with torch.no_grad():
        mutate(model.model)
    out = tmp_path / "broken"
    convert_into(tiny_trained_dir, out, seq_lens=(256,), precisions=("fp32",), model=model)
    return out


def _run(tiny_trained_dir, folder):
    model = load_gliner(str(tiny_trained_dir))
    results, _ = harness.run(model, mf.read(folder), folder, log=lambda *a: None, items=_small_items(model))
    return {r.row: r for r in results}


def _perturb(inner):
    inner.prompt_rep_layer[0].weight[0, 0] += 0.05


@pytest.fixture(scope="module")
def perturbed(tiny_trained_dir, tmp_path_factory) -> Path:
    """Artifacts of tiny-trained with one prompt-MLP weight moved by 0.05, converted once for the tests below
    (each works on its own copy)."""
    return _broken_artifacts(tiny_trained_dir, tmp_path_factory.mktemp("perturbed"), _perturb)


def test_perturbed_weight_is_reported_failing(tiny_trained_dir, perturbed):
    res = _run(tiny_trained_dir, perturbed)
    text = res["text_encoder_seq256_fp32"]
    assert not text.passed and text.stage is harness.Stage.SHAPES_MATCHED
    assert any("relative error" in f for f in text.failures), text.failures
    assert res["labels_encoder_fp32"].passed  # the labels graph was not touched


def test_nan_output_is_reported_failing(tiny_trained_dir, tmp_path):
    def poison(inner):
        inner.prompt_rep_layer[0].bias[0] = float("nan")

    res = _run(tiny_trained_dir, _broken_artifacts(tiny_trained_dir, tmp_path, poison))
    assert any("NaN/Inf" in f for f in res["text_encoder_seq256_fp32"].failures)


def test_sha_mismatch_is_refused_before_running(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    folder = tmp_path / "tampered"
    folder.mkdir()
    man = mf.read(tiny_trained_artifacts)
    man.artifacts = {k: v for k, v in man.artifacts.items() if k in ("labels_encoder_fp32", "text_encoder_seq256_fp32")}
    for e in man.artifacts.values():
        shutil.copy(tiny_trained_artifacts / e.file, folder / e.file)
    for side in man.files.values():
        (folder / side.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tiny_trained_artifacts / side.path, folder / side.path)
    mf.write(folder, man)
    data = bytearray((folder / "text_encoder_seq256_fp32.tflite").read_bytes())
    data[-100] ^= 0xFF
    (folder / "text_encoder_seq256_fp32.tflite").write_bytes(bytes(data))
    res = _run(tiny_trained_dir, folder)
    text = res["text_encoder_seq256_fp32"]
    assert text.stage is harness.Stage.FOUND and not text.timing_ms
    assert any("sha256 does not match" in f for f in text.failures)
    assert res["labels_encoder_fp32"].passed


def test_cli_exits_nonzero_and_prints_reproduce_command(tiny_trained_dir, perturbed, tmp_path, capsys):
    folder = shutil.copytree(perturbed, tmp_path / "perturbed")  # the CLI writes the folder's report and card
    code = validate_main(["--model", str(tiny_trained_dir), "--artifacts", str(folder), "--only",
                          "text_encoder_seq256_fp32", "labels_encoder_fp32"])
    err = capsys.readouterr().err
    assert code == 1
    assert "text_encoder_seq256_fp32" in err and "reproduce: python -m validate" in err
    assert "--only text_encoder_seq256_fp32" in err
    # The folder's own report: its model card follows it and shows the failing graph as failing.
    card = (folder / "README.md").read_text()
    assert "| `text_encoder_seq256_fp32` | **FAIL**" in card and "| `labels_encoder_fp32` | pass |" in card
    assert "1 graph(s) failed validation; do not publish" in card


# ---- the gate cannot pass vacuously ----

INT8_TEXT = "text_encoder_seq256_int8"


def _folder_with(tiny_trained_artifacts, folder, stem: str, graph) -> Path:
    """A copy of the tiny-trained artifacts with `stem`'s file replaced by `graph`, manifest sha256/bytes updated
    (so the file is accepted and only parity can catch it)."""
    shutil.copytree(tiny_trained_artifacts, folder, ignore=shutil.ignore_patterns("report"))
    man = mf.read(folder)
    entry = man.artifacts[stem]
    shutil.copy(graph, folder / entry.file)
    man.artifacts[stem] = dataclasses.replace(entry, sha256=sha256_file(folder / entry.file),
                                              bytes=(folder / entry.file).stat().st_size)
    mf.write(folder, man)
    return folder


def test_untrained_int8_text_graph_fails_alone_and_as_reproduced(tiny_dir, tiny_trained_dir, tiny_trained_artifacts,
                                                                 tmp_path):
    """An int8 text graph carrying an untrained model's weights (same shapes), validated alone, fails on entity
    F1; the reproduce command it prints, run as printed, fails the same way."""
    from common.variants import Layout
    from convert.plan import plan_files
    from convert.run import Options, convert_all
    from upstream.source import resolve

    untrained = tmp_path / "untrained"
    v = Variant.from_stem(INT8_TEXT)
    convert_all(load_gliner(str(tiny_dir)), resolve(str(tiny_dir), offline=True), plan_files([v], Layout.FILES),
                untrained, Options(log=lambda *a: None))
    folder = _folder_with(tiny_trained_artifacts, tmp_path / "swapped", INT8_TEXT, untrained / v.file_name)

    report_dir = tmp_path / "report"
    res = run_cli(["python", "-m", "validate", "--model", str(tiny_trained_dir), "--artifacts", str(folder),
                   "--only", INT8_TEXT, "--suite-limit", "20", "--thresholds", "0.4", "--threads", "1",
                   "--report", str(report_dir)])
    assert res.returncode == 1, res.stdout[-2000:] + res.stderr[-2000:]
    report = json.loads((report_dir / "report.json").read_text())
    assert report["artifacts"] == "…/" + "/".join(folder.parts[-2:])  # no machine folder in a committable report
    rows = {r["variant"]: r for r in report["results"]}
    assert rows["labels_encoder_int8"]["passed"]  # run too: the app path feeds its embeddings
    row = rows[INT8_TEXT]
    assert not row["passed"]
    for path in ("upstream_labels", "tflite_labels"):
        assert any(f.startswith(f"[{path}] entity F1 ") and f.endswith(" at 0.4 < 0.99") for f in row["failures"]), row
    assert "entity F1 >= 0.99 (upstream_labels, tflite_labels)" in row["judged"]

    cmd = row["reproduce"]
    assert f"reproduce: {cmd}" in res.stderr
    argv = shlex.split(cmd)
    for opt in (["--thresholds", "0.4"], ["--threads", "1"], ["--suite-limit", "20"]):
        assert any(argv[i:i + 2] == opt for i in range(len(argv))), (opt, cmd)
    again = run_cli(argv)
    assert again.returncode == 1, again.stdout[-2000:] + again.stderr[-2000:]
    rerun_dir = Path(argv[argv.index("--report") + 1])
    assert rerun_dir != report_dir and (report_dir / "report.json").is_file()  # the full report is kept
    rows_again = {r["variant"]: r for r in json.loads((rerun_dir / "report.json").read_text())["results"]}
    assert rows_again[INT8_TEXT]["failures"] == row["failures"]


def _no_entity_items():
    # Function words only: the trained fixture finds no entity in them at any threshold tested here.
    return [SuiteItem(id=f"none{i}", category="test", origin="test", text=text, labels=("person", "location"))
            for i, text in enumerate(["and then the of it was", "of the and"])]


def test_entity_f1_on_no_reference_entity_is_not_judged_and_fails(tiny_trained_dir, tiny_trained_artifacts):
    model = load_gliner(str(tiny_trained_dir))
    results, _ = harness.run(model, mf.read(tiny_trained_artifacts), tiny_trained_artifacts, only={INT8_TEXT},
                             log=lambda *a: None, items=_no_entity_items())
    res = {r.row: r for r in results}
    assert set(res) == {INT8_TEXT, "labels_encoder_int8"}
    text = res[INT8_TEXT]
    assert text.stats["upstream_labels"]["items"] == 2
    assert text.stats["upstream_labels"]["entities"]["0.3"]["reference_entities"] == 0  # the premise
    assert not text.passed
    for path in ("upstream_labels", "tflite_labels"):
        for t in ("0.3", "0.5"):
            assert any(f.startswith(f"[{path}] entity F1 at {t} not judged: upstream found no entity") for f in text.failures)


def test_app_path_not_run_is_not_judged_and_fails(tiny_trained_dir, tiny_trained_artifacts, tmp_path):
    """The labels encoder of the text graph's precision fails, so the app path cannot run: the text row fails
    saying so instead of passing on the other path alone."""
    folder = tmp_path / "tampered"
    shutil.copytree(tiny_trained_artifacts, folder, ignore=shutil.ignore_patterns("report"))
    labels = folder / "labels_encoder_int8.tflite"
    data = bytearray(labels.read_bytes())
    data[-100] ^= 0xFF
    labels.write_bytes(bytes(data))
    model = load_gliner(str(tiny_trained_dir))
    results, _ = harness.run(model, mf.read(folder), folder, only={INT8_TEXT}, log=lambda *a: None,
                             items=_small_items(model))
    res = {r.row: r for r in results}
    assert not res["labels_encoder_int8"].passed
    text = res[INT8_TEXT]
    assert "[tflite_labels] not judged: labels_encoder_int8 failed, so the app path could not run" in text.failures
    assert not text.passed
    assert "tflite_labels" not in text.stats  # the other path did run and is reported
    assert text.stats["upstream_labels"]["entities"]["0.5"]["f1"] >= 0.99
