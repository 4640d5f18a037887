"""Stage 2-3 by the labels-independent graphs: each window through `text_spans_seq{S}` once, whatever the number
of labels, its span representations scored against the labels' prompt vectors on the host, then decoded."""

from __future__ import annotations

import numpy as np

from common.inputs import SPANS_INPUTS, SPANS_OUTPUT, build_text_inputs
from runtime.artifacts import Bucket
from runtime.checks import check_finite_scores
from runtime.decoding import decode_candidates
from runtime.scoring import score_candidates
from runtime.text import PreparedText, TextStage, entities
from runtime.windows import Window, stitch_spans


class SpanPath:
    """The span graphs of one folder (`buckets`); scores take at most `scores_budget_bytes` at once."""

    def __init__(self, artifacts, text: TextStage, buckets: list[Bucket], scores_budget_bytes: int):
        self.artifacts = artifacts
        self.config = artifacts.config
        self.text = text
        self.buckets = buckets
        self.scores_budget_bytes = scores_budget_bytes

    def window_spans(self, prepared: PreparedText, window: Window) -> np.ndarray:
        """One window through the smallest span graph that holds it -> span representations
        [window words, max_width, hidden] (labels-independent)."""
        enc = self.text.encode_window(prepared.words, window)
        n_words = window.stop - window.start
        bucket = self.text.bucket(len(enc.ids), n_words, self.buckets)
        # The text graph's builder, fed no labels: the span graph takes its four word-level arrays.
        inputs = build_text_inputs(
            enc.ids, enc.word_ids, n_words, bucket.variant.seq_len, self.config.max_width,
            np.zeros((0, 1), np.float32), pad_token_id=self.config.text_pad_token_id, max_types=self.config.max_types,
        )
        out = self.artifacts.run(bucket.variant, {k: inputs.arrays[k] for k in SPANS_INPUTS})[SPANS_OUTPUT]
        return out[0, :n_words]

    def decode(self, prepared: PreparedText, window_reps: list[np.ndarray], prompts: np.ndarray, labels,
               threshold: float = 0.5, flat_ner: bool = True, multi_label: bool = False) -> list[dict]:
        """The spans decoding reads (each start from the window owning it) scored against every prompt on the
        host, in float32, at most scores_budget_bytes at once, then decoded as upstream; word indices mapped to
        char offsets."""
        reps, starts, widths = stitch_spans(window_reps, prepared.windows)
        check_finite_scores(prompts, prompts, labels)
        # The host matmul overflows only if |reps| x |prompts| x hidden can pass float32's range: bound it once.
        if reps.size and float(np.abs(reps).max()) * float(np.abs(prompts).max()) * reps.shape[-1] > 1e38:
            check_finite_scores(np.array([np.inf]), prompts, labels)
        rows, classes, probs = score_candidates(reps, prompts, threshold, self.scores_budget_bytes,
                                                best_label_only=not multi_label)
        spans = decode_candidates(starts[rows], widths[rows], classes, probs, prepared.num_words, labels,
                                  flat_ner=flat_ner, multi_label=multi_label)
        return entities(prepared, spans)

    def predict(self, prepared: PreparedText, prompts: np.ndarray, labels, threshold, flat_ner, multi_label):
        reps = [self.window_spans(prepared, w) for w in prepared.windows]
        return self.decode(prepared, reps, prompts, labels, threshold, flat_ner, multi_label)
