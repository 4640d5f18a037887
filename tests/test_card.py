"""The seed card's contract: dtypes of the seed-named files, its usage sketch run verbatim, and the generated card."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from common import manifest as mf
from common.variants import Component, Layout, Variant
from tests.conftest import load_gliner
from tests.runtime_helpers import copy_folder
from validate import card

# The seed card's input table (ckg/gliner-bi-base-v20-litert), in input order: what code written against the
# seed feeds. Written out here, not read from common/inputs.py, so the contract cannot drift with the code.
SEED_CARD_INPUTS = {
    Component.LABELS: [("input_ids", "int64"), ("attention_mask", "int64")],
    Component.TEXT: [("input_ids", "int64"), ("attention_mask", "int64"), ("first_subword_positions", "int64"),
                     ("word_valid_mask", "float32"), ("labels_embeds", "float32"), ("span_idx", "int64")],
}
# The bundle's documented contract (README, docs/RUNTIME.md): LiteRT's int32 indices.
BUNDLE_INPUTS = {
    Component.LABELS: [("input_ids", "int32"), ("attention_mask", "int32")],
    Component.TEXT: [("input_ids", "int32"), ("attention_mask", "int32"), ("first_subword_positions", "int32"),
                     ("word_valid_mask", "int32"), ("labels_embeds", "float32"), ("span_idx", "int32")],
    # The bundle-only graphs of any number of labels (docs/RUNTIME.md).
    Component.LABELS_BULK: [("input_ids", "int32"), ("attention_mask", "int32")],
    Component.PROMPTS: [("labels_embeds", "float32")],
    Component.SPANS: [("input_ids", "int32"), ("attention_mask", "int32"), ("first_subword_positions", "int32"),
                      ("word_valid_mask", "int32")],
}
SKETCH_TEXTS = [
    "Maria Garcia joined Acme Corp in Paris on May 3, 2021.",
    "Dr. Kenji Watanabe of Helios Pharma presented the results in Berlin, while Anna Kowalski stayed in Warsaw.",
    "The United Nations met in Geneva; Angela Merkel spoke for Germany.",
]


def _inputs_in_order(interp) -> list[tuple[str, str]]:
    """(name, dtype) of a single-signature file's inputs in the order get_input_details() lists them."""
    prefix = "serving_default_"
    return [(d["name"].removeprefix(prefix).split(":")[0], d["dtype"].__name__) for d in interp.get_input_details()]


def test_every_seed_file_takes_the_seed_cards_dtypes(tiny_trained_artifacts):
    from ai_edge_litert.interpreter import Interpreter

    man = mf.read(tiny_trained_artifacts)
    seed = [a for a in man.artifacts.values() if a.layout is Layout.FILES]
    assert len(seed) == 3 * 3  # labels + two buckets, three precisions
    for art in seed:
        interp = Interpreter(model_path=str(tiny_trained_artifacts / art.file))
        (g,) = art.graphs
        want = SEED_CARD_INPUTS[g.variant.component]
        assert _inputs_in_order(interp) == want, art.file
        assert [(t.name, t.dtype) for t in g.inputs] == want, f"manifest record of {art.file}"
        assert [d["dtype"].__name__ for d in interp.get_output_details()] == ["float32"]


def test_bundle_keeps_int32(tiny_trained_artifacts):
    from ai_edge_litert.interpreter import Interpreter

    man = mf.read(tiny_trained_artifacts)
    for art in (a for a in man.artifacts.values() if a.layout is Layout.BUNDLE):
        interp = Interpreter(model_path=str(tiny_trained_artifacts / art.file))
        for g in art.graphs:
            details = interp.get_signature_runner(g.signature).get_input_details()
            got = [(n, d["dtype"].__name__) for n, d in sorted(details.items(), key=lambda kv: kv[1]["index"])]
            assert got == BUNDLE_INPUTS[g.variant.component], (art.file, g.signature)


def _sketch(markdown: str) -> str:
    """The Python block of the card's raw-interpreter usage, exactly as printed."""
    m = re.search(r"With the LiteRT interpreter alone.*?```python\n(.*?)```", markdown, re.S)
    assert m, "the card shows no raw-interpreter sketch"
    return m.group(1)


