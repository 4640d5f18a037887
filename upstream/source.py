"""Resolves a hub id or local folder to a GLiNER bi-encoder span model, refusing anything unsafe or unsupported."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from common.tflite import sha256_file
from upstream import adapter

SUPPORTED_MODEL_TYPE = "gliner_bi_encoder_span"
TOKEN_MODEL_TYPE = "gliner_bi_encoder_token"  # span_mode token_level: start/end/inside logits per word


def hub_offline(environ=os.environ) -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it; the CLIs pass the answer down (library code reads no env)."""
    return environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


class SourceError(ValueError):
    """A model source we refuse, with the problem and the fix in the message."""


@dataclass(frozen=True)
class Source:
    folder: Path
    model_id: str | None  # hub id, when given one
    revision: str | None
    weights_file: Path
    weights_sha256: str
    config: dict


def _hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _download(model_id: str, offline: bool) -> tuple[Path, str | None]:
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(model_id, local_files_only=True))
    except Exception:
        folder = None
    if folder is None:
        # Fail at once: huggingface_hub would retry DNS for minutes on a closed network.
        if offline or not _hub_reachable():
            raise SourceError(
                f"model {model_id!r} is not in the local Hugging Face cache and the Hub cannot be reached"
                f"{' (HF_HUB_OFFLINE is set)' if offline else ''}. Download it on a connected machine "
                f"(`huggingface-cli download {model_id} --local-dir DIR`) and pass the folder: --model DIR"
            )
        folder = Path(snapshot_download(model_id))
    revision = folder.name if folder.parent.name == "snapshots" else None
    return folder, revision


def _weights(folder: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    raise SourceError(f"{folder} holds no model.safetensors or pytorch_model.bin; pass a saved GLiNER model folder")


def _check_weights(weights: Path) -> None:
    """A safetensors file whose header does not cover the file (truncated, cut download) is refused by name,
    before gliner builds the model around it."""
    if weights.suffix != ".safetensors":
        return
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="np") as f:
            f.keys()
    except SafetensorError as e:
        raise SourceError(
            f"{weights} is not a complete safetensors file ({e}); re-download the model or re-save it with "
            "GLiNER.save_pretrained"
        ) from None


def _check_config(folder: Path, cfg: dict) -> None:
    span_mode = cfg.get("span_mode")
    model_type = cfg.get("model_type")
    is_bi = bool(cfg.get("labels_encoder") or cfg.get("labels_encoder_config"))
    token = span_mode == "token_level"
    if model_type not in (None, TOKEN_MODEL_TYPE if token else SUPPORTED_MODEL_TYPE) or not is_bi:
        what = model_type or ("a uni-encoder GLiNER" if not is_bi else f"a bi-encoder with span_mode {span_mode!r}")
        raise SourceError(
            f"{folder} is {what}, not a bi-encoder span model ({SUPPORTED_MODEL_TYPE}, e.g. "
            "knowledgator/gliner-bi-base-v2.0); only that architecture can be converted"
        )
    if token and cfg.get("represent_spans"):
        raise SourceError(f"{folder}: a token_level model with represent_spans=True is not supported (its span "
                          "logits are a second head); only the token scorer's start/end/inside logits convert")
    if span_mode != "markerV0" and not token:
        raise SourceError(f"{folder}: span_mode {span_mode!r} is not supported; only markerV0 and token_level")
    for key in ("encoder_config", "labels_encoder_config"):
        sub = cfg.get(key) or {}
        if "auto_map" in sub:
            raise SourceError(f"{folder}: {key} asks for remote code (auto_map); trust_remote_code is never used")


def resolve(model: str, offline: bool) -> Source:
    """A hub id or folder -> a checked local folder. Never runs remote code; safetensors preferred."""
    path = Path(model).expanduser()
    model_id = revision = None
    if path.exists():
        if not path.is_dir():
            raise SourceError(f"--model {model} is a file; pass the model folder (the one with gliner_config.json)")
        folder = path.resolve()
    elif model.count("/") == 1 and not model.startswith((".", "/")):
        model_id = model
        folder, revision = _download(model, offline)
    else:
        raise SourceError(f"--model {model}: no such folder, and it is not a hub id of the form owner/name")
    cfg_file = folder / "gliner_config.json"
    if not cfg_file.is_file():
        raise SourceError(
            f"{folder} has no gliner_config.json: it is not a saved GLiNER model. Pass the folder that "
            "GLiNER.save_pretrained wrote (or a hub id)"
        )
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SourceError(f"{cfg_file} is not valid JSON ({e}); restore the file GLiNER.save_pretrained wrote") from None
    if not isinstance(cfg, dict):
        raise SourceError(f"{cfg_file} holds a JSON {type(cfg).__name__}, not an object; restore the saved config")
    _check_config(folder, cfg)
    weights = _weights(folder)
    _check_weights(weights)
    return Source(folder, model_id, revision, weights, sha256_file(weights), cfg)


def load_model(source: Source):
    """Loads the GLiNER model from the resolved folder, local files only (gliner loads .bin weights_only)."""
    from gliner import GLiNER

    try:
        model = GLiNER.from_pretrained(str(source.folder), local_files_only=True, load_tokenizer=True)
    except Exception as e:  # noqa: BLE001 - safetensors, transformers and gliner raise many kinds
        # A truncated safetensors, a config gliner cannot build, a missing tokenizer: one line, not a traceback.
        raise SourceError(
            f"{source.folder}: gliner could not load the model ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:300]}); "
            f"check that {source.weights_file.name}, gliner_config.json and the tokenizer files are complete "
            "(re-download or re-save the model)"
        ) from e
    model.eval()
    check_tokenizer_fits(model, source.folder)
    return model


def check_tokenizer_fits(model, folder: Path) -> None:
    """Every id the tokenizers can emit must index the embedding tables (gliner adds 3 tokens at load)."""
    text_tok = adapter.text_tokenizer(model)
    text_rows = adapter.text_backbone(model).get_input_embeddings().num_embeddings
    if len(text_tok) > text_rows:
        raise SourceError(
            f"{folder}: the text tokenizer has {len(text_tok)} ids but the text embedding table has {text_rows} rows; "
            "ids past the table would read out of bounds. Use the tokenizer the model was trained with"
        )
    labels_tok = adapter.labels_tokenizer(model)
    labels_rows = adapter.labels_backbone(model).get_input_embeddings().num_embeddings
    if len(labels_tok) > labels_rows:
        raise SourceError(
            f"{folder}: the labels tokenizer has {len(labels_tok)} ids but the labels embedding table has "
            f"{labels_rows} rows. Use the labels tokenizer the model was trained with"
        )
