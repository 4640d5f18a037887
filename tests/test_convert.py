"""Conversion contract: manifest matches files, static shapes, builtin ops, size flat in S, atomic, resumable, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from common.inputs import input_shapes, output_shape
from common.tflite import non_builtin_ops, sha256_file, signature_io
from common.variants import Component, Layout, Precision, Variant
from common import manifest as mf
from convert.run import check_disk, check_output_dir
from upstream.source import SourceError, load_model, resolve
from tests.test_card import SEED_CARD_INPUTS
from tests.conftest import TEST_SEQ_LENS, convert_into

ALL = [Variant(Component.LABELS, p) for p in Precision] + [
    Variant(Component.TEXT, p, s) for s in TEST_SEQ_LENS for p in Precision
]


@pytest.mark.parametrize("variant", ALL, ids=str)
def test_manifest_entry_matches_file_and_contract(tiny_trained_artifacts, variant):
    man = mf.read(tiny_trained_artifacts)
    entry, graph = man.find(variant, Layout.FILES)
    path = tiny_trained_artifacts / variant.file_name
    assert entry.file == variant.file_name
    assert entry.sha256 == sha256_file(path)
    assert entry.bytes == path.stat().st_size
    assert entry.precision is variant.precision and [g.variant for g in entry.graphs] == [variant]
    sig, inputs, outputs = signature_io(path)
    assert graph.signature == sig
    assert [(t.name, list(t.shape), t.dtype) for t in graph.inputs] == [(i["name"], i["shape"], i["dtype"]) for i in inputs]
    assert [(t.name, list(t.shape), t.dtype) for t in graph.outputs] == [(o["name"], o["shape"], o["dtype"]) for o in outputs]
    cfg = man.config
    want = input_shapes(variant.component, variant.seq_len, cfg.max_width, cfg.hidden_size, cfg.max_types)
    assert {i["name"]: tuple(i["shape"]) for i in inputs} == want
    assert [(i["name"], i["dtype"]) for i in inputs] == SEED_CARD_INPUTS[variant.component]
    name = "labels_embeds" if variant.component is Component.LABELS else "logits"
    assert [(o["name"], tuple(o["shape"]), o["dtype"]) for o in outputs] == [
        (name, output_shape(variant.component, variant.seq_len, cfg.max_width, cfg.hidden_size, cfg.max_types), "float32")]
    assert graph.max_valid_tokens == (32 if variant.component is Component.LABELS else variant.seq_len)
    assert not non_builtin_ops(path), "Flex/custom ops would not run on a stock LiteRT runtime"


def test_manifest_folder_fields(tiny_trained_artifacts, tiny_trained_dir):
    man = mf.read(tiny_trained_artifacts)
    assert man.source["weights_sha256"] == sha256_file(tiny_trained_dir / "model.safetensors")
    assert man.config.max_width == 12 and man.config.words_splitter_type == "whitespace"
    for tool in ("torch", "litert-torch", "ai-edge-litert", "ai-edge-quantizer", "gliner", "transformers"):
        assert man.tools[tool] != "missing"
    for entry in man.artifacts.values():
        assert entry.convert_seconds >= 0 and entry.peak_rss_bytes > 0
    for name, side in man.files.items():
        assert side.sha256 == sha256_file(tiny_trained_artifacts / side.path), name
    for d in ("text_tokenizer", "labels_tokenizer"):
        assert man.files[d].path == f"{d}/tokenizer.json"
    assert json.loads((tiny_trained_artifacts / "gliner_config.json").read_text())["span_mode"] == "markerV0"


@pytest.mark.parametrize("precision", list(Precision), ids=str)
def test_text_size_is_flat_in_seq_len(tiny_trained_artifacts, precision):
    small, large = (tiny_trained_artifacts / Variant(Component.TEXT, precision, s).file_name for s in TEST_SEQ_LENS)
    growth = large.stat().st_size / small.stat().st_size - 1
    assert growth < 0.01, f"{precision}: {growth:.2%} larger at S={TEST_SEQ_LENS[-1]}: an S-sized constant crept in"


def test_quantized_files_are_smaller(tiny_trained_artifacts):
    for s in TEST_SEQ_LENS:
        fp32 = (tiny_trained_artifacts / Variant(Component.TEXT, Precision.FP32, s).file_name).stat().st_size
        int8 = (tiny_trained_artifacts / Variant(Component.TEXT, Precision.INT8, s).file_name).stat().st_size
        assert int8 < 0.5 * fp32


def test_second_run_converts_nothing(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    folder = shutil.copytree(tiny_trained_artifacts, tmp_path / "copy", copy_function=shutil.copy2)  # mtimes kept
    before = {p.name: (p.stat().st_mtime_ns, sha256_file(p)) for p in folder.glob("*.tflite")}
    lines = []
    convert_into(tiny_trained_dir, folder, log=lines.append)
    after = {p.name: (p.stat().st_mtime_ns, sha256_file(p)) for p in folder.glob("*.tflite")}
    assert before == after
    assert any("up to date" in line for line in lines), lines


def test_interrupted_write_leaves_no_accepted_artifact(tiny_trained_dir, tmp_path, monkeypatch):
    import convert.export as export

    real = export.export_fp32

    def interrupted(model, variant, dest, *a, **k):
        real(model, variant, dest, *a, **k)  # the temporary file is complete...
        raise KeyboardInterrupt  # ...and the user hits Ctrl-C before the rename

    monkeypatch.setattr(export, "export_fp32", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        convert_into(tiny_trained_dir, out, seq_lens=(256,), precisions=("fp32",))
    assert not list(out.glob("*.tflite"))
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert mf.read(out).artifacts == {}
    # A complete-looking file that the manifest does not list is not accepted: the next run redoes it.
    monkeypatch.setattr(export, "export_fp32", real)
    stray = out / "labels_encoder_fp32.tflite"
    stray.write_bytes(b"not a model")
    convert_into(tiny_trained_dir, out, seq_lens=(256,), precisions=("fp32",))
    assert sha256_file(stray) == mf.read(out).artifacts["labels_encoder_fp32"].sha256
    assert stray.stat().st_size > 1000


def _copy_artifacts(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("report"))
    return dest


def test_resumes_after_a_kill_between_the_renames_of_a_side_folder(tiny_trained_artifacts, tiny_trained_dir, tmp_path):
    """The state a kill leaves inside common.files.replace_dir (old folder set aside, new one not yet in
    place), made by hand: the window is microseconds, too short to hit with a real kill."""
    from common.files import TempJournal

    out = _copy_artifacts(tiny_trained_artifacts, tmp_path / "out")
    aside = TempJournal(out).dir(out / "text_tokenizer")  # recorded, as replace_dir records it
    (out / "text_tokenizer").rename(aside / "text_tokenizer")
    graphs = {p.name: p.stat().st_mtime_ns for p in out.glob("*.tflite")}
    lines = []
    convert_into(tiny_trained_dir, out, log=lines.append)
    assert f"removed {aside.name}, left by an interrupted run" in lines
    assert not aside.exists()
    man = mf.read(out)
    for name, side in man.files.items():
        assert sha256_file(out / side.path) == side.sha256, name
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.tflite")} == graphs  # nothing reconverted


def test_a_users_files_that_look_like_temporaries_are_never_removed(tiny_trained_artifacts, tiny_trained_dir,
                                                                    tmp_path):
    """convert removes only the temporaries it recorded itself: a user's `.draft.tmp` file and `.photos.tmp/`
    folder in the output folder survive a run, and so do look-alikes of convert's own names."""
    out = _copy_artifacts(tiny_trained_artifacts, tmp_path / "out")
    (out / ".draft.tmp").write_text("draft\n")
    (out / ".photos.tmp").mkdir()
    (out / ".photos.tmp" / "a.jpg").write_bytes(b"jpg")
    (out / ".manifest.json.abc123.tmp").write_text("mine, not convert's\n")
    lines = []
    convert_into(tiny_trained_dir, out, log=lines.append)
    assert (out / ".draft.tmp").read_text() == "draft\n" and (out / ".photos.tmp" / "a.jpg").read_bytes() == b"jpg"
    assert (out / ".manifest.json.abc123.tmp").is_file()
    assert not [line for line in lines if line.startswith("removed")], lines


