"""What a GLiNER checkpoint is, read from its gliner_config.json alone, and whether this toolkit converts it.

`convert` and `validate` call `check` before loading any weights, so an architecture the toolkit cannot convert is
refused at the start with every missing piece named, never half-converted; docs/FAMILY.md's table of public
checkpoints is drawn through the same function (scripts/family.py), so the table and the refusal cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# transformers model_type -> what it is called in messages and docs. A text encoder here has a wrapper that
# restates it at a static S (wrappers/); a labels encoder one that LabelsEncoderWrapper restates.
TEXT_ENCODERS = {"modernbert": "ModernBERT (ettin, modern-gliner-bi)", "deberta-v2": "DeBERTa-v3 (gliner-bi v1.0)"}
LABELS_ENCODERS = {"bert": "BERT (BGE, MiniLM)"}
# gliner span_mode -> the head this toolkit exports for it.
HEADS = {"markerV0": "span", "token_level": "token"}
WORDS_SPLITTERS = ("whitespace",)  # the torch-free runtime's (runtime/words.py)

# Checkpoints that predate inlined encoder configs name their encoders only: the model_type their names imply.
_NAME_TYPES = (
    (r"deberta-v[23]", "deberta-v2"),
    (r"modernbert|ettin", "modernbert"),
    (r"llama", "llama"),
    (r"bge-|minilm|(^|/)bert-", "bert"),
)


def _type_from_name(name: str | None) -> str | None:
    for pattern, model_type in _NAME_TYPES:
        if name and re.search(pattern, name, re.IGNORECASE):
            return model_type
    return None


@dataclass(frozen=True)
class Architecture:
    """The parts of a GLiNER checkpoint that decide whether it converts (None: the config does not say)."""

    bi_encoder: bool
    text_encoder: str | None  # transformers model_type of the text encoder
    labels_encoder: str | None
    span_mode: str | None
    post_fusion: bool  # cross-fusion layers between text and labels (gliner-poly): not a plain bi-encoder
    labels_decoder: bool  # a generative labels decoder (gliner's *Decoder models): gliner uses it over the encoder
    relations: bool  # a relation-extraction layer (gliner-relex)
    subtoken_pooling: str
    fuse_layers: bool
    represent_spans: bool
    words_splitter: str

    @property
    def head(self) -> str | None:
        return HEADS.get(self.span_mode or "")

    def missing(self) -> list[str]:
        """What this toolkit lacks to convert the checkpoint, one phrase each; empty when it converts."""
        out = []
        if not self.bi_encoder:
            out.append("a labels encoder: this is a uni-encoder GLiNER (labels and text in one sequence), and only "
                       "bi-encoders convert")
        if self.text_encoder is not None and self.text_encoder not in TEXT_ENCODERS:
            out.append(f"a wrapper for {self.text_encoder!r} text encoders (converted: {_names(TEXT_ENCODERS)})")
        if self.bi_encoder and self.labels_encoder is not None and self.labels_encoder not in LABELS_ENCODERS:
            out.append(f"a wrapper for {self.labels_encoder!r} labels encoders (converted: {_names(LABELS_ENCODERS)})")
        if self.span_mode not in HEADS:
            out.append(f"the span_mode {self.span_mode!r} head (converted: {', '.join(map(repr, HEADS))})")
        if self.labels_decoder:
            out.append("a labels decoder (generated entity types; gliner ignores the labels encoder then)")
        if self.relations:
            out.append("a relations layer (gliner-relex)")
        if self.post_fusion:
            out.append("post-fusion layers (gliner-poly's cross-attention between text and labels): the labels would "
                       "no longer be encoded apart from the text")
        if self.subtoken_pooling != "first":
            out.append(f"subtoken_pooling {self.subtoken_pooling!r} (only 'first')")
        if self.fuse_layers:
            out.append("fuse_layers (a mix of the encoder's layers)")
        if self.represent_spans and self.span_mode == "token_level":  # span models never read it
            out.append("represent_spans (a second, span head on top of the token scores; only the token scorer's "
                       "start/end/inside logits convert)")
        if self.words_splitter not in WORDS_SPLITTERS:
            out.append(f"the {self.words_splitter!r} words splitter in the runtime (only {', '.join(WORDS_SPLITTERS)})")
        return out

    def describe(self) -> str:
        kind = "bi-encoder" if self.bi_encoder else "uni-encoder"
        head = {"span": "span", "token": "token-level"}.get(self.head or "", f"span_mode {self.span_mode!r}")
        text = self.text_encoder or "unnamed"
        labels = f" and a {self.labels_encoder or 'unnamed'} labels encoder" if self.bi_encoder else ""
        return f"a {head} {kind} with a {text} text encoder{labels}"


def _names(table: dict) -> str:
    return ", ".join(table.values())


def from_config(cfg: dict) -> Architecture:
    """The architecture a gliner_config.json dict describes (no weights read, nothing imported)."""
    enc = cfg.get("encoder_config") or {}
    lab = cfg.get("labels_encoder_config") or {}
    bi = bool(cfg.get("labels_encoder") or lab)
    return Architecture(
        bi_encoder=bi,
        text_encoder=enc.get("model_type") or _type_from_name(cfg.get("model_name")),
        labels_encoder=(lab.get("model_type") or _type_from_name(cfg.get("labels_encoder"))) if bi else None,
        span_mode=cfg.get("span_mode"),
        post_fusion=bool(cfg.get("post_fusion_schema")),
        labels_decoder=cfg.get("labels_decoder") is not None,
        relations=cfg.get("relations_layer") is not None,
        subtoken_pooling=cfg.get("subtoken_pooling") or "first",
        fuse_layers=bool(cfg.get("fuse_layers")),
        represent_spans=bool(cfg.get("represent_spans")),
        words_splitter=cfg.get("words_splitter_type") or "whitespace",
    )


def refusal(where: str, arch: Architecture) -> str | None:
    """The message a refused checkpoint gets (None: it converts): what it is, every missing piece, the fix."""
    missing = arch.missing()
    if not missing:
        return None
    return (f"{where} is {arch.describe()}; converting it needs {'; '.join(missing)}. Nothing was written. "
            f"This toolkit converts bi-encoders with a {_names(TEXT_ENCODERS)} text encoder, a "
            f"{_names(LABELS_ENCODERS)} labels encoder and a {'/'.join(HEADS)} head (docs/FAMILY.md lists the "
            "public checkpoints and which convert)")
