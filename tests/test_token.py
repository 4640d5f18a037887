"""Token-level bi-encoders (gliner's BiEncoderTokenGLiNER): the plan, the restated Scorer, the validation gate and
the runtime against upstream gliner, on tiny-token-trained converted once (real litert-torch, real LiteRT)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from tests.conftest import CORE_LABELS, ROOT, built_once, convert_into, load_gliner
from tests.runtime_helpers import EXTRA_TEXTS, LABELS_30, SCORE_TOL, diff, long_text
from validate.suite import load_suite

TINY_TOKEN_TRAINED = ROOT / "tests" / "fixtures" / "tiny-token-trained"
TOKEN_SEQ_LENS = (64, 256)
PER_CATEGORY = 4  # suite texts per category in the parity set


@pytest.fixture(scope="module")
def upstream():
    return load_gliner(str(TINY_TOKEN_TRAINED))


@pytest.fixture(scope="module")
def token_artifacts(shared_dir):
    return built_once(shared_dir, "tiny-token-trained-artifacts", lambda out: convert_into(
        TINY_TOKEN_TRAINED, out, seq_lens=TOKEN_SEQ_LENS, precisions=("fp32", "int8"), layouts=("bundle",)))


@pytest.fixture(scope="module")
def rt(token_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(token_artifacts, "fp32", num_threads=1)


@pytest.fixture(scope="module")
def parity_items(rt):
    """(id, text, labels): the first suite texts of each category that fit one call (one window, upstream's
    max_len), plus the edge texts."""
    per_cat: dict[str, list] = defaultdict(list)
    for item in load_suite():
        if len(per_cat[item.category]) < PER_CATEGORY and len(rt.prepare(item.text).windows) == 1 and not any(
                len(rt.labels_tokenizer.encode(x).ids) > rt.config.label_tokens for x in item.labels):
            per_cat[item.category].append((item.id, item.text, list(item.labels)))
    return [x for c in sorted(per_cat) for x in per_cat[c]] + [
        (f"extra-{i}", t, list(CORE_LABELS)) for i, t in enumerate(EXTRA_TEXTS)]


# ---------------------------------------------------------------------------------------------- plan and graph


def test_plan_of_a_token_model_has_no_span_graph_and_vice_versa():
    from common.variants import Component, Precision, Variant, all_variants

    token = {v.component for v in all_variants((64,), span_mode="token_level")}
    span = {v.component for v in all_variants((64,))}
    assert token == {Component.LABELS, Component.LABELS_BULK, Component.TOKENS}
    assert Component.TOKENS not in span and {Component.TEXT, Component.SPANS, Component.PROMPTS} <= span
    v = Variant(Component.TOKENS, Precision.INT8, 256)
    assert (str(v), v.signature) == ("token_logits_seq256_int8", "token_logits_seq256")
    assert Variant.from_stem(str(v)) == v


def test_restated_scorer_equals_upstream_scorer(upstream):
    """The rank-4 restatement (halves split, out_mlp's first Linear split over its concatenation) against gliner's
    Scorer itself on the same word and label embeddings, eager PyTorch."""
    import torch

    from upstream import adapter
    from wrappers.token import TokenLogitsWrapper

    w = TokenLogitsWrapper(upstream, 64).eval()
    cfg = adapter.config(upstream)
    g = torch.Generator().manual_seed(0)
    words = torch.randn(64, cfg.hidden_size, generator=g)
    labels = torch.randn(1, cfg.max_types, cfg.hidden_size, generator=g)
    with torch.no_grad():
        want = adapter.token_scorer(upstream)(words[None], labels)
        w.encode_words = lambda *a: words  # the scorer alone: the encoder is compared end to end below
        got = w(None, None, None, None, labels)["logits"]
    assert got.shape == want.shape == (1, 64, cfg.max_types, 3)
    assert float((got - want).abs().max()) <= 1e-5 * float(want.abs().max())


def test_token_graphs_run_on_xnnpack_and_rank_4(token_artifacts):
    """Every CONCATENATION within XNNPACK's five inputs and six dims (wrappers/stacking.py), and no tensor of rank
    above 4 in the token graphs (upstream's Scorer builds rank-5 ones, which GPU delegates refuse)."""
    from ai_edge_litert.interpreter import Interpreter

    from common.tflite import widest_op
    from wrappers.stacking import MAX_INPUTS

    for p in ("fp32", "int8"):
        path = token_artifacts / f"gliner_bi_{p}.tflite"
        widths = widest_op(path, "CONCATENATION")
        assert {s: w for s, w in widths.items() if w[0] > MAX_INPUTS or w[1] > 6} == {}
        ranks = {len(t["shape"]) for t in Interpreter(model_path=str(path)).get_tensor_details()}
        assert max(ranks) <= 4, ranks


def test_represent_spans_is_refused(tmp_path):
    import json
    import shutil

    from upstream.source import SourceError, resolve

    d = tmp_path / "spans"
    shutil.copytree(TINY_TOKEN_TRAINED, d)
    cfg = json.loads((d / "gliner_config.json").read_text())
    (d / "gliner_config.json").write_text(json.dumps({**cfg, "represent_spans": True}))
    with pytest.raises(SourceError, match="represent_spans \\(a second, span head"):
        resolve(str(d), offline=True)


def test_validate_gate_passes_with_numbers(token_artifacts, upstream):
    """validate's rows for the token graphs: fp32 within 1e-5 relative over valid words, no flips; int8 entity F1
    >= 0.99 on the trained fixture; every row judged on entities that exist."""
    from common import manifest as mf
    from validate import harness

    from upstream import adapter
    from validate.suite import fill_texts

    count = lambda text: adapter.count_text_tokens(upstream, text)  # noqa: E731
    suite = load_suite()
    items = [it for it in suite if count(it.text) <= 60][:40] + suite[:12] + [
        it for s in TOKEN_SEQ_LENS for it in fill_texts(count, s)]
    results, _ = harness.run(upstream, mf.read(token_artifacts), token_artifacts, log=lambda *a: None, items=items)
    rows = {r.row: r for r in results}
    tokens = [r for r in results if r.variant.component.value == "tokens"]
    assert len(tokens) == 2 * len(TOKEN_SEQ_LENS) and all(r.passed for r in results), {
        k: r.failures for k, r in rows.items() if not r.passed}
    for r in tokens:
        st = r.stats["upstream_labels"]
        assert st["items"] > 10 and st["entities"]["0.5"]["reference_entities"] > 20, st
        if r.variant.precision.suffix == "fp32":
            assert st["relative_error"] <= 1e-5
        else:
            assert any("entity F1 >= 0.99" in j for j in r.judged)


# ---------------------------------------------------------------------------------------------- runtime


@pytest.mark.parametrize("threshold", [0.3, 0.5])
@pytest.mark.parametrize("flat_ner", [True, False], ids=["flat", "nested"])
def test_fp32_runtime_equals_upstream(rt, upstream, parity_items, flat_ner, threshold):
    failures, worst, n = [], 0.0, 0
    for item_id, text, labels in parity_items:
        want = upstream.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner)
        got = rt.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner)
        problems, d = diff(want, got, text)
        worst, n = max(worst, d), n + len(want)
        failures += [f"{item_id}: {p}" for p in problems]
    print(f"\n{len(parity_items)} texts, {n} upstream entities, max |score diff| {worst:.2e}")
    assert not failures, "\n".join(failures)
    assert worst <= SCORE_TOL and n > len(parity_items)


