"""What the runtime refuses, one test per refusal, each message naming the problem and the fix (real LiteRT)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.runtime_helpers import CORE_LABELS, copy_folder, edit_manifest, env

TEXT = "Maria Garcia joined Acme Corp in Paris."


@pytest.fixture(scope="module")
def rt(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)


@pytest.fixture
def folder(tiny_trained_artifacts, tmp_path) -> Path:
    """A private fp32-only copy of tiny-trained's artifacts, for a test to damage."""
    return copy_folder(tiny_trained_artifacts, tmp_path / "artifacts")


def _open(folder, **kw):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(folder, num_threads=1, **kw)


def _refused(exc_type, problem: str, fix: str, call):
    """`call` raises exc_type; the message matches `problem` (a regex) and contains `fix`."""
    with pytest.raises(exc_type, match=problem) as e:
        call()
    assert fix in str(e.value), f"the message does not say how to fix it ({fix!r}): {e.value}"
    return e.value


def _set_file(folder: Path, stem: str, data: bytes) -> None:
    """Put `data` in place of a graph and update its sha256 and size in the manifest, as a careless re-upload would."""
    (folder / f"{stem}.tflite").write_bytes(data)
    edit_manifest(folder, lambda m: m["artifacts"][stem].update(sha256=hashlib.sha256(data).hexdigest(),
                                                                bytes=len(data)))


# ---------------------------------------------------------------------------------------------- bad input

