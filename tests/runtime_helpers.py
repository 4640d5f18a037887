"""Helpers shared by the runtime test files: texts, label sets, entity comparison, damaged folder copies."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.conftest import CORE_LABELS, LABELS_25, ROOT
from validate.suite import FILL_SENTENCES

SCORE_TOL = 1e-4  # fp32 graphs vs PyTorch: float32 rounding only (measured max ~6e-6)
# 30 labels: the 8 the model knows sit at positions 22..29, across the 25-label group boundary.
LABELS_30 = LABELS_25[8:] + ["animal", "sport", "language", "religion", "weapon"] + CORE_LABELS
EXTRA_TEXTS = [
    "Paris",
    "北京大学的王小明在东京参加了会议。 Tokyo 東京 서울",
    "Launch day 🚀🎉 for the Pixel 8 in New York 😀 👍🏽 with Maria Garcia of Acme Corp.",
    "Zoë Ångström visited Kraków, São Paulo and Montréal with François Müller on 3 May 2021.",
    "  leading and trailing spaces,\ttabs\nand newlines around Helios Pharma  ",
    "state-of-the-art Jean-Pierre co-founded Rolls-Royce in mid-2020 for $1,234.56",
]


def long_text() -> str:
    """~1370 words, ~3000 tokens: 9 windows of tiny-trained's 512 bucket."""
    return " ".join(FILL_SENTENCES * 2)


