"""The token-level graph (token_logits_seq{S}) run on the suite's inputs and judged against upstream
BiEncoderTokenModel's logits, as validate.graphs judges the span logits graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.inputs import build_token_inputs
from common.manifest import Graph
from runtime.token_decoding import decode_tokens
from upstream import adapter
from validate.graphs import Interp, _finish_text, _load, label_feeds, text_paths
from validate.results import Case, Result, Stage


def token_entity_sets(logits: np.ndarray, num_words: int, labels, thresholds) -> dict:
    """threshold -> {(start word, end word, label)} decoded as upstream's TokenDecoder (runtime's numpy port,
    which tests/test_token_decoding.py holds to upstream's decoder)."""
    return {t: {(s, e, lab) for s, e, lab, _ in decode_tokens(logits, num_words, list(labels), t)}
            for t in thresholds}


def validate_tokens(model, res: Result, path: Path, graph: Graph, cases: list[Case], thresholds,
                    tflite_label_embeds: dict | None, num_threads, judge_entities: bool,
                    unjudged: dict[str, str] | None = None, opener=Interp) -> None:
    """Runs the token graph on every case that fits it, fed (a) upstream's label embeddings and (b) the labels
    encoder .tflite's of the same precision, config.max_types labels a call as the runtime does; the logits over
    the text's words ([words, labels x 3]: start, end, inside) are judged with the span graphs' statistics and
    tolerance, entities decoded with the token decoder."""
    v = res.variant
    per_call = adapter.config(model).max_types
    interp = _load(res, path, num_threads, graph, opener)
    if interp is None:
        return
    paths = text_paths(res, thresholds, tflite_label_embeds)
    skipped_truncated = 0
    limit = min(v.seq_len, graph.max_valid_tokens)
    want_shape = (1, v.seq_len, per_call, 3)
    pad = adapter.text_tokenizer(model).pad_token_id
    for case in cases:
        ref = case.ref
        if case.num_tokens > limit or ref.num_words > v.seq_len:
            continue
        w, c = ref.num_words, len(case.item.labels)
        want = ref.logits[:w, :c, :]
        feeds, missing = label_feeds(case, tflite_label_embeds)
        skipped_truncated += missing
        for name, emb in feeds.items():
            parts = []
            for g in range(0, c, per_call):
                arrays = build_token_inputs(ref.input_ids, ref.word_ids, w, v.seq_len, emb[g : g + per_call],
                                            pad, max_types=per_call).arrays
                out = interp(**arrays)
                res.stage = max(res.stage, Stage.RAN, key=list(Stage).index)
                if out.shape != want_shape:
                    res.failures.append(f"logits shape {out.shape} != {want_shape}")
                    return
                parts.append(out[0, :w, : min(per_call, c - g)])
            logits = np.concatenate(parts, axis=1)  # [w, c, 3]
            paths[name].add(want.reshape(w, -1), logits.reshape(w, -1), case.entities,
                            token_entity_sets(logits, w, case.item.labels, thresholds))
    _finish_text(res, paths, skipped_truncated, interp, judge_entities, unjudged)
