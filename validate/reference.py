"""Upstream reference: logits and entities from gliner itself, through its own processor and collator."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import torch

from common.inputs import TextInputs, build_text_inputs
from upstream import adapter


@dataclass
class Reference:
    """One (text, labels) pair as upstream sees it."""

    words: list[str]
    logits: np.ndarray  # [W, max_width, C] upstream logits for this text (W = upstream word count)
    labels_embeds: np.ndarray  # [C, hidden] upstream encode_labels on the same label tokens
    input_ids: list[int]
    word_ids: list[int | None]
    num_words: int


@torch.no_grad()
def upstream_reference(model, text: str, labels: list[str]) -> Reference:
    """Upstream's span logits on the batch gliner builds for predict_entities (no packing)."""
    words, num_words, logits = adapter.forward_one(model, text, labels)
    labels_embeds = upstream_label_embeds(model, labels)
    # `words` are the words upstream fed the model: the collator cuts a text to config.max_len words *before*
    # it is tokenized, so tokens of later words never reach the encoder and must not reach the candidate.
    enc = adapter.text_tokenizer(model)(words, is_split_into_words=True, truncation=True)
    return Reference(
        words=words,
        logits=logits.float().numpy(),
        labels_embeds=labels_embeds.float().numpy(),
        input_ids=list(enc["input_ids"]),
        word_ids=list(enc.word_ids()),
        num_words=num_words,
    )


# Label embeddings by model, then label: each label's row depends on that label alone (padded to max_length, its
# attention masked), and a suite repeats a few hundred labels over hundreds of texts. With a 512-token labels
# tokenizer (MiniLM) encoding them anew per text was 4.9 s a text.
_LABEL_ROWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@torch.no_grad()
def upstream_label_embeds(model, labels: list[str]) -> torch.Tensor:
    """`BiEncoderGLiNER.encode_labels` (gliner/model.py), without its progress bar; each distinct label encoded
    once per model object (a modified copy of a model is another object)."""
    rows = _LABEL_ROWS.setdefault(model, {})
    missing = [lab for lab in dict.fromkeys(labels) if lab not in rows]
    for i in range(0, len(missing), 64):
        chunk = missing[i : i + 64]
        rows.update(zip(chunk, adapter.encode_labels(model, chunk, padding="max_length")))
    return torch.stack([rows[lab] for lab in labels]) if labels else adapter.encode_labels(model, [], "max_length")


def candidate_inputs(ref: Reference, seq_len: int, max_width: int, max_types: int,
                     labels_embeds: np.ndarray | None = None) -> TextInputs:
    """The text graph's inputs for the same words and tokens upstream used (at most max_types labels a call)."""
    emb = ref.labels_embeds if labels_embeds is None else labels_embeds
    return build_text_inputs(ref.input_ids, ref.word_ids, ref.num_words, seq_len, max_width, emb,
                             max_types=max_types)


def valid_span_mask(num_words: int, max_width: int) -> np.ndarray:
    """[num_words, max_width] True where the span (start, start + width) ends inside the text."""
    starts = np.arange(num_words)[:, None]
    return starts + np.arange(max_width)[None, :] < num_words