def _per_query(ns: dict, text: str, seq_len: int, max_width: int, threshold: float) -> list[tuple]:
    """The part the card elides, built from its input table alone (the seed card's dtypes), in the sketch's own
    namespace: words, tokens, the six inputs, one call, greedy non-overlapping decoding."""
    from ai_edge_litert.interpreter import Interpreter

    words = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\w+(?:[-_]\w+)*|\S", text)]
    enc = ns["text_tok"]([w for w, _, _ in words], is_split_into_words=True)
    ids, word_ids = enc["input_ids"], enc.word_ids()
    n, w = len(ids), len(words)
    firsts = [i for i, wid in enumerate(word_ids) if wid is not None and (i == 0 or word_ids[i - 1] != wid)]
    feeds = {
        "input_ids": np.full((1, seq_len), ns["text_tok"].pad_token_id, np.int64),
        "attention_mask": np.zeros((1, seq_len), np.int64),
        "first_subword_positions": np.zeros((1, seq_len), np.int64),
        "word_valid_mask": np.zeros((1, seq_len), np.float32),
        "labels_embeds": np.zeros((1, 25, ns["labels_embeds"].shape[1]), np.float32),
        "span_idx": np.zeros((1, seq_len * max_width, 2), np.int64),
    }
    feeds["input_ids"][0, :n] = ids
    feeds["attention_mask"][0, :n] = 1
    feeds["first_subword_positions"][0, :w] = firsts
    feeds["word_valid_mask"][0, :w] = 1
    labels = ns["labels"]
    feeds["labels_embeds"][0, : len(labels)] = ns["labels_embeds"][: len(labels)]
    for s in range(seq_len):
        for k in range(max_width):
            if s + k < w:
                feeds["span_idx"][0, s * max_width + k] = (s, s + k)
    txt = Interpreter(model_path=f"text_encoder_seq{seq_len}_fp32.tflite")
    txt.allocate_tensors()
    for d in txt.get_input_details():
        txt.set_tensor(d["index"], feeds[d["name"].removeprefix("serving_default_").split(":")[0]])
    txt.invoke()
    logits = txt.get_tensor(txt.get_output_details()[0]["index"])[0]
    prob = 1 / (1 + np.exp(-logits))
    cands = [(float(prob[s, k, c]), s, s + k, c) for s in range(w) for k in range(max_width) if s + k < w
             for c in range(len(labels)) if prob[s, k, c] > threshold]
    kept = []
    for score, a, b, c in sorted(cands, key=lambda x: -x[0]):
        if all(b < a2 or a > b2 for _, a2, b2, _ in kept):
            kept.append((score, a, b, c))
    return sorted((words[a][1], words[b][2], labels[c], score) for score, a, b, c in kept)


def test_seed_card_sketch_runs_verbatim_and_finds_upstreams_entities(tiny_trained_artifacts, tiny_trained_dir,
                                                                       monkeypatch):
    man = mf.read(tiny_trained_artifacts)
    code = _sketch(card.render(tiny_trained_artifacts, man, None))
    assert 'lab.set_tensor(lab.get_input_details()[0]["index"], enc["input_ids"].astype(np.int64))' in code
    monkeypatch.chdir(tiny_trained_artifacts)
    ns: dict = {}
    exec(compile(code, "card-sketch", "exec"), ns)  # noqa: S102 - the card's code, verbatim, is what is tested
    assert ns["labels_embeds"].shape == (25, man.config.hidden_size)
    upstream = load_gliner(str(tiny_trained_dir))
    found = 0
    for text in SKETCH_TEXTS:
        got = _per_query(ns, text, 256, man.config.max_width, 0.5)
        want = upstream.predict_entities(text, ns["labels"], threshold=0.5)
        assert [(s, e, lab) for s, e, lab, _ in got] == sorted((x["start"], x["end"], x["label"]) for x in want), text
        for (_, _, _, score), x in zip(got, sorted(want, key=lambda x: (x["start"], x["end"], x["label"]))):
            assert score == pytest.approx(x["score"], abs=1e-4)
        found += len(want)
    assert found >= 5, "the texts must give upstream entities to agree on"


# ---------------------------------------------------------------------------------------------- the card


def _report_row(variant: str, passed: bool, **stats) -> dict:
    return {"variant": variant, "passed": passed, "status": "within tolerance" if passed else "shapes matched",
            "failures": [] if passed else ["[tflite_labels] entity F1 0.9012 at 0.3 < 0.99"], "stats": stats}


