"""An artifacts folder as the runtime sees it: manifest.json read, each graph sha256-checked and loaded once."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from common.manifest import MANIFEST, SCHEMA_VERSION
from common.tflite import sha256_file
from common.variants import Component, Precision, Variant



@dataclass(frozen=True)
class Bucket:
    """One text-encoder graph: its variant and how many tokens it may be fed."""

    variant: Variant
    max_tokens: int  # min(seq_len, max_valid_tokens of the manifest)


@dataclass(frozen=True)
class FolderConfig:
    """The model facts preprocessing and decoding need, from the manifest's `config`."""

    max_width: int
    max_len: int
    hidden_size: int
    words_splitter_type: str
    label_tokens: int
    text_pad_token_id: int
    subtoken_pooling: str


def _convert_hint(folder: Path, precision: Precision) -> str:
    return (
        f"convert it with `python -m convert --model <GLiNER model> --out {folder} "
        f"--precisions {precision.suffix}` (add the --seq-lens you need)"
    )


class Artifacts:
    """manifest.json plus lazily created LiteRT signature runners, one per file, verified on first load."""

    def __init__(self, folder: str | Path, precision: Precision, num_threads: int | None = None):
        self.folder = Path(folder)
        self.precision = precision
        self.num_threads = num_threads
        path = self.folder / MANIFEST
        if not self.folder.is_dir():
            raise FileNotFoundError(
                f"artifacts folder {self.folder} does not exist; {_convert_hint(self.folder, precision)}"
            )
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: {self.folder} is not a converted artifacts folder; "
                f"{_convert_hint(self.folder, precision)}"
            )
        try:
            self.manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}); reconvert the folder") from None
        if self.manifest.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"{path}: manifest schema {self.manifest.get('schema_version')!r}, this runtime reads "
                f"{SCHEMA_VERSION}; reconvert with `python -m convert ... --force`"
            )
        cfg = self.manifest.get("config") or {}
        try:
            self.config = FolderConfig(
                max_width=int(cfg["max_width"]), max_len=int(cfg["max_len"]), hidden_size=int(cfg["hidden_size"]),
                words_splitter_type=str(cfg.get("words_splitter_type", "whitespace")),
                label_tokens=int(cfg["label_tokens"]), text_pad_token_id=int(cfg["text_pad_token_id"]),
                subtoken_pooling=str(cfg.get("subtoken_pooling", "first")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: config field {e} missing or malformed; reconvert the folder") from None
        if self.config.subtoken_pooling != "first":
            # common.inputs feeds first-subword positions only (gliner's default pooling).
            raise ValueError(
                f"{path}: subtoken_pooling {self.config.subtoken_pooling!r} is not supported; only 'first' is"
            )
        self.entries: dict[Variant, dict] = {}
        for stem, entry in (self.manifest.get("artifacts") or {}).items():
            try:
                v = Variant.from_stem(stem)
            except ValueError:
                continue  # an artifact of a newer toolkit: not ours to run
            self.entries[v] = entry

        present = sorted({v.precision.suffix for v in self.entries})
        self.labels_variant = Variant(Component.LABELS, precision)
        self.buckets = [
            Bucket(v, min(int(e["seq_len"]), int(e.get("max_valid_tokens", e["seq_len"]))))
            for v, e in sorted(self.entries.items(), key=lambda kv: kv[0].sort_key)
            if v.component is Component.TEXT and v.precision is precision
        ]
        if self.labels_variant not in self.entries or not self.buckets:
            missing = "labels encoder" if self.labels_variant not in self.entries else "text encoder"
            raise FileNotFoundError(
                f"{self.folder} has no {precision.suffix} {missing} (precisions present: "
                f"{', '.join(present) or 'none'}); pick one of those or {_convert_hint(self.folder, precision)}"
            )
        for v in [self.labels_variant] + [b.variant for b in self.buckets]:
            f = self.folder / self.entries[v]["file"]
            if not f.is_file():
                raise FileNotFoundError(
                    f"{f} is listed in the manifest but missing; restore the file or "
                    f"{_convert_hint(self.folder, precision)}"
                )
        self._runners: dict[Variant, object] = {}
        self._lock = threading.Lock()

    def file_path(self, name_field: str) -> Path:
        """A side file or folder named by the manifest's `files` (text_tokenizer, labels_tokenizer, ...)."""
        name = (self.manifest.get("files") or {}).get(name_field)
        if not name:
            raise ValueError(f"{self.folder / MANIFEST} names no {name_field!r} in `files`; reconvert the folder")
        path = self.folder / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing; {_convert_hint(self.folder, self.precision)}")
        return path

    def runner(self, variant: Variant):
        """The signature runner of one graph: the file is sha256-checked against the manifest on first use."""
        with self._lock:
            if variant not in self._runners:
                self._runners[variant] = self._load(variant)
            return self._runners[variant]

    def _load(self, variant: Variant):
        from ai_edge_litert.interpreter import Interpreter

        entry = self.entries[variant]
        path = self.folder / entry["file"]
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; {_convert_hint(self.folder, self.precision)}")
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            raise ValueError(
                f"{path}: sha256 {digest[:16]}... does not match the manifest's {entry['sha256'][:16]}...: the file "
                f"is corrupt or was replaced; re-download it or reconvert with `python -m convert ... --force`"
            )
        interp = Interpreter(model_path=str(path), num_threads=self.num_threads)
        return interp.get_signature_runner(entry.get("signature") or None)
