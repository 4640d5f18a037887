"""The input/output contract of each graph, and the host-side builders of its inputs (numpy only, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from common.variants import LABEL_TOKENS, MAX_LABELS, Component

# Names the seed's apps feed and read; the .tflite signatures carry exactly these.
TEXT_INPUTS = (
    "input_ids", "attention_mask", "first_subword_positions", "word_valid_mask", "labels_embeds", "span_idx",
)
TEXT_OUTPUT = "logits"
LABELS_INPUTS = ("input_ids", "attention_mask")
LABELS_OUTPUT = "labels_embeds"
# The labels-independent text graph: the text graph's inputs without labels_embeds and span_idx (its output holds
# every span of the bucket, row s * max_width + k being words s .. s + k).
SPANS_INPUTS = TEXT_INPUTS[:4]
SPANS_OUTPUT = "span_reps"
PROMPTS_INPUTS = ("labels_embeds",)
PROMPTS_OUTPUT = "prompts"


def io_names(component: Component) -> tuple[tuple[str, ...], str]:
    """(input names, output name) of a component's graph."""
    return {
        Component.LABELS: (LABELS_INPUTS, LABELS_OUTPUT), Component.LABELS_BULK: (LABELS_INPUTS, LABELS_OUTPUT),
        Component.PROMPTS: (PROMPTS_INPUTS, PROMPTS_OUTPUT), Component.TEXT: (TEXT_INPUTS, TEXT_OUTPUT),
        Component.SPANS: (SPANS_INPUTS, SPANS_OUTPUT),
    }[component]


def input_shapes(component: Component, seq_len: int | None, max_width: int, hidden: int) -> dict[str, tuple]:
    """Static shapes of a graph's inputs, in signature order."""
    if component is Component.LABELS:
        return {n: (MAX_LABELS, LABEL_TOKENS) for n in LABELS_INPUTS}
    if component is Component.LABELS_BULK:
        return {n: (component.label_rows, LABEL_TOKENS) for n in LABELS_INPUTS}
    if component is Component.PROMPTS:
        return {"labels_embeds": (component.label_rows, hidden)}
    s = seq_len
    if component is Component.SPANS:
        return {n: (1, s) for n in SPANS_INPUTS}
    return {
        "input_ids": (1, s), "attention_mask": (1, s), "first_subword_positions": (1, s),
        "word_valid_mask": (1, s), "labels_embeds": (1, MAX_LABELS, hidden), "span_idx": (1, s * max_width, 2),
    }


def output_shape(component: Component, seq_len: int | None, max_width: int, hidden: int) -> tuple:
    if component is Component.LABELS:
        return (MAX_LABELS, hidden)
    if component in (Component.LABELS_BULK, Component.PROMPTS):
        return (component.label_rows, hidden)
    if component is Component.SPANS:
        return (1, seq_len, max_width, hidden)
    return (1, seq_len, max_width, MAX_LABELS)


@dataclass(frozen=True)
class TextInputs:
    """The six arrays of one text-graph call, plus what decoding needs to read its output."""

    arrays: dict[str, np.ndarray]
    num_words: int  # words that get spans (upstream's text_lengths)
    num_tokens: int  # tokens including the special ones


def first_subword_positions(word_ids: Sequence[int | None]) -> list[int]:
    """Token position of each word's first sub-token, in the order words are first seen.

    Mirrors gliner.data_processing.utils.prepare_word_mask with subtoken_pooling="first": a word that
    produced no token is skipped, so later words shift exactly as upstream's `seen_words` counter does.
    """
    out: list[int] = []
    prev = None
    for pos, wid in enumerate(word_ids):
        if wid is not None and wid != prev:
            out.append(pos)
        prev = wid
    return out


def build_text_inputs(
    input_ids: Sequence[int], word_ids: Sequence[int | None], num_words: int, seq_len: int, max_width: int,
    labels_embeds: np.ndarray, pad_token_id: int = 0,
) -> TextInputs:
    """Words already tokenized (ids and word_ids of one encoding, special tokens included) -> graph inputs.

    Spans whose end falls past the last word are zeroed, as upstream multiplies span_idx by span_mask:
    an out-of-range index would also crash LiteRT's gather.
    """
    n_tok = len(input_ids)
    if n_tok > seq_len:
        raise ValueError(f"{n_tok} tokens do not fit seq_len {seq_len}; pick a larger bucket or split the text")
    if num_words > seq_len:
        raise ValueError(f"{num_words} words do not fit seq_len {seq_len}")
    if labels_embeds.ndim != 2 or labels_embeds.shape[0] > MAX_LABELS:
        raise ValueError(f"labels_embeds must be [<= {MAX_LABELS}, hidden], got {labels_embeds.shape}")

    ids = np.full((1, seq_len), pad_token_id, np.int32)
    ids[0, :n_tok] = input_ids
    mask = np.zeros((1, seq_len), np.int32)
    mask[0, :n_tok] = 1
    firsts = first_subword_positions(word_ids)[:num_words]
    positions = np.zeros((1, seq_len), np.int32)
    positions[0, : len(firsts)] = firsts
    valid = np.zeros((1, seq_len), np.int32)
    valid[0, : len(firsts)] = 1

    starts = np.repeat(np.arange(seq_len, dtype=np.int32), max_width)
    ends = starts + np.tile(np.arange(max_width, dtype=np.int32), seq_len)
    keep = (ends < num_words)[:, None]
    span_idx = np.where(keep, np.stack([starts, ends], axis=1), 0).astype(np.int32)[None]

    labels = np.zeros((1, MAX_LABELS, labels_embeds.shape[1]), np.float32)
    labels[0, : labels_embeds.shape[0]] = labels_embeds
    arrays = {
        "input_ids": ids, "attention_mask": mask, "first_subword_positions": positions, "word_valid_mask": valid,
        "labels_embeds": labels, "span_idx": span_idx,
    }
    return TextInputs(arrays=arrays, num_words=num_words, num_tokens=n_tok)


def build_labels_inputs(encodings: Sequence[Sequence[int]], empty_encoding: Sequence[int],
                        rows: int = MAX_LABELS) -> dict[str, np.ndarray]:
    """Token ids of up to `rows` labels (special tokens included) -> [rows, 32] ids and mask (25 rows: the
    labels encoder; BULK_LABEL_ROWS: the bulk one).

    Rows past the last label hold the encoding of the empty string ([CLS] [SEP]): a row with no attended
    token would be a softmax over nothing. Ids past 32 are cut, keeping the final [SEP] as a truncating
    tokenizer does.
    """
    if len(encodings) > rows:
        raise ValueError(f"{len(encodings)} labels in one call; this labels encoder takes at most {rows}")
    ids = np.zeros((rows, LABEL_TOKENS), np.int32)
    mask = np.zeros((rows, LABEL_TOKENS), np.int32)
    padded = list(encodings) + [empty_encoding] * (rows - len(encodings))
    for i, row in enumerate(padded):
        row = list(row)
        if len(row) > LABEL_TOKENS:
            row = row[: LABEL_TOKENS - 1] + row[-1:]
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}