NAN_ROW = np.full((1, 32), np.nan, np.float32)
INF_ROW = np.full((1, 32), np.inf, np.float32)
BAD_INPUT = {
    # id: (call, problem regex, fix)
    "no-labels": (lambda m: m.predict_entities(TEXT, []), "no labels given", "pass at least one entity type"),
    "empty-label": (lambda m: m.predict_entities(TEXT, ["person", ""]), "label 1 is empty", "remove it"),
    "blank-label": (lambda m: m.predict_entities(TEXT, ["person", "  "]), "label 1 is empty", "remove it"),
    "duplicate-labels": (lambda m: m.predict_entities(TEXT, ["person", "person"]), r"duplicate label\(s\) \['person'\]",
                         "pass each entity type once"),
    "same-ids-labels": (lambda m: m.predict_entities(TEXT, ["person", "Person", "PERSON "]),
                        "'person' and 'Person' and 'PERSON ' are one entity type", "pass each entity type once"),
    "non-string-label": (lambda m: m.predict_entities(TEXT, ["person", 3]), "label 1 is a int",
                         "every label must be a string"),
    "label-mapping": (lambda m: m.predict_entities(TEXT, {"person": "a human"}), "got dict", "list of strings"),
    "surrogate-label": (lambda m: m.predict_entities(TEXT, ["person", "pla\ud800ce"]),
                        r"label 1 holds a lone surrogate '\\ud800' \(U\+D800\) at character 3",
                        "s.encode('utf-8', 'replace').decode('utf-8')"),
    "none-text": (lambda m: m.predict_entities(None, ["person"]), "got NoneType", "text must be a string"),
    "bytes-text": (lambda m: m.predict_entities(b"Paris", ["person"]), "got bytes", "text must be a string"),
    "surrogate-text": (lambda m: m.predict_entities("Maria \ud800", ["person"]),
                       r"text holds a lone surrogate '\\ud800' \(U\+D800\) at character 6",
                       "s.encode('utf-8', 'replace').decode('utf-8')"),
    "threshold-0": (lambda m: m.predict_entities(TEXT, ["person"], threshold=0), r"must be in \(0, 1\)", "0.5"),
    "threshold-1": (lambda m: m.predict_entities(TEXT, ["person"], threshold=1.0), r"must be in \(0, 1\)", "0.5"),
    "threshold-neg": (lambda m: m.predict_entities(TEXT, ["person"], threshold=-0.5), r"must be in \(0, 1\)", "0.5"),
    "threshold-str": (lambda m: m.predict_entities(TEXT, ["person"], threshold="0.5"), "got '0.5'",
                      "threshold must be a number in (0, 1)"),
    "bad-overflow": (lambda m: m.predict_entities(TEXT, ["person"], on_overflow="split"), "got 'split'",
                     "must be one of window, truncate, error"),
    "batch-of-str": (lambda m: m.batch_predict_entities("Paris", ["person"]), "got str", "list of strings"),
    "batch-bad-text": (lambda m: m.batch_predict_entities(["Paris", "Oslo", "x\udcff"], ["person"]),
                       r"^texts\[2\]: text holds a lone surrogate", "s.encode('utf-8', 'replace')"),
    "batch-none-text": (lambda m: m.batch_predict_entities(["Paris", None], ["person"]), r"^texts\[1\]: ",
                        "text must be a string"),
    "embeds-shape": (lambda m: m.predict_with_embeds("Paris", np.zeros((2, 3)), ["person"]), r"got \[2, 3\]",
                     "compute them with encode_labels(labels)"),
    "embeds-nan": (lambda m: m.predict_with_embeds("Paris", NAN_ROW, ["person"]), r"row\(s\) \[0\].*NaN or inf",
                   "compute them with encode_labels(labels)"),
    "embeds-inf": (lambda m: m.predict_with_embeds("Paris", INF_ROW, ["person"]), r"row\(s\) \[0\].*NaN or inf",
                   "compute them with encode_labels(labels)"),
    # A string is truthy: flat_ner="False" would silently mean nested decoding's opposite.
    "flat-ner-str": (lambda m: m.predict_entities(TEXT, ["person"], flat_ner="False"), "flat_ner must be True or False",
                     "got 'False' (str)"),
    "multi-label-int": (lambda m: m.predict_entities(TEXT, ["person"], multi_label=2), "multi_label must be True or",
                        "got 2 (int)"),
    "batch-flat-ner-none": (lambda m: m.batch_predict_entities([TEXT], ["person"], flat_ner=None),
                            "flat_ner must be True or False", "got None"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused(rt, case):
    call, problem, fix = BAD_INPUT[case]
    _refused(ValueError, problem, fix, lambda: call(rt))


@pytest.mark.parametrize("threads", [0, 65, 1000, 2.5, True, "4"])
def test_num_threads_out_of_range(tiny_trained_artifacts, threads):
    from runtime import GLiNERLiteRT

    _refused(ValueError, f"num_threads must be an int from 1 to 64 .*got {threads!r}", "or None",
             lambda: GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, num_threads=threads))


@pytest.mark.parametrize("overlap", ["abc", float("inf"), 1.7, 48.0, 0, 23, -1])
def test_window_overlap_invalid(tiny_trained_artifacts, overlap):
    from runtime import GLiNERLiteRT

    # max_width 12: 2 * 12 words is the least overlap that keeps every span at a seam whole.
    _refused(ValueError, rf"window_overlap must be a whole number of words >= 24 \(2 \* config.max_width 12.*got "
             rf"{overlap!r}", "leave it None for the default 48",
             lambda: GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, window_overlap=overlap))


def test_window_overlap_at_the_minimum_is_accepted(tiny_trained_artifacts):
    assert _open(tiny_trained_artifacts, window_overlap=24).window_overlap == 24


# ---------------------------------------------------------------------------------------------- the folder


def test_unknown_precision(tiny_trained_artifacts):
    _refused(ValueError, "unknown precision 'fp16'", "choose from fp32, int8, int8w",
             lambda: _open(tiny_trained_artifacts, precision="fp16"))


def test_precision_not_converted(folder):
    edit_manifest(folder, lambda m: m.update(artifacts={k: v for k, v in m["artifacts"].items()
                                                        if v["precision"] != "int8w"}))
    _refused(FileNotFoundError, "has no int8w labels encoder", "--precisions int8w",
             lambda: _open(folder, precision="int8w"))


def test_folder_missing(tmp_path):
    _refused(FileNotFoundError, "does not exist", "python -m convert", lambda: _open(tmp_path / "nowhere"))