def test_folder_without_report_gets_a_card_saying_so(tiny_trained_artifacts, tmp_path):
    folder = copy_folder(tiny_trained_artifacts, tmp_path / "f", precision="fp32", layout="files")
    shutil.rmtree(folder / "report", ignore_errors=True)
    path = card.write(folder)
    text = path.read_text()
    assert path == folder / "README.md"
    assert "**Not validated**" in text and "| graph | verdict |" not in text
    front = text.split("---")[1]
    assert "pipeline_tag: token-classification" in front and "library_name: litert" in front
    for tag in ("litert", "tflite", "gliner", "ner", "android"):
        assert f"  - {tag}\n" in front
    assert "base_model: TODO" in front and "license: other  # TODO" in front  # visible placeholders, local source
    for art in mf.read(folder).artifacts.values():
        assert f"`{art.file}`" in text
    # The card is no manifest file: the runtime serves the folder with it in place.
    from runtime import GLiNERLiteRT

    assert GLiNERLiteRT.from_pretrained(folder, "fp32").predict_entities(SKETCH_TEXTS[0], ["person"])


def test_stale_report_is_not_shown_as_numbers(tiny_trained_artifacts):
    man = mf.read(tiny_trained_artifacts)
    rows = [{"variant": a.file, "file": a.file, "bytes": a.bytes + (i == 0), "passed": True}
            for i, a in enumerate(man.artifacts.values())]
    report = {"source": dict(man.source), "results": rows}
    text = card.render(tiny_trained_artifacts, man, report)
    assert "**Validation report out of date**" in text and "changed or is gone" in text


def assert_card_table_equals_report(text: str, report: dict) -> None:
    """Every row of the card's numerics table against report.json's row: verdict and each number (printed to 4
    significant digits)."""
    results = report["results"]
    table = {}
    for line in text.splitlines():
        m = re.match(r"\| `([^`]+)` \| (.+?) \| (.*) \|$", line)
        if m and m.group(1) in {r["variant"] for r in results}:
            table[m.group(1)] = (m.group(2), [c.strip() for c in m.group(3).split("|")])
    assert set(table) == {r["variant"] for r in results}
    th = [str(t) for t in report["thresholds"]]
    for r in results:
        verdict, cells = table[r["variant"]]
        assert ("FAIL" in verdict) == (not r["passed"]), r["variant"]
        if r["component"] in ("labels", "labels_bulk", "prompts"):
            st = r["stats"]["labels"] if "labels" in r["stats"] else r["stats"]["prompts"]
            assert float(cells[0]) == pytest.approx(st["max_abs"], rel=1e-3)
            assert float(cells[1]) == pytest.approx(st["relative_error"], rel=1e-3)
            assert float(cells[2]) == pytest.approx(st["min_cosine"], abs=1e-6)
        else:
            st = r["stats"].get("tflite_labels") or r["stats"]["upstream_labels"]
            assert float(cells[0]) == pytest.approx(st["max_abs_diff"], rel=1e-3)
            assert float(cells[1]) == pytest.approx(st["relative_error"], rel=1e-3)
            assert [int(c) for c in cells[3 : 3 + len(th)]] == [st["flips"][t] for t in th]
            assert [float(c) for c in cells[3 + len(th) :]] == [pytest.approx(st["entities"][t]["f1"], abs=5e-5)
                                                               for t in th]


def test_card_numbers_equal_the_report_and_failures_show(tiny_trained_artifacts):
    """A report of the folder's files (its own rows' numbers, one row made failing): each number in the card's
    table is the report's."""
    man = mf.read(tiny_trained_artifacts)
    results = []
    for i, (art, g) in enumerate(man.graphs()):
        v = g.variant.id_in(art.layout)
        if g.variant.component in (Component.LABELS, Component.LABELS_BULK, Component.PROMPTS):
            key = "prompts" if g.variant.component is Component.PROMPTS else "labels"
            stats = {key: {"max_abs": 1e-7 * (i + 1), "relative_error": 2e-7 * (i + 1), "min_cosine": 0.999991}}
        else:
            ent = {t: {"f1": 0.9 + 0.001 * i + (0.01 if t == "0.5" else 0)} for t in ("0.3", "0.5")}
            stats = {"tflite_labels": {"max_abs_diff": 3e-4 * (i + 1), "relative_error": 5e-7 * (i + 1),
                                       "flips": {"0.3": i, "0.5": 2 * i}, "entities": ent}}
        row = _report_row(v, passed=i != 3, **stats)
        row.update(component=g.variant.component.value, file=art.file, bytes=art.bytes)
        results.append(row)
    report = {"source": dict(man.source), "thresholds": [0.3, 0.5], "suite_version": "v1", "results": results,
              "meta": {"suite_cases": 10, "suite_items": 10, "labels_validated": 8},
              "summary": {"passed": len(results) - 1, "failed": 1}}
    text = card.render(tiny_trained_artifacts, man, report)
    assert_card_table_equals_report(text, report)
    failing = results[3]["variant"]
    assert "1 graph(s) failed validation" in text and f"- `{failing}`: {results[3]['failures'][0]}" in text
    assert json.dumps(report)  # the report rendered is plain JSON, as report.json is


