"""Stages 2-3 of a token-level model: each window through `token_logits_seq{S}` once per config.max_types labels,
the per-word start/end/inside logits stitched across windows and decoded as upstream's TokenDecoder."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from common.inputs import TOKENS_OUTPUT, build_token_inputs
from runtime.checks import check_finite_scores
from runtime.logits_path import GraphCall
from runtime.text import PreparedText, TextStage, entities
from runtime.token_decoding import decode_tokens
from runtime.windows import Window


def stitch_words(window_logits: Sequence[np.ndarray], windows: Sequence[Window], num_words: int) -> np.ndarray:
    """Per-window token logits [>= window words, C, 3] -> text logits [num_words, C, 3]: word w's row from the
    window owning w (the span path's ownership rule, runtime/windows.py). A token-level entity is decoded over
    the whole text, so one crossing a seam takes its start and end scores from the windows owning those words."""
    first = window_logits[0]
    out = np.empty((num_words, *first.shape[1:]), np.float32)
    for w, logits in zip(windows, window_logits):
        out[w.own_start : w.own_stop] = logits[w.own_start - w.start : w.own_stop - w.start]
    return out


class TokenPath:
    """The token graphs of one folder (`buckets`), scoring a window's words against labels in the graph."""

    def __init__(self, artifacts, text: TextStage, buckets):
        self.artifacts = artifacts
        self.config = artifacts.config
        self.text = text
        self.buckets = buckets

    def build_calls(self, prepared: PreparedText, window: Window, embeds: np.ndarray) -> list[GraphCall]:
        """Tokenize one window, pick the smallest bucket that holds it, build one call per config.max_types labels.

        The Scorer is not linear in the label (out_mlp's ReLU sits after the word x label product), so labels
        cannot be scored on the host from a labels-independent output as the span path does without holding the
        scorer's weights on the host; a chunk of max_types labels per call re-runs the encoder instead
        (docs/RUNTIME.md, "Token-level models", measures it)."""
        enc = self.text.encode_window(prepared.words, window)
        n_words = window.stop - window.start
        bucket = self.text.bucket(len(enc.ids), n_words, self.buckets)
        per_call = self.config.max_types
        calls = []
        for g in range(0, embeds.shape[0], per_call):
            group = embeds[g : g + per_call]
            inputs = build_token_inputs(enc.ids, enc.word_ids, n_words, bucket.variant.seq_len, group,
                                        pad_token_id=self.config.text_pad_token_id, max_types=per_call)
            calls.append(GraphCall(bucket, inputs.arrays, n_words, group.shape[0]))
        return calls

    def run_call(self, call: GraphCall) -> np.ndarray:
        """One call -> token logits [window words, labels of the group, 3]."""
        logits = self.artifacts.run(call.bucket.variant, call.arrays)[TOKENS_OUTPUT]
        out = np.asarray(logits[0, : call.num_words, : call.num_labels], np.float32)
        check_finite_scores(out, call.arrays["labels_embeds"][0, : call.num_labels])
        return out

    def window_logits(self, calls: list[GraphCall]) -> np.ndarray:
        """One window's calls -> token logits [window words, N labels, 3]."""
        return np.concatenate([self.run_call(c) for c in calls], axis=1)

    def decode(self, prepared: PreparedText, window_logits: list[np.ndarray], labels, threshold: float = 0.5,
               flat_ner: bool = True, multi_label: bool = False) -> list[dict]:
        logits = stitch_words(window_logits, prepared.windows, prepared.num_words)
        spans = decode_tokens(logits, prepared.num_words, labels, threshold, flat_ner, multi_label)
        return entities(prepared, spans)

    def predict(self, prepared: PreparedText, embeds: np.ndarray, labels, threshold, flat_ner, multi_label):
        window_logits = [self.window_logits(self.build_calls(prepared, w, embeds)) for w in prepared.windows]
        return self.decode(prepared, window_logits, labels, threshold, flat_ner, multi_label)