def test_manifest_missing(tmp_path):
    _refused(FileNotFoundError, "manifest.json is missing", "python -m convert", lambda: _open(tmp_path))


def test_graph_missing(folder):
    (folder / "text_encoder_seq512_fp32.tflite").unlink()
    _refused(FileNotFoundError, r"text_encoder_seq512_fp32.tflite \(artifacts.text_encoder_seq512_fp32.file\) is "
             "listed in the manifest but missing", "python -m convert", lambda: _open(folder))


def test_graph_corrupt_is_refused_on_first_use(folder):
    f = folder / "labels_encoder_fp32.tflite"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    model = _open(folder)  # opening is cheap; each file is checked when first needed
    _refused(ValueError, r"labels_encoder_fp32.tflite: sha256 .* does not match the manifest's .* "
             r"\(artifacts.labels_encoder_fp32.sha256\)", "reconvert with `python -m convert ... --force`",
             lambda: model.predict_entities(TEXT, CORE_LABELS))


def test_graph_truncated_is_refused_on_first_use(folder):
    f = folder / "labels_encoder_fp32.tflite"
    f.write_bytes(f.read_bytes()[:1000])
    _refused(ValueError, r"labels_encoder_fp32.tflite: 1000 bytes, the manifest's artifacts.labels_encoder_fp32.bytes",
             "re-download or restore the file", lambda: _open(folder).encode_labels(CORE_LABELS))


def test_swapped_bucket_is_refused(folder):
    """seq512's graph under seq256's name, its sha256 and size updated: the interpreter's shapes give it away."""
    _set_file(folder, "text_encoder_seq256_fp32", (folder / "text_encoder_seq512_fp32.tflite").read_bytes())
    _refused(ValueError, r"text_encoder_seq256_fp32.tflite: the graph.s inputs differ from the "
             r"manifest.s artifacts.text_encoder_seq256_fp32.graphs\[0\].inputs \(input_ids: \[1, 512\] int64 "
             r"\(the manifest says \[1, 256\] int64\)", "python -m convert ... --force",
             lambda: _open(folder).predict_entities(TEXT, CORE_LABELS))


def test_int8_graph_in_place_of_fp32_is_refused(folder, tiny_trained_artifacts):
    """Same signature, same shapes, sha256 updated: only the weights' precision tells."""
    _set_file(folder, "labels_encoder_fp32", (tiny_trained_artifacts / "labels_encoder_int8.tflite").read_bytes())
    _refused(ValueError, "labels_encoder_fp32.tflite holds int8 weights but the manifest's "
             "artifacts.labels_encoder_fp32.precision says fp32", "restore the fp32 file or reconvert",
             lambda: _open(folder).encode_labels(CORE_LABELS))


def test_int8w_graph_in_place_of_int8_is_refused(tiny_trained_artifacts, tmp_path):
    folder = copy_folder(tiny_trained_artifacts, tmp_path / "int8", precision="int8")
    _set_file(folder, "labels_encoder_int8", (tiny_trained_artifacts / "labels_encoder_int8w.tflite").read_bytes())
    _refused(ValueError, "holds int8w weights but the manifest's artifacts.labels_encoder_int8.precision says int8",
             "reconvert", lambda: _open(folder, precision="int8").encode_labels(CORE_LABELS))


@pytest.mark.parametrize("width", [6, 24])
def test_config_max_width_disagreeing_with_the_graphs(folder, width):
    edit_manifest(folder, lambda m: m["config"].update(max_width=width))
    _refused(ValueError, rf"artifacts.text_encoder_seq256_fp32.graphs\[0\] does not fit config.max_width {width}.*"
             rf"span_idx: \[1, 3072, 2\] int64 \(the contract says \[1, {256 * width}, 2\] int64\)",
             "reconvert the folder", lambda: _open(folder))


