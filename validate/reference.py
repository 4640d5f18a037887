"""Upstream reference: logits and entities from gliner itself, through its own processor and collator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from common.inputs import TextInputs, build_text_inputs


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
    """Runs `model.model(**batch)` on the batch gliner builds for predict_entities (no packing)."""
    model.eval()
    prep = model.prepare_batch([text], labels)
    if not prep["valid_texts"]:
        raise ValueError("empty text has no reference")
    batch = model.collate_batch(prep["input_x"], prep["entity_types"])
    out = model.model(**batch)
    labels_embeds = upstream_label_embeds(model, labels)
    # The words upstream fed the model: the collator cuts a text to config.max_len words *before* it is
    # tokenized, so tokens of later words never reach the encoder and must not reach the candidate either.
    words = batch["tokens"][0]
    num_words = int(batch["text_lengths"][0, 0])
    enc = model.data_processor.transformer_tokenizer(words, is_split_into_words=True, truncation=True)
    return Reference(
        words=words,
        logits=out.logits[0].float().numpy(),
        labels_embeds=labels_embeds.float().numpy(),
        input_ids=list(enc["input_ids"]),
        word_ids=list(enc.word_ids()),
        num_words=num_words,
    )


@torch.no_grad()
def upstream_label_embeds(model, labels: list[str]) -> torch.Tensor:
    """`BiEncoderGLiNER.encode_labels` (gliner/model.py) in one batch, without its progress bar."""
    tok = model.data_processor.labels_tokenizer(labels, return_tensors="pt", truncation=True, padding="max_length")
    return model.model.token_rep_layer.encode_labels(**tok)


def candidate_inputs(ref: Reference, seq_len: int, max_width: int, labels_embeds: np.ndarray | None = None) -> TextInputs:
    """The text graph's inputs for the same words and tokens upstream used."""
    emb = ref.labels_embeds if labels_embeds is None else labels_embeds
    return build_text_inputs(ref.input_ids, ref.word_ids, ref.num_words, seq_len, max_width, emb)


def valid_span_mask(num_words: int, max_width: int) -> np.ndarray:
    """[num_words, max_width] True where the span (start, start + width) ends inside the text."""
    starts = np.arange(num_words)[:, None]
    return starts + np.arange(max_width)[None, :] < num_words