def test_more_labels_than_max_types_equal_upstream(rt, upstream, parity_items):
    """30 labels, the 8 the model knows at 22..29: across the 25-label call boundary."""
    failures, second = [], 0
    for item_id, text, _ in parity_items[::2]:
        want = upstream.predict_entities(text, LABELS_30, threshold=0.3)
        got = rt.predict_entities(text, LABELS_30, threshold=0.3)
        problems, d = diff(want, got, text)
        failures += [f"{item_id}: {p}" for p in problems] + ([f"{item_id}: diff {d:.2e}"] if d > SCORE_TOL else [])
        second += sum(LABELS_30.index(e["label"]) >= rt.config.max_types for e in got)
    assert not failures, "\n".join(failures)
    assert second > 0, "no entity came from the second call's labels"


def test_text_longer_than_the_largest_bucket_equals_upstream_run_per_window(rt, upstream):
    """Exact rule computed apart from the runtime: upstream on each window's text, each word's start/end/inside
    row taken from the window owning it (runtime/windows.py's plan, checked against the reference plan in
    test_runtime_parity), decoded once with upstream's TokenDecoder."""
    import torch
    from gliner.decoding.decoder import TokenDecoder

    from runtime.words import split_words
    from validate.reference import upstream_reference

    text = " ".join(long_text().split()[:700])
    triples = split_words(text)
    windows = rt.prepare(text).windows
    assert len(windows) > 2
    logits = np.zeros((len(triples), len(CORE_LABELS), 3), np.float32)
    for w in windows:
        ref = upstream_reference(upstream, text[triples[w.start][1] : triples[w.stop - 1][2]], CORE_LABELS)
        assert len(ref.words) == w.stop - w.start
        logits[w.own_start : w.own_stop] = ref.logits[w.own_start - w.start : w.own_stop - w.start]
    spans = TokenDecoder(upstream.config).decode(
        [["w"] * len(triples)], {i + 1: x for i, x in enumerate(CORE_LABELS)}, model_output=torch.from_numpy(logits[None]),
        flat_ner=True, threshold=0.5, multi_label=False)[0]
    want = [{"start": triples[s.start][1], "end": triples[s.end][2], "text": text[triples[s.start][1] : triples[s.end][2]],
             "label": s.entity_type, "score": s.score} for s in spans]
    got = rt.predict_entities(text, CORE_LABELS)
    problems, d = diff(want, got, text)
    assert not problems, problems
    assert d <= SCORE_TOL and len(want) > 30