def test_config_max_types_disagreeing_with_the_graphs(folder):
    edit_manifest(folder, lambda m: m["config"].update(max_types=10))
    _refused(ValueError, r"labels_encoder_fp32.graphs\[0\] does not fit config.max_width 12, config.hidden_size 32 and "
             r"config.max_types 10 in the files layout's contract: .*input_ids: \[25, 32\] int64 \(the contract says "
             r"\[10, 32\] int64\)",
             "reconvert the folder", lambda: _open(folder))


@pytest.mark.parametrize("field, value, problem", [
    ("max_width", 0, r"config.max_width must be > 0, got 0"),
    ("max_width", -1, r"config.max_width must be > 0, got -1"),
    ("max_len", 0, r"config.max_len must be > 0, got 0"),
    ("max_len", -5, r"config.max_len must be > 0, got -5"),
    ("max_len", "600", r"config.max_len must be int, got '600'"),
    ("hidden_size", None, r"config.hidden_size is missing"),
    ("text_pad_token_id", -5, r"config.text_pad_token_id must be >= 0 \(a token id\), got -5"),
    ("words_splitter_type", "white\x00space", r"config.words_splitter_type holds a NUL character"),
])
def test_config_field_refused(folder, field, value, problem):
    edit_manifest(folder, lambda m: m["config"].update({field: value}))
    _refused(ValueError, problem, "python -m convert --model <GLiNER model> --out", lambda: _open(folder))


def test_pad_token_beyond_the_tokenizer_is_refused_at_open(folder):
    """Past the embedding table every call would fail inside LiteRT with a bare "Failed to invoke"."""
    edit_manifest(folder, lambda m: m["config"].update(text_pad_token_id=10**6))
    _refused(ValueError, r"config.text_pad_token_id 1000000 is not a token of the text tokenizer", "--force",
             lambda: _open(folder))


def test_a_nul_in_a_file_field_is_refused_naming_the_field(folder):
    edit_manifest(folder, lambda m: m["artifacts"]["labels_encoder_fp32"].update(file="labels\x00.tflite"))
    _refused(ValueError, r"artifacts.labels_encoder_fp32.file holds a NUL character", "reconvert the folder",
             lambda: _open(folder))


def test_a_manifest_nested_past_the_recursion_limit_is_refused(folder):
    (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    _refused(ValueError, "nests JSON deeper than a manifest ever does", "reconvert the folder", lambda: _open(folder))


def test_manifest_that_is_a_list(folder):
    edit_manifest(folder, lambda m: [m])
    _refused(ValueError, "the manifest must be a JSON object, got list", "reconvert the folder", lambda: _open(folder))


@pytest.mark.parametrize("how", ["missing", "null"])
def test_graph_sha256_missing(folder, how):
    def edit(m):
        if how == "missing":
            del m["artifacts"]["labels_encoder_fp32"]["sha256"]
        else:
            m["artifacts"]["labels_encoder_fp32"]["sha256"] = None

    edit_manifest(folder, edit)
    _refused(ValueError, "artifacts.labels_encoder_fp32.sha256 is missing", "reconvert the folder",
             lambda: _open(folder))


# ---------------------------------------------------------------------------------------------- confinement


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "sub/../../x.tflite"])
def test_manifest_path_outside_the_folder(folder, path):
    edit_manifest(folder, lambda m: m["artifacts"]["labels_encoder_fp32"].update(file=path))
    _refused(ValueError, rf"artifacts.labels_encoder_fp32.file '{path}' points outside the artifacts folder",
             "only names inside it are allowed", lambda: _open(folder))


def test_graph_symlink_outside_the_folder(folder, tiny_trained_artifacts):
    """A symlink to a valid graph outside the folder (same bytes, so its sha256 matches) is still refused."""
    f = folder / "labels_encoder_fp32.tflite"
    f.unlink()
    f.symlink_to(tiny_trained_artifacts / "labels_encoder_fp32.tflite")
    _refused(ValueError, r"labels_encoder_fp32.tflite \(artifacts.labels_encoder_fp32.file of .*manifest.json\) "
             "resolves to .*, outside the artifacts folder", "put the file itself in the folder", lambda: _open(folder))