def test_seed_file_recorded_off_the_contract_is_refused(tiny_trained_artifacts, tmp_path):
    """A manifest recording a seed file's inputs as int32 (the old contract): the runtime refuses the folder and
    validate fails the row, each naming the input and both dtypes."""
    from runtime import GLiNERLiteRT
    from tests.runtime_helpers import edit_manifest
    from validate import harness

    folder = copy_folder(tiny_trained_artifacts, tmp_path / "f", precision="fp32", layout="files")

    def to_int32(m):
        for g in m["artifacts"]["text_encoder_seq256_fp32"]["graphs"]:
            for t in g["inputs"]:
                if t["dtype"] == "int64":
                    t["dtype"] = "int32"

    edit_manifest(folder, to_int32)
    with pytest.raises(ValueError, match=r"in the files layout's contract: input_ids: \[1, 256\] int32 "
                                         r"\(the contract says \[1, 256\] int64\)"):
        GLiNERLiteRT.from_pretrained(folder, "fp32")
    art, graph = mf.read(folder).find(Variant.from_stem("text_encoder_seq256_fp32"), Layout.FILES)
    res = harness.Result(graph.variant, Layout.FILES, art.file, art.bytes)
    harness._check_dtypes(res, graph)
    assert res.failures and "input_ids int32 (contract: int64)" in res.failures[0]
    ok = mf.read(tiny_trained_artifacts).find(graph.variant, Layout.FILES)[1]
    res_ok = harness.Result(graph.variant, Layout.FILES, art.file, art.bytes)
    harness._check_dtypes(res_ok, ok)
    assert not res_ok.failures


def test_runtime_doc_shows_both_contracts():
    """docs/RUNTIME.md's dtype columns are the contract the code enforces (common/inputs.py) and the tables above."""
    from common.inputs import INPUT_DTYPES
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "RUNTIME.md").read_text()
    rows = re.findall(r"^\| in `(\w+)`(?: \(input \d\))? \| `[^`]+` \| (\w+) \| (\w+) \|", doc, re.M)
    assert len(rows) == 8  # two labels inputs, six text inputs
    for name, bundle, seed in rows:
        assert (bundle, seed) == (INPUT_DTYPES[Layout.BUNDLE][name], INPUT_DTYPES[Layout.FILES][name]), name
    for comp in (Component.LABELS, Component.TEXT):
        for name, dtype in SEED_CARD_INPUTS[comp]:
            assert (name, INPUT_DTYPES[Layout.FILES][name]) == (name, dtype)
        for name, dtype in BUNDLE_INPUTS[comp]:
            assert INPUT_DTYPES[Layout.BUNDLE][name] == dtype


def test_card_cli_refuses_a_folder_without_manifest(tmp_path, capsys):
    assert card.main(["--artifacts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json is missing" in err and "python -m convert" in err
    assert not (tmp_path / "README.md").exists()


def test_license_comes_from_the_source_models_card(tiny_trained_artifacts, tmp_path):
    """A local source folder whose README front matter names a license: the card carries it, not the placeholder."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "README.md").write_text("---\nlicense: apache-2.0\ntags:\n  - ner\n---\n# a model\n")
    man = mf.read(tiny_trained_artifacts)
    man.source = {**man.source, "folder": str(src)}
    front = card.render(tiny_trained_artifacts, man, None).split("---")[1]
    assert "license: apache-2.0\n" in front and "TODO" not in front.split("license:")[1].splitlines()[0]