def test_swapped_start_end_channels_fail_the_parity_check(rt, upstream, parity_items):
    """Negative control: the runtime's own logits with start and end swapped, decoded, must differ from upstream
    on some text; the comparison above can fail."""
    from runtime.token_decoding import decode_tokens
    from runtime.text import entities

    failed = 0
    for _, text, labels in parity_items:
        prepared = rt.prepare(text)
        embeds = rt.encode_labels(labels)
        (win,) = prepared.windows
        logits = rt.window_logits(rt.build_calls(prepared, win, embeds))  # the public stages: token logits
        spans = decode_tokens(logits[..., [1, 0, 2]], prepared.num_words, labels, 0.5)
        problems, _ = diff(upstream.predict_entities(text, labels), entities(prepared, spans), text)
        failed += bool(problems)
    assert failed >= len(parity_items) // 4, failed


def test_int8_runtime_entity_f1(token_artifacts, upstream, parity_items):
    from runtime import GLiNERLiteRT
    from tests.runtime_helpers import f1

    rt8 = GLiNERLiteRT.from_pretrained(token_artifacts, "int8", num_threads=1)
    want = [upstream.predict_entities(t, labels) for _, t, labels in parity_items]
    got = [rt8.predict_entities(t, labels) for _, t, labels in parity_items]
    score = f1(want, got)
    print(f"\nint8 entity F1 against upstream fp32: {score:.4f} over {sum(map(len, want))} entities")
    assert score >= 0.95


@pytest.mark.parametrize("extra, says", [
    (["--layout", "files"], "a token_level model does not have; use --layout bundle"),
    (["--components", "labels", "spans"], "--components spans: a token_level model has no such graph"),
])
def test_convert_refuses_what_a_token_model_lacks(tmp_path, extra, says):
    from tests.cli import run_cli

    res = run_cli(["python", "-m", "convert", "--model", str(TINY_TOKEN_TRAINED), "--out", str(tmp_path / "o"), *extra])
    assert res.returncode == 2 and says in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "o").exists()


def test_runtime_cli_on_a_token_folder(token_artifacts):
    import json

    from tests.cli import run_cli

    res = run_cli(["python", "-m", "runtime", "--model", str(token_artifacts), "--labels", ",".join(CORE_LABELS),
                   "Maria Garcia joined Acme Corp in Paris on May 3, 2021."])
    assert res.returncode == 0, res.stderr
    got = {(e["text"], e["label"]) for e in json.loads(res.stdout.splitlines()[0])["entities"]}
    want = {(e["text"], e["label"]) for e in load_gliner(str(TINY_TOKEN_TRAINED)).predict_entities(
        "Maria Garcia joined Acme Corp in Paris on May 3, 2021.", CORE_LABELS)}
    assert got == want and len(want) >= 3


def test_card_of_a_token_folder_describes_the_token_head(token_artifacts, upstream):
    """The generated model card names the head the folder holds, with the shapes upstream's config gives."""
    from common import manifest as mf
    from validate.card import render

    card = render(token_artifacts, mf.read(token_artifacts), None)
    cfg = upstream.config
    assert "GLiNER bi-encoder token-level NER model" in card
    assert f"logits[1, S, {cfg.max_types}, 3] (word, label, start/end/inside)" in card
    assert "Span head" not in card and "span (s, s + k)" not in card