def test_tokenizer_symlink_outside_the_folder(folder, tiny_trained_artifacts):
    f = folder / "text_tokenizer" / "tokenizer.json"
    f.unlink()
    f.symlink_to(tiny_trained_artifacts / "text_tokenizer" / "tokenizer.json")
    _refused(ValueError, r"text_tokenizer/tokenizer.json \(files.text_tokenizer.path of .*\) resolves to .*, outside",
             "put the file itself in the folder", lambda: _open(folder))


def test_symlink_inside_the_folder_is_followed(folder):
    (folder / "graphs").mkdir()
    f = folder / "labels_encoder_fp32.tflite"
    f.rename(folder / "graphs" / f.name)
    f.symlink_to(Path("graphs") / f.name)
    assert _open(folder).encode_labels(CORE_LABELS).shape == (len(CORE_LABELS), 32)


# ---------------------------------------------------------------------------------------------- tokenizers


def test_tokenizer_missing(folder):
    (folder / "labels_tokenizer" / "tokenizer.json").unlink()
    _refused(FileNotFoundError, r"labels_tokenizer/tokenizer.json \(files.labels_tokenizer.path\) is listed in the "
             "manifest but missing", "python -m convert", lambda: _open(folder))


def test_tokenizer_corrupt(folder):
    f = folder / "text_tokenizer" / "tokenizer.json"
    f.write_bytes(f.read_bytes()[:-100])
    _refused(ValueError, r"text_tokenizer/tokenizer.json: sha256 .* \(files.text_tokenizer.sha256\)",
             "re-download or restore the file", lambda: _open(folder))


def test_tokenizer_not_a_tokenizer(folder):
    """Its sha256 updated, so only parsing tells: the file is named, not just 'expected value at line 1'."""
    data = b'{"not": "a tokenizer"}'
    (folder / "text_tokenizer" / "tokenizer.json").write_bytes(data)
    edit_manifest(folder, lambda m: m["files"]["text_tokenizer"].update(sha256=hashlib.sha256(data).hexdigest()))
    _refused(ValueError, r"text_tokenizer/tokenizer.json \(files.text_tokenizer\) is not a valid tokenizer.json",
             "reconvert the folder", lambda: _open(folder))


def test_tokenizers_swapped(folder):
    t, lab = folder / "text_tokenizer" / "tokenizer.json", folder / "labels_tokenizer" / "tokenizer.json"
    a, b = t.read_bytes(), lab.read_bytes()
    t.write_bytes(b)
    lab.write_bytes(a)
    _refused(ValueError, r"text_tokenizer/tokenizer.json: sha256 .* does not match", "restore the file",
             lambda: _open(folder))


# ---------------------------------------------------------------------------------------------- verified bytes


def test_file_renamed_over_after_load_is_never_served(folder, tiny_trained_artifacts):
    """Memory-mapped (the default), LiteRT maps the inode that was hashed: a file renamed over the path later
    (how convert and downloads publish a file) is never served."""
    model = _open(folder)
    before = model.encode_labels(CORE_LABELS).copy()
    model._label_cache.clear()
    other = folder / "other.tflite"
    other.write_bytes((tiny_trained_artifacts / "labels_encoder_int8.tflite").read_bytes())
    os.replace(other, folder / "labels_encoder_fp32.tflite")
    np.testing.assert_array_equal(model.encode_labels(CORE_LABELS), before)


def test_file_replaced_after_load_is_never_served(folder, tiny_trained_artifacts):
    """load="copy": LiteRT holds the bytes that were checked: overwriting the file in place changes nothing."""
    model = _open(folder, load="copy")
    before = model.encode_labels(CORE_LABELS).copy()
    model._label_cache.clear()
    (folder / "labels_encoder_fp32.tflite").write_bytes((tiny_trained_artifacts / "labels_encoder_int8.tflite")
                                                        .read_bytes())
    np.testing.assert_array_equal(model.encode_labels(CORE_LABELS), before)


