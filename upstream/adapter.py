"""Accessors for the parts of a loaded gliner bi-encoder span model that the wrappers, conversion, validation
and benchmarks read (gliner 0.2.29: gliner/model.py, gliner/modeling/base.py, gliner/modeling/encoder.py)."""

from __future__ import annotations


def inner(model):
    """The torch module under the GLiNER facade (BiEncoderSpanModel)."""
    return model.model


def config(model):
    """gliner's config (max_width, max_types, hidden_size, max_len, span_mode, ...)."""
    return model.config


def text_backbone(model):
    """The transformers text encoder (ModernBertModel for the bi-v2 family)."""
    return model.model.token_rep_layer.bert_layer.model


def text_projection(model):
    """Backbone width -> gliner hidden size, or None when they are equal."""
    return getattr(model.model.token_rep_layer, "projection", None)


def labels_encoder(model):
    """The labels encoder module (a gliner Transformer wrapper around a transformers model)."""
    enc = getattr(model.model.token_rep_layer, "labels_encoder", None)
    if enc is None:
        raise ValueError("model has no labels encoder: not a bi-encoder")
    return enc


def labels_backbone(model):
    """The transformers labels encoder (BertModel for the bi-v2 family)."""
    return labels_encoder(model).model


def labels_projection(model):
    return getattr(model.model.token_rep_layer, "labels_projection", None)


def span_marker(model):
    """SpanMarkerV0: project_start, project_end, out_project."""
    return model.model.span_rep_layer.span_rep_layer


def token_scorer(model):
    """A token-level model's Scorer (gliner/modeling/scorers.py): proj_token, proj_label, out_mlp."""
    return model.model.scorer


def prompt_rep(model):
    """The MLP applied to label embeddings before scoring."""
    return model.model.prompt_rep_layer


def post_fusion(model):
    """Cross-fusion layers between text and labels (absent in the bi-v2 family)."""
    return getattr(model.model, "cross_fuser", None)


def lstm(model):
    """The BiLSTM the bi-encoder span forward never calls (kept in the checkpoint), or None."""
    return getattr(model.model, "rnn", None)


def text_tokenizer(model):
    return model.data_processor.transformer_tokenizer


def labels_tokenizer(model):
    return model.data_processor.labels_tokenizer


def words_splitter(model):
    """Callable text -> iterator of (word, start, end)."""
    return model.data_processor.words_splitter


def split_words(model, text: str) -> list[str]:
    return [w for w, _, _ in words_splitter(model)(text)]


def count_text_tokens(model, text: str) -> int:
    """Tokens (special ones included) upstream feeds the text encoder for `text`, before any max_len cut."""
    return len(text_tokenizer(model)(split_words(model, text), is_split_into_words=True)["input_ids"])


def tokenize_labels(model, labels: list[str], padding: str = "max_length") -> dict:
    """The labels tokenized as upstream does (torch tensors: input_ids, attention_mask).

    BiEncoderGLiNER.encode_labels pads to max_length; predict_entities' collator pads to the longest.
    """
    return labels_tokenizer(model)(labels, return_tensors="pt", truncation=True, padding=padding)


def encode_label_tokens(model, tokens: dict):
    """`token_rep_layer.encode_labels` on tokenized labels (torch tensor [N, hidden])."""
    return model.model.token_rep_layer.encode_labels(**tokens)


def encode_labels(model, labels: list[str], padding: str = "max_length"):
    """`token_rep_layer.encode_labels` on the labels tokenized as upstream does (torch tensor [N, hidden])."""
    return encode_label_tokens(model, tokenize_labels(model, labels, padding))


def max_position_tokens(model) -> int:
    """Tokens the text encoder may see: its trained positions, capped by the tokenizer's model_max_length."""
    limit = int(text_backbone(model).config.max_position_embeddings)
    tok_max = text_tokenizer(model).model_max_length
    if isinstance(tok_max, int) and tok_max < 10**9:
        limit = min(limit, tok_max)
    return limit


def parameter_counts(model) -> dict[str, int]:
    """Parameters per part: labels (encoder + projection), text (everything else the graphs use), lstm (unused)."""
    labels = sum(p.numel() for p in labels_encoder(model).parameters())
    proj = labels_projection(model)
    if proj is not None:
        labels += sum(p.numel() for p in proj.parameters())
    rnn = lstm(model)
    unused = sum(p.numel() for p in rnn.parameters()) if rnn is not None else 0
    total = sum(p.numel() for p in model.model.parameters())
    return {"labels": labels, "text": total - labels - unused, "lstm": unused}


def collated_batch(model, text: str, labels: list[str]) -> dict:
    """The batch predict_entities builds for one text (gliner's prepare_batch + collate_batch; no packing:
    it failed with ModernBERT under transformers 5.16): input_ids, attention_mask, words_mask, text_lengths,
    span_idx, span_mask, tokens, ..."""
    prep = model.prepare_batch([text], labels)
    if not prep["valid_texts"]:
        raise ValueError("gliner builds no batch for an empty text")
    return model.collate_batch(prep["input_x"], prep["entity_types"])


def forward_one(model, text: str, labels: list[str]):
    """(words, num_words, logits [W, max_width, C]) of `model.model(**batch)` on the batch predict_entities
    builds for one text."""
    import torch

    model.eval()
    batch = collated_batch(model, text, labels)
    with torch.no_grad():
        out = model.model(**batch)
    return batch["tokens"][0], int(batch["text_lengths"][0, 0]), out.logits[0]