def reference_windows(counts: list[int], special: int, max_tokens: int, max_words: int, overlap: int):
    """The documented window plan, restated here apart from runtime/windows.py: [(start, stop, owned starts)].
    Greedy from word 0 within both budgets; the next window starts `overlap` words (at most half the window)
    before the previous one ends; each start word belongs to the window whose seam it is farther from."""
    bounds, a, n = [], 0, len(counts)
    while n:
        b = a
        while b < n and b - a < max_words and special + sum(counts[a : b + 1]) <= max_tokens:
            b += 1
        b = max(b, a + 1)
        bounds.append((a, b))
        if b == n:
            break
        a = max(b - min(overlap, (b - a) // 2), a + 1)
    if not bounds:
        return []
    cuts = [0] + [(prev_stop + nxt_start) // 2 for (_, prev_stop), (nxt_start, _) in zip(bounds, bounds[1:])] + [n]
    return [(a, b, range(cuts[i], cuts[i + 1])) for i, (a, b) in enumerate(bounds)]


def reference_bucket_windows(counts: list[int], special: int, budgets: list[tuple[int, int]], overlap: int):
    """The documented choice of bucket for windows, restated apart from runtime/windows.py: the windows of the
    smallest (max_tokens, max_words) budget that cuts the text into as many windows as the largest budget does,
    every window whole within its tokens; else the largest budget's."""
    want = reference_windows(counts, special, *budgets[-1], overlap)
    for max_tokens, max_words in budgets:
        got = reference_windows(counts, special, max_tokens, max_words, overlap)
        if len(got) == len(want) and all(special + sum(counts[a:b]) <= max_tokens for a, b, _ in got):
            return got
    return want


def keyed(ents) -> dict:
    return {(e["start"], e["end"], e["label"]): e for e in ents}


def diff(want: list[dict], got: list[dict], text: str) -> tuple[list[str], float]:
    """Problems (spans, labels, texts, order) and the max score difference of matching entities."""
    w, g = keyed(want), keyed(got)
    problems = []
    if set(w) != set(g):
        problems.append(f"expected only {sorted(set(w) - set(g))}, runtime only {sorted(set(g) - set(w))}")
    if [e["start"] for e in got] != sorted(e["start"] for e in got):
        problems.append("runtime entities are not ordered by start")
    worst = 0.0
    for k in set(w) & set(g):
        worst = max(worst, abs(w[k]["score"] - g[k]["score"]))
        if g[k]["text"] != text[k[0] : k[1]] or g[k]["text"] != w[k]["text"]:
            problems.append(f"text of {k}: {g[k]['text']!r} vs {w[k]['text']!r}")
    return problems, worst


def f1(want: list[list[dict]], got: list[list[dict]]) -> float:
    tp = fp = fn = 0
    for w, g in zip(want, got):
        ws, gs = set(keyed(w)), set(keyed(g))
        tp, fp, fn = tp + len(ws & gs), fp + len(gs - ws), fn + len(ws - gs)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def copy_folder(src: Path, dst: Path, precision: str = "fp32", layout: str = "files") -> Path:
    """An artifacts folder holding one precision's graphs in one layout (small), for tests that damage it: the
    seed-named files by default (a test names the file it damages), or the bundle."""
    keep = {a["file"] for a in json.loads((src / "manifest.json").read_text())["artifacts"].values()
            if a["layout"] == layout and a["precision"] == precision}

    def other_graphs(_dir, names):
        return [n for n in names if n.endswith(".tflite") and n not in keep]

    shutil.copytree(src, dst, ignore=other_graphs)
    edit_manifest(dst, lambda m: m.update(artifacts={k: a for k, a in m["artifacts"].items() if a["file"] in keep}))
    return dst


def edit_manifest(folder: Path, edit) -> Path:
    """Rewrite folder/manifest.json through `edit(dict)` (which may return a replacement)."""
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    new = edit(data)
    path.write_text(json.dumps(data if new is None else new))
    return folder


def env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def upstream_span_decode(logits, labels: list[str]) -> list[tuple[int, int, str, float]]:
    """gliner's SpanDecoder on [num_words, max_width, C] logits (flat, single-label, threshold 0.5)."""
    import types

    import torch
    from gliner.decoding.decoder import SpanDecoder

    out = SpanDecoder(types.SimpleNamespace()).decode(
        [["w"] * logits.shape[0]], {i + 1: x for i, x in enumerate(labels)}, torch.from_numpy(logits[None]),
        span_idx=None, span_mask=None, span_logits=None, flat_ner=True, threshold=0.5, multi_label=False,
        return_class_probs=False, input_spans=None,
    )
    return [(s.start, s.end, s.entity_type, s.score) for s in out[0]]


def upstream_per_window(upstream, artifacts: Path, text: str, labels: list[str], max_seq_len: int | None = None):
    """The windows rule computed without the runtime: the windows planned from the manifest's fp32 text graphs
    (those up to max_seq_len) and upstream's tokenizer, upstream run on each window's text, each start row kept from
    the window owning it (spans past a window's end are -inf, never scored there), decoded once with upstream's
    decoder. Returns (entities as predict_entities gives them, the windows as (start, stop, owned rows))."""
    import numpy as np

    from runtime.words import split_words
    from validate.reference import upstream_reference

    manifest = json.loads((artifacts / "manifest.json").read_text())
    cfg = manifest["config"]
    graphs = [g for a in manifest["artifacts"].values() for g in a["graphs"]
              if g["variant"].startswith("text_encoder_") and g["variant"].endswith("_fp32")
              and g["inputs"][0]["shape"][1] <= (max_seq_len or 10**9)]
    seq_lens = [g["inputs"][0]["shape"][1] for g in graphs]
    max_words = min(cfg["max_len"], max(seq_lens))
    budgets = sorted((min(s, g["max_valid_tokens"]), min(max_words, s)) for s, g in zip(seq_lens, graphs))
    triples = split_words(text)
    words = [w for w, _, _ in triples]
    enc = upstream.data_processor.transformer_tokenizer(words, is_split_into_words=True)
    counts = np.bincount([w for w in enc.word_ids() if w is not None], minlength=len(words)).tolist()
    special = sum(w is None for w in enc.word_ids())
    windows = reference_bucket_windows(counts, special, budgets, 4 * cfg["max_width"])
    width = cfg["max_width"]
    logits = np.full((len(words), width, len(labels)), -np.inf, np.float32)
    for a, b, owned in windows:
        ref = upstream_reference(upstream, text[triples[a][1] : triples[b - 1][2]], labels)
        assert ref.words == words[a:b]
        for s in owned:
            row = ref.logits[s - a].copy()
            row[np.arange(width) + s >= b] = -np.inf  # never scored in this window
            logits[s] = row
    want = [{"start": triples[s][1], "end": triples[e][2], "text": text[triples[s][1] : triples[e][2]], "label": lab,
             "score": sc} for s, e, lab, sc in upstream_span_decode(logits, labels)]
    return want, windows


__all__ = [
    "CORE_LABELS", "EXTRA_TEXTS", "LABELS_30", "SCORE_TOL", "copy_folder", "diff", "edit_manifest", "env", "f1",
    "keyed", "long_text", "noisy_text", "reference_bucket_windows", "reference_windows", "upstream_per_window",
    "upstream_span_decode",
]


def noisy_text(seed: int = 0, sentences: int = 16) -> str:
    """A long noisy multi-script text (seeds 0-7: 640 to 1,850 words, 1,660 to 4,790 tokens, within the tiny
    encoder's 8192 positions so upstream takes it in one pass): eval-suite texts of every category, English and
    not, interleaved with CJK, Cyrillic, Arabic and Devanagari runs, emoji, URLs, hashtags, numbers, stray
    punctuation and odd spacing. The kind of text on which windowing was reported to agree less with one pass."""
    import random

    from validate.suite import load_suite

    rnd = random.Random(seed)
    suite = [item.text for item in load_suite() if len(item.text.split()) > 3]
    noise = [
        "北京大学的王小明在东京参加了会议。", "Москва и Санкт-Петербург", "مرحبا بكم في دبي", "नई दिल्ली में बैठक",
        "東京タワー", "서울 특별시", "🔥🔥🔥", "😀 👍🏽", "🚀", "https://example.com/a?b=1&c=2", "#breaking",
        "@user_42",
        "!!!", "...", "—", "(see p. 12)", "1,234.56", "2024-09-30T12:00Z", "ID: 7f3a-99", "¯\\_(ツ)_/¯", "x2", "§ 4.2",
    ]
    parts = []
    for _ in range(sentences):
        parts.append(rnd.choice(suite))
        for _ in range(rnd.randint(0, 3)):
            parts.append(rnd.choice(noise))
    seps = [" ", " ", " ", "  ", "\n", " \t ", "\u00a0", "\u3000"]
    return "".join(p + rnd.choice(seps) for p in parts).strip()
