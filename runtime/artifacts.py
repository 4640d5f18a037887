"""An artifacts folder as the runtime sees it: manifest.json read, each graph sha256-checked and loaded once."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from common import manifest as mf
from common.tflite import sha256_file
from common.variants import Component, Precision, Variant


@dataclass(frozen=True)
class Bucket:
    """One text-encoder graph: its variant and how many tokens it may be fed."""

    variant: Variant
    max_tokens: int  # min(seq_len, max_valid_tokens of the manifest)


# The model facts preprocessing and decoding need: the manifest's `config`, as read and checked there.
FolderConfig = mf.ModelConfig


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
        if not self.folder.is_dir():
            raise FileNotFoundError(
                f"artifacts folder {self.folder} does not exist; {_convert_hint(self.folder, precision)}"
            )
        manifest = mf.read(self.folder)
        if manifest is None:
            raise FileNotFoundError(
                f"{self.folder / mf.MANIFEST} is missing: {self.folder} is not a converted artifacts folder; "
                f"{_convert_hint(self.folder, precision)}"
            )
        self.manifest = manifest
        self.config = manifest.config
        if self.config.subtoken_pooling != "first":
            # common.inputs feeds first-subword positions only (gliner's default pooling).
            raise ValueError(
                f"{self.folder / mf.MANIFEST}: subtoken_pooling {self.config.subtoken_pooling!r} is not supported; "
                "only 'first' is"
            )
        self.graphs: dict[Variant, tuple[mf.ArtifactFile, mf.Graph]] = {g.variant: (a, g) for a, g in manifest.graphs()}
        present = sorted({v.precision.suffix for v in self.graphs})
        self.labels_variant = Variant(Component.LABELS, precision)
        self.buckets = [
            Bucket(v, min(v.seq_len, g.max_valid_tokens))
            for v, (_, g) in sorted(self.graphs.items(), key=lambda kv: kv[0].sort_key)
            if v.component is Component.TEXT and v.precision is precision
        ]
        if self.labels_variant not in self.graphs or not self.buckets:
            missing = "labels encoder" if self.labels_variant not in self.graphs else "text encoder"
            raise FileNotFoundError(
                f"{self.folder} has no {precision.suffix} {missing} (precisions present: "
                f"{', '.join(present) or 'none'}); pick one of those or {_convert_hint(self.folder, precision)}"
            )
        for v in [self.labels_variant] + [b.variant for b in self.buckets]:
            f = self.folder / self.graphs[v][0].file
            if not f.is_file():
                raise FileNotFoundError(
                    f"{f} is listed in the manifest but missing; restore the file or "
                    f"{_convert_hint(self.folder, precision)}"
                )
        self._runners: dict[Variant, object] = {}
        self._lock = threading.Lock()

    def side_file_bytes(self, name: str) -> bytes:
        """The bytes of a side file the manifest names (text_tokenizer, labels_tokenizer, gliner_config),
        checked against its sha256: a swapped or corrupt tokenizer would give wrong entities silently."""
        side = self.manifest.files[name]
        path = self.folder / side.path
        try:
            data = path.read_bytes()
        except OSError as e:
            raise FileNotFoundError(
                f"{path} ({name}) cannot be read ({e.strerror or e}); {_convert_hint(self.folder, self.precision)}"
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != side.sha256:
            raise ValueError(
                f"{path} ({name}): sha256 {digest[:16]}... does not match the manifest's {side.sha256[:16]}...: the "
                "file is corrupt or was replaced; restore it or reconvert with `python -m convert ... --force`"
            )
        return data

    def tokenizer(self, name: str):
        """A `tokenizers.Tokenizer` from a verified side file, truncation and padding off."""
        from tokenizers import Tokenizer

        data = self.side_file_bytes(name)
        try:
            tok = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - tokenizers raises a bare Exception for bad JSON
            raise ValueError(
                f"{self.folder / self.manifest.files[name].path} ({name}) is not a valid tokenizer.json ({e}); "
                "reconvert the folder"
            ) from None
        tok.no_truncation()
        tok.no_padding()
        return tok

    def run(self, variant: Variant, arrays: dict) -> dict:
        """One call of a graph. An interpreter holds its inputs and outputs between set and get, so calls of
        one graph are serialized (different graphs run in parallel); the outputs returned are copies."""
        runner, lock = self.runner(variant)
        with lock:
            return runner(**arrays)

    def runner(self, variant: Variant):
        """(signature runner, its lock) of one graph, created on first use (its file sha256-checked then)."""
        with self._lock:
            if variant not in self._runners:
                self._runners[variant] = (self._load(variant), threading.Lock())
            return self._runners[variant]

    def _load(self, variant: Variant):
        from ai_edge_litert.interpreter import Interpreter

        art, graph = self.graphs[variant]
        path = self.folder / art.file
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; {_convert_hint(self.folder, self.precision)}")
        digest = sha256_file(path)
        if digest != art.sha256:
            raise ValueError(
                f"{path}: sha256 {digest[:16]}... does not match the manifest's {art.sha256[:16]}...: the file "
                f"is corrupt or was replaced; re-download it or reconvert with `python -m convert ... --force`"
            )
        interp = Interpreter(model_path=str(path), num_threads=self.num_threads)
        return interp.get_signature_runner(graph.signature)
