"""An artifacts folder as the runtime sees it: manifest.json read and checked against the graph contract; each
.tflite opened once (a bundle serves all its graphs), confined to the folder, sha256-checked on exactly what
LiteRT runs, and compiled once with its XNNPACK weight cache."""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from common import manifest as mf
from common.inputs import OUTPUT_DTYPE, input_dtypes, input_shapes, io_names, output_shape
from common.tflite import sha256_stream, weights_precision
from common.variants import TOKEN_LEVEL, Component, Layout, Precision, Variant
from runtime import cache as weight_cache

# LiteRT starts this many threads per interpreter (two graphs loaded: twice that); past the cores it only adds
# contention, and an unbounded value (1000) would start thousands of OS threads.
MAX_THREADS = 64
# How a model file reaches LiteRT. "mmap": LiteRT maps the very file (inode) that was hashed, through an open
# descriptor, so a file swapped in by rename is never served; memory is page cache, shared and reclaimable.
# "copy": the hashed bytes themselves (anonymous memory, the file's size more RSS), immune also to a file
# overwritten or truncated in place while it runs (which, mapped, would SIGBUS as any mmap'd runtime does).
LOAD_MODES = ("mmap", "copy")
# How often a model file and its weight cache are hashed in full: "stamp" when first seen and whenever a change
# through the file system shows in their stamp (runtime/cache.py), "full" on every start (~0.4 s of a base-size
# cold start on this project's machine: docs/PHONE.md).
VERIFY_MODES = ("stamp", "full")
_REFETCH = "re-download or restore the file, or reconvert with `python -m convert ... --force`"


class ArtifactError(ValueError):
    """A folder we refuse to serve from: a file or record that is not what the manifest says (names both, and the
    fix). A ValueError, as ManifestError is; unlike a bad text or label it concerns every call."""


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


def _io(specs) -> dict[str, tuple[list[int], str]]:
    return {t.name: (list(t.shape), t.dtype) for t in specs}


def _differences(got: dict, want: dict, says: str = "the contract says") -> list[str]:
    """'name: shape dtype (<says> shape dtype)' for each tensor that differs or is on one side only."""
    def show(x):
        return "absent" if x is None else f"{x[0]} {x[1]}"

    return [f"{n}: {show(got.get(n))} ({says} {show(want.get(n))})"
            for n in list(want) + [n for n in got if n not in want] if got.get(n) != want.get(n)]


def _check_size(path: Path, record: str, got: int, want: int) -> None:
    """`record` is the manifest field holding the file's facts (artifacts.<stem>)."""
    if got != want:
        shown = f"more than {want}" if got > want else str(got)
        raise ArtifactError(
            f"{path}: {shown} bytes, the manifest's {record}.bytes says {want}: the file is truncated or was "
            f"replaced; {_REFETCH}"
        )


def _check_digest(path: Path, record: str, got: str, want: str) -> None:
    if got != want:
        raise ArtifactError(
            f"{path}: sha256 {got[:16]}... does not match the manifest's {want[:16]}... ({record}.sha256): the file "
            f"is corrupt or was replaced; {_REFETCH}"
        )


