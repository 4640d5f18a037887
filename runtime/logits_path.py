"""Stage 2-3 by the seed's logits graph: each window through `text_encoder_seq{S}` once per config.max_types labels,
the logits stitched across windows and decoded as upstream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.inputs import TEXT_OUTPUT, build_text_inputs
from runtime.artifacts import Bucket
from runtime.checks import check_finite_scores
from runtime.decoding import decode_spans
from runtime.text import PreparedText, TextStage, entities
from runtime.windows import Window, stitch


@dataclass(frozen=True)
class GraphCall:
    """One text-graph call (one window, up to config.max_types labels) with its inputs built."""

    bucket: Bucket
    arrays: dict[str, np.ndarray]
    num_words: int  # words of the window
    num_labels: int  # labels of this group


class LogitsPath:
    """The seed's text graphs of one folder (`buckets`), scoring a window against labels in the graph."""

    def __init__(self, artifacts, text: TextStage, buckets: list[Bucket]):
        self.artifacts = artifacts
        self.config = artifacts.config
        self.text = text
        self.buckets = buckets

    def build_calls(self, prepared: PreparedText, window: Window, embeds: np.ndarray) -> list[GraphCall]:
        """Tokenize one window, pick the smallest bucket that holds it, build one call per config.max_types
        labels."""
        enc = self.text.encode_window(prepared.words, window)
        n_words = window.stop - window.start
        bucket = self.text.bucket(len(enc.ids), n_words, self.buckets)
        calls = []
        per_call = self.config.max_types
        for g in range(0, embeds.shape[0], per_call):
            group = embeds[g : g + per_call]
            inputs = build_text_inputs(
                enc.ids, enc.word_ids, n_words, bucket.variant.seq_len, self.config.max_width, group,
                pad_token_id=self.config.text_pad_token_id, max_types=per_call,
            )
            calls.append(GraphCall(bucket, inputs.arrays, n_words, group.shape[0]))
        return calls

    def run_call(self, call: GraphCall) -> np.ndarray:
        """One text-graph call -> span logits [window words, max_width, labels of the group]."""
        logits = self.artifacts.run(call.bucket.variant, call.arrays)[TEXT_OUTPUT]
        out = np.asarray(logits[0, : call.num_words, :, : call.num_labels], np.float32)
        check_finite_scores(out, call.arrays["labels_embeds"][0, : call.num_labels])
        return out

    def window_logits(self, calls: list[GraphCall]) -> np.ndarray:
        """One window's calls -> logits [window words, max_width, N labels]."""
        return np.concatenate([self.run_call(c) for c in calls], axis=2)

    def decode(self, prepared: PreparedText, window_logits: list[np.ndarray], labels, threshold: float = 0.5,
               flat_ner: bool = True, multi_label: bool = False) -> list[dict]:
        """Stitch the windows' logits, decode spans as upstream, map words to char offsets."""
        num_words = prepared.num_words
        logits = stitch(window_logits, prepared.windows, num_words)
        spans = decode_spans(logits, num_words, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
        return entities(prepared, spans)

    def predict(self, prepared: PreparedText, embeds: np.ndarray, labels, threshold, flat_ner, multi_label):
        window_logits = [self.window_logits(self.build_calls(prepared, w, embeds)) for w in prepared.windows]
        return self.decode(prepared, window_logits, labels, threshold, flat_ner, multi_label)