def test_artifacts_of_other_weights_are_not_left_listed(tiny_trained_dir, tiny_dir, tmp_path):
    """Converting another model into a folder must not keep the first model's graphs listed under the new
    source (beside the new tokenizers) when they are not converted again."""
    out = tmp_path / "out"
    convert_into(tiny_trained_dir, out, seq_lens=(), precisions=("fp32", "int8"))
    lines = []
    convert_into(tiny_dir, out, seq_lens=(), precisions=("fp32",), log=lines.append)
    man = mf.read(out)
    assert man.source["weights_sha256"] == sha256_file(tiny_dir / "model.safetensors")
    assert set(man.artifacts) == {"labels_encoder_fp32"}
    assert any("held artifacts of other weights" in line for line in lines), lines


def test_cache_key_follows_graph_code_tools_and_config_not_tolerances(tiny_trained_dir, tmp_path):
    import dataclasses

    from common.machine import tool_versions
    from convert.run import GRAPH_TOOLS, ROOT, Options, artifact_key, code_version

    root = tmp_path / "repo"
    for d in ("wrappers", "convert", "upstream", "common"):
        shutil.copytree(ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    code = code_version(root)
    assert code == code_version(ROOT)
    variants = root / "common" / "variants.py"
    assert "min_entity_f1=0.99," in variants.read_text()
    variants.write_text(variants.read_text().replace("min_entity_f1=0.99,", "min_entity_f1=0.9,"))
    assert code_version(root) == code, "a tolerance changes no graph"
    changed = {}
    for f in ("wrappers/text.py", "convert/export.py", "upstream/adapter.py", "common/inputs.py"):
        before = (root / f).read_text()
        (root / f).write_text(before + "\n# edited\n")
        changed[f] = code_version(root)
        (root / f).write_text(before)
    assert all(c != code for c in changed.values()), changed

    from convert.plan import FilePlan

    source = resolve(str(tiny_trained_dir), offline=True)
    vv = Variant(Component.TEXT, Precision.INT8, 256)
    v, tools, opts = FilePlan(vv.file_name, vv.precision, Layout.FILES, (vv,)), tool_versions(), Options()
    key = artifact_key(source, v, opts, code, tools)
    assert artifact_key(source, v, opts, code, dict(tools)) == key
    assert artifact_key(source, v, opts, changed["wrappers/text.py"], tools) != key
    for tool in GRAPH_TOOLS:
        assert artifact_key(source, v, opts, code, {**tools, tool: "0.0.0"}) != key, tool
    other_config = dataclasses.replace(source, config={**source.config, "max_width": 8})
    assert artifact_key(other_config, v, opts, code, tools) != key
    assert artifact_key(source, v, Options(fuse_span_head=False), code, tools) != key
    bundle = FilePlan("gliner_bi_int8.tflite", vv.precision, Layout.BUNDLE, (vv,))
    assert artifact_key(source, bundle, opts, code, tools) != key  # same graph, other file and layout


# ---- refusals: each names the problem and the fix ----

def test_refuses_folder_without_gliner_config(tmp_path):
    with pytest.raises(SourceError, match="no gliner_config.json.*GLiNER.save_pretrained"):
        resolve(str(tmp_path), offline=True)


def test_refuses_a_file_as_model(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    with pytest.raises(SourceError, match="is a file; pass the model folder"):
        resolve(str(f), offline=True)


def test_refuses_uni_encoder(tiny_trained_dir, tmp_path):
    d = tmp_path / "uni"
    shutil.copytree(tiny_trained_dir, d)
    cfg = json.loads((d / "gliner_config.json").read_text())
    cfg.pop("labels_encoder", None)
    cfg.pop("labels_encoder_config", None)
    cfg["model_type"] = "gliner_uni_encoder_span"
    (d / "gliner_config.json").write_text(json.dumps(cfg))
    with pytest.raises(SourceError, match="is a span uni-encoder with a modernbert text encoder; converting it needs a labels encoder"):
        resolve(str(d), offline=True)


def test_refuses_remote_code(tiny_trained_dir, tmp_path):
    d = tmp_path / "remote"
    shutil.copytree(tiny_trained_dir, d)
    cfg = json.loads((d / "gliner_config.json").read_text())
    cfg["encoder_config"]["auto_map"] = {"AutoModel": "evil.Model"}
    (d / "gliner_config.json").write_text(json.dumps(cfg))
    with pytest.raises(SourceError, match="remote code"):
        resolve(str(d), offline=True)


def test_refuses_tokenizer_beyond_embedding_table(tiny_trained_dir, tmp_path):
    from transformers import AutoTokenizer

    d = tmp_path / "bigtok"
    shutil.copytree(tiny_trained_dir, d)
    tok = AutoTokenizer.from_pretrained(str(d))
    tok.add_tokens([f"newtoken{i}" for i in range(50)])
    tok.save_pretrained(str(d))
    with pytest.raises(SourceError, match="text tokenizer has .* ids but the text embedding table has"):
        load_model(resolve(str(d), offline=True))


def test_refuses_hub_id_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(SourceError, match="knowledgator/gliner-bi-base-v2.0.*HF_HUB_OFFLINE.*--model DIR"):
        resolve("knowledgator/gliner-bi-base-v2.0", offline=True)


def test_refuses_output_path_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SourceError, match="is a file; pass a folder"):
        check_output_dir(f)


def test_refuses_unwritable_output(tmp_path):
    with pytest.raises(SourceError, match="not writable"):
        check_output_dir(Path("/proc/gliner-litert-test/out"))


def test_refuses_when_disk_is_short(tmp_path):
    with pytest.raises(SourceError, match="not enough free disk.*need about"):
        check_disk(tmp_path, needed=10**16)


@pytest.mark.parametrize("args,message", [
    (["--seq-lens", "300"], "seq_len 300 is not a bucket: use a multiple of 64"),
    (["--seq-lens", "16384"], "seq_len 16384 is not a bucket: use a multiple of 64 from 64 to 8192"),
    (["--precisions", "int4"], "unknown precision 'int4'"),
])
def test_cli_refuses_unknown_variants(tmp_path, capsys, args, message):
    from convert.__main__ import main

    assert main(["--model", str(tmp_path), "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err
