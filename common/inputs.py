"""The input/output contract of each graph, and the host-side builders of its inputs (numpy only, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from common.variants import LABEL_TOKENS, Component, Layout

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
# The token-level graph: words and up to config.max_types label embeddings in (no span_idx: it scores words),
# upstream's Scorer logits out, [1, S, max_types, 3]: start, end, inside (gliner/modeling/scorers.py).
TOKENS_INPUTS = TEXT_INPUTS[:5]
TOKENS_OUTPUT = "logits"


def io_names(component: Component) -> tuple[tuple[str, ...], str]:
    """(input names, output name) of a component's graph."""
    return {
        Component.LABELS: (LABELS_INPUTS, LABELS_OUTPUT), Component.LABELS_BULK: (LABELS_INPUTS, LABELS_OUTPUT),
        Component.PROMPTS: (PROMPTS_INPUTS, PROMPTS_OUTPUT), Component.TEXT: (TEXT_INPUTS, TEXT_OUTPUT),
        Component.SPANS: (SPANS_INPUTS, SPANS_OUTPUT), Component.TOKENS: (TOKENS_INPUTS, TOKENS_OUTPUT),
    }[component]


# The dtype of every input, per layout: the one place the contract's dtypes are named (convert traces with them,
# validate and the runtime feed and check them, docs/RUNTIME.md and the model card show them).
# Seed-named files take exactly what the seed card (ckg/gliner-bi-base-v20-litert) documents, so code written
# against it runs unchanged: int64 ids, masks, positions and span_idx, a float32 word_valid_mask. They are cast
# to the graph's int32 as its first ops (builtin CAST; docs/BENCHMARKS-DTYPES.md: no measurable cost).
# The bundle keeps LiteRT's native index width, int32: EMBEDDING_LOOKUP and GATHER take int32 indices, an app
# fills IntBuffers, span_idx is half the bytes (1.5 MB a call at S=8192 in int64), and its contract is the
# one its apps were written against.
_INT = ("input_ids", "attention_mask", "first_subword_positions", "span_idx")
INPUT_DTYPES: dict[Layout, dict[str, str]] = {
    Layout.BUNDLE: {**{n: "int32" for n in _INT}, "word_valid_mask": "int32", "labels_embeds": "float32"},
    Layout.FILES: {**{n: "int64" for n in _INT}, "word_valid_mask": "float32", "labels_embeds": "float32"},
}
OUTPUT_DTYPE = "float32"  # logits, labels_embeds, span_reps and prompts, in every layout


def input_dtypes(component: Component, layout: Layout) -> dict[str, str]:
    """A graph's input dtypes in `layout` (numpy names), in signature order. The labels-independent graphs
    exist only in a bundle, whose dtypes they take."""
    if layout is Layout.FILES and not component.in_seed:
        raise ValueError(f"the {component.value} graph has no seed-named file; it lives in the bundle only")
    return {n: INPUT_DTYPES[layout][n] for n in io_names(component)[0]}


def as_dtypes(arrays: dict[str, np.ndarray], dtypes: dict[str, str]) -> dict[str, np.ndarray]:
    """`arrays` (the builders' int32) in the dtypes a graph records, e.g. its manifest TensorSpecs. Lossless:
    ids, positions and span indices are far below 2**31, masks are 0/1."""
    return {n: np.ascontiguousarray(a, dtype=dtypes.get(n, a.dtype)) for n, a in arrays.items()}


def input_shapes(component: Component, seq_len: int | None, max_width: int, hidden: int, max_types: int
                 ) -> dict[str, tuple]:
    """Static shapes of a graph's inputs, in signature order. `max_types` (the model config's) is the labels a
    call takes: the labels encoder's rows and the text graph's label columns."""
    if component is Component.LABELS:
        return {n: (max_types, LABEL_TOKENS) for n in LABELS_INPUTS}
    if component is Component.LABELS_BULK:
        return {n: (component.label_rows(max_types), LABEL_TOKENS) for n in LABELS_INPUTS}
    if component is Component.PROMPTS:
        return {"labels_embeds": (component.label_rows(max_types), hidden)}
    s = seq_len
    if component is Component.SPANS:
        return {n: (1, s) for n in SPANS_INPUTS}
    if component is Component.TOKENS:
        return {**{n: (1, s) for n in SPANS_INPUTS}, "labels_embeds": (1, max_types, hidden)}
    return {
        "input_ids": (1, s), "attention_mask": (1, s), "first_subword_positions": (1, s),
        "word_valid_mask": (1, s), "labels_embeds": (1, max_types, hidden), "span_idx": (1, s * max_width, 2),
    }


def output_shape(component: Component, seq_len: int | None, max_width: int, hidden: int, max_types: int) -> tuple:
    if component is Component.LABELS:
        return (max_types, hidden)
    if component in (Component.LABELS_BULK, Component.PROMPTS):
        return (component.label_rows(max_types), hidden)
    if component is Component.SPANS:
        return (1, seq_len, max_width, hidden)
    if component is Component.TOKENS:
        return (1, seq_len, max_types, 3)
    return (1, seq_len, max_width, max_types)


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
    labels_embeds: np.ndarray, pad_token_id: int = 0, *, max_types: int,
) -> TextInputs:
    """Words already tokenized (ids and word_ids of one encoding, special tokens included) -> graph inputs, in
    the bundle's dtypes (int32 ids; `as_dtypes` turns them into a seed file's).

    Spans whose end falls past the last word are zeroed, as upstream multiplies span_idx by span_mask:
    an out-of-range index would also crash LiteRT's gather.
    """
    n_tok = len(input_ids)
    if n_tok > seq_len:
        raise ValueError(f"{n_tok} tokens do not fit seq_len {seq_len}; pick a larger bucket or split the text")
    if num_words > seq_len:
        raise ValueError(f"{num_words} words do not fit seq_len {seq_len}")
    if labels_embeds.ndim != 2 or labels_embeds.shape[0] > max_types:
        raise ValueError(f"labels_embeds must be [<= {max_types} (config.max_types), hidden], got {labels_embeds.shape}")

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

    labels = np.zeros((1, max_types, labels_embeds.shape[1]), np.float32)
    labels[0, : labels_embeds.shape[0]] = labels_embeds
    arrays = {
        "input_ids": ids, "attention_mask": mask, "first_subword_positions": positions, "word_valid_mask": valid,
        "labels_embeds": labels, "span_idx": span_idx,
    }
    return TextInputs(arrays=arrays, num_words=num_words, num_tokens=n_tok)


def build_token_inputs(
    input_ids: Sequence[int], word_ids: Sequence[int | None], num_words: int, seq_len: int,
    labels_embeds: np.ndarray, pad_token_id: int = 0, *, max_types: int,
) -> TextInputs:
    """The token-level graph's five arrays (TOKENS_INPUTS): the text graph's without span_idx, which a graph
    that scores words has no use for (built here with one width, then dropped)."""
    t = build_text_inputs(input_ids, word_ids, num_words, seq_len, 1, labels_embeds, pad_token_id,
                          max_types=max_types)
    return TextInputs({n: t.arrays[n] for n in TOKENS_INPUTS}, t.num_words, t.num_tokens)


def build_labels_inputs(encodings: Sequence[Sequence[int]], empty_encoding: Sequence[int], rows: int
                        ) -> dict[str, np.ndarray]:
    """Token ids of up to `rows` labels (special tokens included) -> [rows, 32] ids and mask (config.max_types
    rows: the labels encoder; BULK_LABEL_ROWS: the bulk one).

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