def test_file_truncated_while_loaded_does_not_crash_with_load_copy(folder):
    """load="copy": truncating the files under a running model changes nothing (memory-mapped, as any mmap'd
    runtime, it would die of SIGBUS: the documented trade of the default)."""
    code = (
        "import sys, json, os\n"
        "from runtime import GLiNERLiteRT\n"
        f"m = GLiNERLiteRT.from_pretrained({str(folder)!r}, num_threads=1, load='copy')\n"
        f"a = m.predict_entities({TEXT!r}, {CORE_LABELS!r})\n"
        f"for name in os.listdir({str(folder)!r}):\n"
        "    if name.endswith('.tflite'):\n"
        f"        os.truncate(os.path.join({str(folder)!r}, name), 100)\n"
        "m._label_cache.clear()\n"
        f"b = m.predict_entities({TEXT!r}, {CORE_LABELS!r})\n"
        "print(json.dumps({'same': a == b, 'n': len(a)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, f"exit {out.returncode} (SIGBUS is -7): {out.stderr[-2000:]}"
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res == {"same": True, "n": res["n"]} and res["n"] > 0
    assert os.path.getsize(folder / "labels_encoder_fp32.tflite") == 100


# ---------------------------------------------------------------------------------------------- bundles


@pytest.fixture
def bundle(tiny_trained_artifacts, tmp_path) -> Path:
    """A private copy of tiny-trained's fp32 bundle (one file, every graph a signature)."""
    return copy_folder(tiny_trained_artifacts, tmp_path / "bundle", layout="bundle")


def test_bundle_missing_a_bucket_the_manifest_lists(bundle):
    """The manifest lists a text_encoder_seq1024 signature the file does not have: refused at first use."""
    def add_1024(m):
        art = m["artifacts"]["gliner_bi_fp32"]
        g = json.loads(json.dumps(next(g for g in art["graphs"] if g["signature"] == "text_encoder_seq512")))
        g.update(signature="text_encoder_seq1024", variant="text_encoder_seq1024_fp32", max_valid_tokens=1024)
        for t in g["inputs"] + g["outputs"]:
            t["shape"] = [{512: 1024, 512 * 12: 1024 * 12}.get(x, x) for x in t["shape"]]
        art["graphs"].append(g)

    edit_manifest(bundle, add_1024)
    model = _open(bundle)
    _refused(ValueError, r"gliner_bi_fp32.tflite has signatures \[.*\], the manifest's artifacts.gliner_bi_fp32 "
             r"lists \[.*'text_encoder_seq1024'.*\]", "reconvert", lambda: model.predict_entities(TEXT, CORE_LABELS))


def test_unknown_signature_is_refused(bundle):
    from common.variants import Component, Precision, Variant

    model = _open(bundle)
    engine = model.artifacts.engine(Variant(Component.LABELS, Precision.FP32))
    _refused(ValueError, r"no signature 'text_encoder_seq999'",
             "it has labels_encoder, labels_encoder_bulk, label_prompts, text_encoder_seq256, text_spans_seq256",
             lambda: engine.run("text_encoder_seq999", {}))


def test_bundle_renamed_over_after_load_is_never_served(bundle, tiny_trained_artifacts):
    model = _open(bundle)
    before = model.predict_entities(TEXT, CORE_LABELS)
    other = bundle / "other.tflite"
    other.write_bytes((tiny_trained_artifacts / "gliner_bi_int8.tflite").read_bytes())
    os.replace(other, bundle / "gliner_bi_fp32.tflite")
    model.clear_label_cache()
    assert model.predict_entities(TEXT, CORE_LABELS) == before


def test_max_seq_len_below_every_bucket_is_refused(tiny_trained_artifacts):
    _refused(ValueError, r"max_seq_len 32 is below the smallest bucket \(256\)", "pass one of the buckets 256, 512",
             lambda: _open(tiny_trained_artifacts, max_seq_len=32))
