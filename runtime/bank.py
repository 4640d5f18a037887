"""Label banks: label embeddings computed once, saved with what they depend on, refused by any other model."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from common.files import atomic_write_bytes

BANK_FORMAT = "gliner-litert-label-bank"
BANK_VERSION = 1
_ARRAYS = ("labels", "embeds", "meta")


class BankError(ValueError):
    """A bank file that cannot be used (broken, or made for another model): names the problem and the fix."""


@dataclass(frozen=True)
class LabelBank:
    """Labels and their embeddings from one model's labels encoder, with the facts that made them: the model
    weights' sha256, the precision of the labels encoder, and the sha256 of the labels tokenizer.json."""

    labels: tuple[str, ...]
    embeds: np.ndarray  # [len(labels), hidden] float32, read-only
    weights_sha256: str
    precision: str
    labels_tokenizer_sha256: str

    def __post_init__(self):
        emb = np.array(self.embeds, dtype=np.float32, copy=True)
        emb.setflags(write=False)
        object.__setattr__(self, "embeds", emb)
        object.__setattr__(self, "labels", tuple(self.labels))
        _check_contents(self.labels, emb, "the bank")

    def __len__(self) -> int:
        return len(self.labels)

    def describe(self) -> str:
        return describe_identity(self.weights_sha256, self.precision, self.labels_tokenizer_sha256)

    def save(self, path: str | Path) -> Path:
        """Writes the bank as .npz (no pickled objects: labels a unicode array, facts a JSON string), atomically."""
        path = Path(path)
        meta = {"format": BANK_FORMAT, "version": BANK_VERSION, "weights_sha256": self.weights_sha256,
                "precision": self.precision, "labels_tokenizer_sha256": self.labels_tokenizer_sha256,
                "count": len(self.labels), "hidden": int(self.embeds.shape[1])}
        buf = io.BytesIO()
        np.savez(buf, labels=np.array(self.labels, dtype=str), embeds=self.embeds, meta=np.array(json.dumps(meta)))
        atomic_write_bytes(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LabelBank":
        """Reads a bank written by `save`; refuses anything else (pickled objects included) with the reason."""
        path = Path(path)
        fix = "rebuild it with `python -m runtime --model DIR --labels-file FILE --save-bank BANK`"
        try:
            with np.load(path, allow_pickle=False) as z:
                missing = [k for k in _ARRAYS if k not in z.files]
                if missing:
                    raise BankError(f"{path} is not a label bank (no {', '.join(missing)} array); {fix}")
                labels, embeds, meta_raw = z["labels"], z["embeds"], z["meta"]
        except FileNotFoundError:
            raise FileNotFoundError(f"label bank {path} does not exist; {fix}") from None
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
            if isinstance(e, BankError):
                raise
            raise BankError(f"{path} is not a readable label bank ({e}); {fix}") from None
        try:
            meta = json.loads(str(meta_raw[()]))
        except (ValueError, TypeError):
            raise BankError(f"{path}: its meta record is not JSON; {fix}") from None
        if not isinstance(meta, dict) or meta.get("format") != BANK_FORMAT:
            raise BankError(f"{path} is not a {BANK_FORMAT} file; {fix}")
        if meta.get("version") != BANK_VERSION:
            raise BankError(f"{path} is bank version {meta.get('version')!r}; this runtime reads {BANK_VERSION}; {fix}")
        for key in ("weights_sha256", "precision", "labels_tokenizer_sha256"):
            if not isinstance(meta.get(key), str):
                raise BankError(f"{path}: meta.{key} is missing; {fix}")
        if labels.dtype.kind != "U" or labels.ndim != 1:
            raise BankError(f"{path}: labels must be a 1-D string array, got {labels.dtype} {list(labels.shape)}; {fix}")
        if embeds.dtype != np.float32:
            raise BankError(f"{path}: embeds are {embeds.dtype}, not float32; {fix}")
        _check_contents(tuple(labels.tolist()), embeds, str(path), fix)
        return cls(tuple(labels.tolist()), embeds, meta["weights_sha256"], meta["precision"],
                   meta["labels_tokenizer_sha256"])


def describe_identity(weights_sha256: str, precision: str, labels_tokenizer_sha256: str) -> str:
    """What made a bank (or what a model is), in the words a refusal shows for both sides."""
    return (f"weights sha256 {weights_sha256[:16]}..., precision {precision}, labels tokenizer sha256 "
            f"{labels_tokenizer_sha256[:16]}...")


def _check_contents(labels: Sequence[str], embeds: np.ndarray, where: str, fix: str = "build it again") -> None:
    if len(labels) == 0:
        raise BankError(f"{where} holds no labels: a bank needs at least one entity type; {fix}")
    if embeds.ndim != 2 or embeds.shape[0] != len(labels):
        raise BankError(
            f"{where} holds {len(labels)} labels but embeddings of shape {list(embeds.shape)}: one row per label is "
            f"needed; {fix}"
        )
    bad = np.flatnonzero(~np.isfinite(embeds).all(axis=1))
    if bad.size:
        raise BankError(
            f"{where}: embedding row(s) {bad[:5].tolist()} (label {labels[bad[0]]!r}, ...) hold NaN or inf: every "
            f"score would be NaN; {fix}"
        )
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        dup = next(x for x in labels if x in seen or seen.add(x))
        raise BankError(f"{where} lists label {dup!r} twice; {fix}")