class Artifacts:
    """manifest.json plus lazily created LiteRT signature runners, one per file, verified on first load."""

    def __init__(self, folder: str | Path, precision: Precision, num_threads: int | None = None,
                 cache_dir: str | Path | bool | None = None, load: str = "mmap", verify: str = "stamp"):
        if num_threads is not None and (
            isinstance(num_threads, bool) or not isinstance(num_threads, int) or not 1 <= num_threads <= MAX_THREADS
        ):
            raise ValueError(
                f"num_threads must be an int from 1 to {MAX_THREADS} (LiteRT threads per graph; this machine has "
                f"{os.cpu_count()} CPUs) or None for LiteRT's default, got {num_threads!r}"
            )
        if load not in LOAD_MODES:
            raise ValueError(f"load must be one of {', '.join(LOAD_MODES)}, got {load!r}")
        if verify not in VERIFY_MODES:
            raise ValueError(f"verify must be one of {', '.join(VERIFY_MODES)}, got {verify!r}")
        if not (cache_dir is None or isinstance(cache_dir, (bool, str, os.PathLike))):
            raise ValueError(f"cache_dir must be a folder, False (no weight cache) or None (default), got {cache_dir!r}")
        self.folder = Path(folder)
        self.precision = precision
        self.num_threads = num_threads
        self.cache_dir = cache_dir
        self.load = load
        self.verify = verify
        if not self.folder.is_dir():
            raise FileNotFoundError(
                f"artifacts folder {self.folder} does not exist; {_convert_hint(self.folder, precision)}"
            )
        self._root = self.folder.resolve()
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
        # Each variant from the bundle where the folder has one (one file, weights packed once), else its file.
        self.graphs: dict[Variant, tuple[mf.ArtifactFile, mf.Graph]] = {v: manifest.find(v) for v in manifest.variants()}
        # Field names for messages: artifacts.<stem>.graphs[i] of each variant.
        self._where = {
            g.variant: (stem, f"artifacts.{stem}.graphs[{i}]")
            for stem, a in manifest.artifacts.items() for i, g in enumerate(a.graphs)
            if self.graphs[g.variant][0] is a
        }
        present = sorted({v.precision.suffix for v in self.graphs})
        self.labels_variant = Variant(Component.LABELS, precision)
        # A token-level model's text graphs are the token graphs (start/end/inside logits; runtime/token_path.py).
        self.token_level = self.config.span_mode == TOKEN_LEVEL
        self.buckets = self._buckets(Component.TOKENS if self.token_level else Component.TEXT)
        # The labels-independent graphs (a bundle has them; the seed's files do not): with the prompts graph and
        # span graphs the runtime scores any number of labels per text pass; without, it runs config.max_types at a time.
        self.span_buckets = self._buckets(Component.SPANS)
        self.bulk_labels_variant = self._present(Variant(Component.LABELS_BULK, precision))
        self.prompts_variant = self._present(Variant(Component.PROMPTS, precision))
        if self.labels_variant not in self.graphs or not self.buckets:
            missing = "labels encoder" if self.labels_variant not in self.graphs else "text encoder"
            raise FileNotFoundError(
                f"{self.folder} has no {precision.suffix} {missing} (precisions present: "
                f"{', '.join(present) or 'none'}); pick one of those or {_convert_hint(self.folder, precision)}"
            )
        extra = [v for v in (self.bulk_labels_variant, self.prompts_variant) if v is not None]
        for v in [self.labels_variant, *extra] + [b.variant for b in self.buckets + self.span_buckets]:
            self._check_contract(v)
            art, _ = self.graphs[v]
            self._regular_file(art.file, f"artifacts.{self._where[v][0]}.file")
        self._engines: dict[str, object] = {}  # file -> Engine
        self._checked: set[Variant] = set()
        self._lock = threading.Lock()

    def _buckets(self, component: Component) -> list[Bucket]:
        return [
            Bucket(v, min(v.seq_len, g.max_valid_tokens))
            for v, (_, g) in sorted(self.graphs.items(), key=lambda kv: kv[0].sort_key)
            if v.component is component and v.precision is self.precision
        ]

    def _present(self, variant: Variant) -> Variant | None:
        return variant if variant in self.graphs else None

    # ------------------------------------------------------------------ files

    def _regular_file(self, rel: str, field: str) -> Path:
        """The file a manifest field names, resolved (symlinks followed) and confined to the folder."""
        path = self.folder / rel
        real = path.resolve()
        if not real.is_relative_to(self._root):
            raise ArtifactError(
                f"{path} ({field} of {self.folder / mf.MANIFEST}) resolves to {real}, outside the artifacts folder "
                f"{self._root}; the runtime reads only files inside it: put the file itself in the folder, not a link"
            )
        if not real.is_file():
            raise FileNotFoundError(
                f"{path} ({field}) is listed in the manifest but missing or not a regular file; restore the file or "
                f"{_convert_hint(self.folder, self.precision)}"
            )
        return real

    def _read_verified(self, rel: str, field: str, sha256: str, size: int | None = None) -> bytes:
        """The bytes of a file, read once and checked against the manifest: the caller uses these bytes, never
        the path again, so a file replaced after the check is never served."""
        real = self._regular_file(rel, field)
        path = self.folder / rel
        try:
            with open(real, "rb") as f:
                data = f.read() if size is None else f.read(size + 1)  # +1: a longer file is refused, not cut
        except OSError as e:
            raise FileNotFoundError(
                f"{path} ({field}) cannot be read ({e.strerror or e}); {_convert_hint(self.folder, self.precision)}"
            ) from None
        record = field.rsplit(".", 1)[0]
        if size is not None:
            _check_size(path, record, len(data), size)
        _check_digest(path, record, hashlib.sha256(data).hexdigest(), sha256)
        return data

    def side_file_bytes(self, name: str) -> bytes:
        """The bytes of a side file the manifest names (text_tokenizer, labels_tokenizer, gliner_config),
        checked against its sha256: a swapped or corrupt tokenizer would give wrong entities silently."""
        side = self.manifest.files[name]
        return self._read_verified(side.path, f"files.{name}.path", side.sha256)

    def tokenizer(self, name: str):
        """A `tokenizers.Tokenizer` from a verified side file, truncation and padding off."""
        from tokenizers import Tokenizer

        data = self.side_file_bytes(name)
        try:
            tok = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - tokenizers raises a bare Exception for bad JSON
            raise ArtifactError(
                f"{self.folder / self.manifest.files[name].path} (files.{name}) is not a valid tokenizer.json ({e}); "
                "reconvert the folder with `python -m convert ... --force`"
            ) from None
        tok.no_truncation()
        tok.no_padding()
        return tok

    # ------------------------------------------------------------------ graphs

    def _check_contract(self, variant: Variant) -> None:
        """The manifest's record of a graph against the contract its config implies (common/inputs.py): a config
        that does not describe the graphs (max_width, hidden_size, max_types) would fail later inside LiteRT's RESHAPE."""
        _, graph = self.graphs[variant]
        where = self._where[variant][1]
        c = self.config
        _, out_name = io_names(variant.component)
        shapes = input_shapes(variant.component, variant.seq_len, c.max_width, c.hidden_size, c.max_types)
        # Each layout has its dtypes (the seed files' int64, the bundle's int32); Engine.run casts the
        # builders' arrays to them.
        dtypes = input_dtypes(variant.component, self.layout(variant))
        want_in = {n: (list(shapes[n]), dtypes[n]) for n in dtypes}
        want_out = {out_name: (list(output_shape(variant.component, variant.seq_len, c.max_width, c.hidden_size,
                                                 c.max_types)), OUTPUT_DTYPE)}
        differ = _differences(_io(graph.inputs), want_in) + _differences(_io(graph.outputs), want_out)
        if differ:
            raise ArtifactError(
                f"{self.folder / mf.MANIFEST}: {where} does not fit config.max_width {c.max_width}, "
                f"config.hidden_size {c.hidden_size} and config.max_types {c.max_types} in the "
                f"{self.layout(variant).value} layout's contract: {'; '.join(differ)}. The config and the graph "
                "records disagree "
                f"(one was edited); reconvert the folder with `python -m convert ... --force`"
            )

    def run(self, variant: Variant, arrays: dict) -> dict:
        """One call of a graph: inputs by name -> outputs by name (fresh arrays). Calls of one graph are
        serialized (they share its buffers); different graphs may run at once."""
        return self.engine(variant).run(self.graphs[variant][1].signature, arrays)

    def layout(self, variant: Variant) -> Layout:
        return self.graphs[variant][0].layout

    def engine(self, variant: Variant):
        """The Engine of the file holding `variant`, opened and checked on first use; the graph's signature
        checked against the manifest on its first use."""
        art, graph = self.graphs[variant]
        with self._lock:
            eng = self._engines.get(art.file)
            if eng is None:
                eng = self._engines[art.file] = self._open(art)
            if variant not in self._checked:
                self._check_signature(variant, eng)
                self._checked.add(variant)
            return eng

    def _open(self, art: mf.ArtifactFile):
        """The file's Engine: its bytes verified, its precision checked, its weight cache proven or built."""
        from runtime.engine import Engine

        stem = next(k for k, a in self.manifest.artifacts.items() if a is art)
        cache, notes = weight_cache.acquire(self.folder, art.sha256, self.cache_dir, self.verify)
        fd = source = None
        try:
            source, fd, target = self._verified_source(art, f"artifacts.{stem}", cache)
            self._check_precision(art, stem, source, cache)
            self._warn_cache(art, cache, notes)
            if fd is None:
                return self._create(cache, lambda c: Engine.from_bytes(source, self.num_threads, c))
            source.close()  # the view served the precision check; LiteRT maps the file itself
            return self._create(cache, lambda c: Engine.from_file(target, self.num_threads, c))
        finally:
            if cache is not None:
                cache.close()
            if fd is not None:
                if not source.closed:
                    source.close()
                os.close(fd)

    def _verified_source(self, art: mf.ArtifactFile, field: str, cache):
        """(bytes or a read-only view, descriptor or None, what LiteRT opens) of a file whose size and sha256 match
        the manifest. load="copy": the bytes read are hashed, and those very bytes go to LiteRT (it keeps a
        reference, no second copy). load="mmap": LiteRT opens the descriptor's inode, the one checked, so a file
        renamed over the path meanwhile is not what it maps (/proc/self/fd is Linux's and Android's; elsewhere
        the path). With verify="stamp" the descriptor's file is hashed in full the first time and again whenever
        its stamp (identity, size, mtime, ctime: any change through the file system) differs from the one recorded
        in the private cache folder when it was last hashed; verify="full" hashes it on every start."""
        import mmap

        if self.load == "copy":
            return self._read_verified(art.file, f"{field}.file", art.sha256, art.bytes), None, None
        real = self._regular_file(art.file, f"{field}.file")
        fd = os.open(real, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            _check_size(self.folder / art.file, field, st.st_size, art.bytes)
            known = (self.verify == "stamp" and cache is not None
                     and cache.fact("model_stamp") == weight_cache.stamp(st))
            if not known:
                self._verify_fd(fd, self.folder / art.file, field, art)
                if cache is not None:
                    cache.remember("model_stamp", weight_cache.stamp(st))
            view = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except BaseException:
            os.close(fd)
            raise
        target = f"/proc/self/fd/{fd}" if os.path.exists(f"/proc/self/fd/{fd}") else str(real)
        return view, fd, target

    def _warn_cache(self, art: mf.ArtifactFile, cache, notes: list[str]) -> None:
        """Each problem the weight cache met (a folder refused, a cache rebuilt), naming the file; and, for a
        bundle, what running without one costs."""
        for note in notes:
            warnings.warn(note, stacklevel=6)
        if cache is None and len(art.graphs) > 1:
            why = "cache_dir=False" if self.cache_dir is False else "no usable folder (above)"
            warnings.warn(
                f"XNNPACK weight cache off ({why}): each of the {len(art.graphs)} signatures of {art.file} packs "
                "its own copy of the weights (gigabytes for a full-size bundle); pass cache_dir=<a folder of this "
                "user's> to share one packed copy", stacklevel=6)

    @staticmethod
    def _create(cache, create):
        """`create(cache path or None)`, then the built cache recorded and renamed into place (runtime/cache.py)."""
        engine = create(cache.litert_path if cache else None)
        if cache is not None:
            cache.commit()
            engine.cache_file = cache.path
        return engine

    def _verify_fd(self, fd: int, path: Path, field: str, art: mf.ArtifactFile) -> None:
        _check_size(path, field, os.fstat(fd).st_size, art.bytes)
        with os.fdopen(os.dup(fd), "rb") as f:
            _check_digest(path, field, sha256_stream(f), art.sha256)

    def _check_precision(self, art: mf.ArtifactFile, stem: str, data, cache=None) -> None:
        """The precision the file's tensors show against the manifest's. The walk of the flatbuffer is slow in
        Python (seconds for an fp32 bundle), so its verdict is kept beside the weight cache, keyed by the sha256
        just verified: a private folder's record of these very bytes."""
        found = cache.fact("precision") if cache is not None else None
        found = Precision.parse(found) if found in {p.suffix for p in Precision} else None
        if found is None:
            found = weights_precision(data)
            if cache is not None:
                cache.remember("precision", found.suffix)
        if found is not art.precision:
            raise ArtifactError(
                f"{self.folder / art.file} holds {found} weights but the manifest's artifacts.{stem}.precision says "
                f"{art.precision}: the file is another precision's graph (its sha256 in the manifest was updated to "
                f"match); restore the {art.precision} file or reconvert with `python -m convert ... --force`"
            )

    def _check_signature(self, variant: Variant, eng) -> None:
        art, graph = self.graphs[variant]
        where, path = self._where[variant][1], self.folder / art.file
        want = sorted(g.signature for g in art.graphs)
        if sorted(eng.signatures) != want:
            raise ArtifactError(
                f"{path} has signatures {sorted(eng.signatures)}, the manifest's artifacts.{self._where[variant][0]} "
                f"lists {want}: the file is not the one converted; reconvert with `python -m convert ... --force`"
            )
        inputs, outputs = eng.io(graph.signature)
        for kind, rows, recorded in (("inputs", inputs, graph.inputs), ("outputs", outputs, graph.outputs)):
            got = {r["name"]: (r["shape"], r["dtype"]) for r in rows}
            differ = _differences(got, _io(recorded), "the manifest says")
            if differ:
                raise ArtifactError(
                    f"{path}: the graph's {kind} differ from the manifest's {where}.{kind} ({'; '.join(differ)}): the "
                    f"file is not the {variant} graph (another bucket's or model's, its sha256 in the manifest updated "
                    f"to match); restore the file or reconvert with `python -m convert ... --force`"
                )
