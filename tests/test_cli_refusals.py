"""`python -m convert` and `python -m validate` refusals, run as a user runs them: exit 2, one error line naming
the problem and the fix, no traceback, nothing left behind. One test per refusal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from common import manifest as mf
from common.tflite import sha256_file
from tests.cli import run_cli


def _model_copy(tiny_trained_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_trained_dir, tmp_path / "model"))


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path, with its sha256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(res, *fragments: str) -> str:
    assert res.returncode == 2, res.stdout[-2000:] + res.stderr[-2000:]
    assert "Traceback" not in res.stderr, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.stderr
    for f in fragments:
        assert f in errors[0], (f, errors[0])
    return errors[0]


def _convert(model: Path, out: Path, *extra: str):
    return run_cli(["python", "-m", "convert", "--model", str(model), "--out", str(out), *extra])


def test_convert_refuses_invalid_gliner_config(tiny_trained_dir, tmp_path):
    model = _model_copy(tiny_trained_dir, tmp_path)
    (model / "gliner_config.json").write_text('{"span_mode": "markerV0",')
    out = tmp_path / "out"
    _refused(_convert(model, out), str(model / "gliner_config.json"), "is not valid JSON",
             "restore the file GLiNER.save_pretrained wrote")
    assert not out.exists()


def test_convert_refuses_truncated_safetensors(tiny_trained_dir, tmp_path):
    model = _model_copy(tiny_trained_dir, tmp_path)
    weights = model / "model.safetensors"
    os.truncate(weights, weights.stat().st_size // 2)
    out = tmp_path / "out"
    _refused(_convert(model, out), str(weights), "is not a complete safetensors file", "re-download the model")
    assert not out.exists()


def test_convert_bad_model_leaves_no_empty_out(tiny_trained_dir, tmp_path):
    """A model that resolves but that gliner cannot load is refused after --out was created: it is removed."""
    model = _model_copy(tiny_trained_dir, tmp_path)
    (model / "tokenizer.json").write_text("{")
    out = tmp_path / "new" / "out"
    _refused(_convert(model, out), str(model), "gliner could not load the model", "re-download or re-save the model")
    assert not out.exists()


@pytest.mark.parametrize("inside", ["", "sub"], ids=["equal", "inside"])
def test_convert_refuses_out_in_the_source_model_folder(tiny_trained_dir, tmp_path, inside):
    model = _model_copy(tiny_trained_dir, tmp_path)
    before = _tree(model)
    _refused(_convert(model, model / inside), "is the source model's folder", "would overwrite its gliner_config.json",
             "Pick another folder")
    assert _tree(model) == before
    assert sorted(p.name for p in model.iterdir()) == sorted(p.name for p in tiny_trained_dir.iterdir())


def test_validate_refuses_a_report_path_that_is_a_file_before_the_run(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("keep me")
    res = run_cli(["python", "-m", "validate", "--model", str(tiny_trained_dir), "--artifacts",
                   str(tiny_trained_artifacts), "--report", str(report)])
    _refused(res, f"--report {report} is a file", "pass a folder")
    assert "reference:" not in res.stdout  # refused before upstream ran on anything
    assert report.read_text() == "keep me"


def _schema1_folder(tiny_trained_dir: Path, folder: Path) -> Path:
    """A folder as gliner-litert wrote it before the typed manifest (schema 1: flat artifact entries)."""
    folder.mkdir()
    graph = folder / "labels_encoder_fp32.tflite"
    graph.write_bytes(b"an old labels graph")
    old = {
        "schema_version": 1,
        "source": {"weights_file": "model.safetensors", "folder": str(tiny_trained_dir),
                   "weights_sha256": sha256_file(tiny_trained_dir / "model.safetensors")},
        "config": {"max_width": 12, "hidden_size": 32},
        "artifacts": {"labels_encoder_fp32": {
            "file": graph.name, "sha256": sha256_file(graph), "bytes": graph.stat().st_size, "component": "labels",
            "seq_len": None, "precision": "fp32", "signature": "serving_default", "max_valid_tokens": 32,
            "key": "0" * 32, "code_version": "0" * 16}},
    }
    (folder / mf.MANIFEST).write_text(json.dumps(old, indent=2))
    return folder


def test_validate_refuses_an_old_schema_folder(tiny_trained_dir, tmp_path):
    folder = _schema1_folder(tiny_trained_dir, tmp_path / "old")
    res = run_cli(["python", "-m", "validate", "--model", str(tiny_trained_dir), "--artifacts", str(folder)])
    _refused(res, "manifest schema 1, this toolkit reads 2", f"reconvert the folder: python -m convert --model "
             f"<GLiNER model> --out {folder}")


def test_convert_starts_afresh_on_an_old_schema_folder(tiny_trained_dir, tmp_path, capsys):
    from convert.__main__ import main

    folder = _schema1_folder(tiny_trained_dir, tmp_path / "old")
    code = main(["--model", str(tiny_trained_dir), "--out", str(folder), "--components", "labels", "--precisions", "fp32",
                 "--layout", "files"])
    out = capsys.readouterr().out
    assert code == 0
    assert "note: ignoring the existing manifest" in out and "manifest schema 1" in out, out
    man = mf.read(folder)
    assert set(man.artifacts) == {"labels_encoder_fp32"}
    graph = folder / "labels_encoder_fp32.tflite"
    assert graph.read_bytes() != b"an old labels graph"
    assert sha256_file(graph) == man.artifacts["labels_encoder_fp32"].sha256


@pytest.mark.parametrize("args, fragments", [
    (["--threads", "100000"], ("--threads must be 1 to 64", "got 100000")),
    (["--threads", "0"], ("--threads must be 1 to 64", "got 0")),
    (["--suite-limit", "-1"], ("--suite-limit must be at least 1", "leave it out")),
], ids=["threads-100000", "threads-0", "suite-limit-negative"])
def test_validate_refuses_out_of_range_options_before_the_run(tiny_trained_artifacts, tiny_trained_dir, tmp_path,
                                                            args, fragments):
    report = tmp_path / "report"
    res = run_cli(["python", "-m", "validate", "--model", str(tiny_trained_dir), "--artifacts",
                   str(tiny_trained_artifacts), "--report", str(report), *args])
    _refused(res, *fragments)
    assert not report.exists()


@pytest.mark.parametrize("content", ["[]", '{"results": 3}', "[" * 100_000], ids=["list", "results-not-list", "deep"])
def test_card_refuses_a_report_that_is_not_one(tiny_trained_artifacts, tmp_path, content):
    report = tmp_path / "report.json"
    report.write_text(content)
    res = run_cli(["python", "-m", "validate.card", "--artifacts", str(tiny_trained_artifacts), "--report", str(report)])
    _refused(res, str(report), "rerun `python -m validate`")
