"""Label banks: label embeddings computed once, saved with what they depend on, refused by any other model."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from common import jsonsafe
from common.files import atomic_write_bytes

BANK_FORMAT = "gliner-litert-label-bank"
# Version 2 adds labels_sha256 and embeds_sha256 to the record: a bank whose labels or rows were edited is refused.
BANK_VERSION = 2
_ARRAYS = ("labels", "embeds", "meta")
# What a bank may declare, checked in the .npy headers before any array is read: no label encoder takes a label of
# thousands of characters, and no folder's labels encoder is wider than this.
MAX_LABELS = 1_000_000
MAX_LABEL_CHARS = 4096
MAX_HIDDEN = 16384
MAX_META_BYTES = 1 << 16


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
        if path.is_dir():
            raise BankError(f"{path} is a folder: pass the bank's file name, e.g. {path / 'labels.npz'}")
        meta = {"format": BANK_FORMAT, "version": BANK_VERSION, "weights_sha256": self.weights_sha256,
                "precision": self.precision, "labels_tokenizer_sha256": self.labels_tokenizer_sha256,
                "count": len(self.labels), "hidden": int(self.embeds.shape[1]),
                "labels_sha256": labels_digest(self.labels), "embeds_sha256": embeds_digest(self.embeds)}
        buf = io.BytesIO()
        np.savez(buf, labels=np.array(self.labels, dtype=str), embeds=self.embeds, meta=np.array(json.dumps(meta)))
        atomic_write_bytes(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LabelBank":
        """Reads a bank written by `save`; refuses anything else (pickled objects, compressed members, a header
        declaring more than the file holds, labels or rows that differ from the record's digests) with the
        reason, before reading more than the file's own bytes."""
        path = Path(path)
        fix = "rebuild it with `python -m runtime --model DIR --labels-file FILE --save-bank BANK`"
        arrays = _read_npz(path, fix)
        labels, embeds = arrays["labels"], arrays["embeds"]
        try:
            meta = jsonsafe.loads(str(arrays["meta"][()]))
        except (ValueError, TypeError, RecursionError):
            raise BankError(f"{path}: its meta record is not JSON; {fix}") from None
        if not isinstance(meta, dict) or meta.get("format") != BANK_FORMAT:
            raise BankError(f"{path} is not a {BANK_FORMAT} file; {fix}")
        if meta.get("version") != BANK_VERSION:
            raise BankError(f"{path} is bank version {meta.get('version')!r}; this runtime reads {BANK_VERSION} (version "
                            f"2 records a digest of the labels and rows); {fix}")
        for key in ("weights_sha256", "precision", "labels_tokenizer_sha256", "labels_sha256", "embeds_sha256"):
            if not isinstance(meta.get(key), str):
                raise BankError(f"{path}: meta.{key} is missing; {fix}")
        _check_contents(tuple(labels.tolist()), embeds, str(path), fix)
        names = tuple(labels.tolist())
        if labels_digest(names) != meta["labels_sha256"]:
            raise BankError(f"{path}: its labels are not the ones it was saved with (their sha256 differs from "
                            f"meta.labels_sha256): the file was edited; {fix}")
        if embeds_digest(embeds) != meta["embeds_sha256"]:
            raise BankError(f"{path}: its embedding rows are not the ones it was saved with (their sha256 differs "
                            f"from meta.embeds_sha256: rows edited, reordered or replaced), so labels would score "
                            f"with another label's row; {fix}")
        return cls(names, embeds, meta["weights_sha256"], meta["precision"], meta["labels_tokenizer_sha256"])


def labels_digest(labels: Sequence[str]) -> str:
    """sha256 of the labels in order, each as its UTF-8 length (uint32, little-endian) then its UTF-8 bytes: one
    reading for any port (docs/RUNTIME.md, "Label banks")."""
    h = hashlib.sha256()
    for label in labels:
        b = label.encode("utf-8")
        h.update(len(b).to_bytes(4, "little"))
        h.update(b)
    return h.hexdigest()


def embeds_digest(embeds: np.ndarray) -> str:
    """sha256 of the embeddings as float32 little-endian bytes, row after row."""
    return hashlib.sha256(np.ascontiguousarray(embeds, dtype="<f4").tobytes()).hexdigest()


# Each member's dtype and rank as save() writes them, and the most it may declare.
_EXPECT = {
    "labels": ("U", 1, 4 * MAX_LABEL_CHARS),
    "embeds": ("f", 2, 4),
    "meta": ("U", 0, 4 * MAX_META_BYTES),
}


def _read_npz(path: Path, fix: str) -> dict[str, np.ndarray]:
    """The three arrays of a bank, each read only after its .npy header was checked against the member's stored
    size: nothing is inflated, and nothing larger than the file is allocated."""
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"label bank {path} does not exist; {fix}") from None
    except IsADirectoryError:
        raise BankError(f"{path} is a folder, not a label bank file; {fix}") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise BankError(f"{path} is not a label bank: not the .npz archive LabelBank.save writes ({e}); {fix}") from None
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        missing = [k for k in _ARRAYS if f"{k}.npy" not in infos]
        if missing:
            raise BankError(f"{path} is not a label bank (no {', '.join(missing)} array); {fix}")
        extra = sorted(set(infos) - {f"{k}.npy" for k in _ARRAYS})
        if extra:
            raise BankError(f"{path} holds members a label bank does not ({', '.join(extra[:3])}); {fix}")
        try:
            return {k: _read_member(zf, infos[f"{k}.npy"], k, path, fix) for k in _ARRAYS}
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise BankError(f"{path} is not a readable label bank ({e}); {fix}") from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, path: Path, fix: str) -> np.ndarray:
    from numpy.lib import format as npy

    if info.compress_type != zipfile.ZIP_STORED:
        # save() stores its members: a compressed one could inflate to any size before it is refused.
        raise BankError(f"{path}: member {info.filename} is compressed; LabelBank.save stores its arrays "
                        f"uncompressed; {fix}")
    kind, ndim, max_itemsize = _EXPECT[name]
    with zf.open(info) as f:
        try:
            version = npy.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = npy.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = npy.read_array_header_2_0(f)
            else:
                raise ValueError(f"npy format version {version}")
        except ValueError as e:
            raise BankError(f"{path}: {info.filename} is not a readable .npy array ({e}); {fix}") from None
        if dtype.hasobject:
            raise BankError(f"{path}: {info.filename} holds pickled objects, which a label bank never does; {fix}")
        if (dtype.kind != kind or len(shape) != ndim or dtype.byteorder == ">" or fortran
                or dtype.itemsize > max_itemsize):
            want = {"labels": "a 1-D unicode array", "embeds": "a 2-D float32 array", "meta": "a unicode string"}
            raise BankError(f"{path}: {name} must be {want[name]} (little-endian, C order), got {dtype.str} "
                            f"{list(shape)}{' Fortran order' if fortran else ''}; {fix}")
        if (name == "labels" and shape[0] > MAX_LABELS) or (
                name == "embeds" and (shape[0] > MAX_LABELS or shape[1] > MAX_HIDDEN)):
            raise BankError(f"{path}: {name} declares shape {list(shape)}, beyond what a bank holds ({MAX_LABELS:,} "
                            f"labels, {MAX_HIDDEN:,} wide); {fix}")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        header = f.tell()
        if header + nbytes != info.file_size:
            raise BankError(f"{path}: {info.filename} declares {list(shape)} {dtype.str} ({nbytes:,} bytes) but the "
                            f"member holds {info.file_size - header:,}: the file is truncated or was edited; {fix}")
        data = f.read(nbytes)
        if len(data) != nbytes:
            raise BankError(f"{path}: {info.filename} is truncated; {fix}")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


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
