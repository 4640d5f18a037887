"""manifest.json, the one description of an artifacts folder: typed schema, its one reader and its one writer.

Written by convert; read by validate, runtime, benchmarks and reports through `read` only. A folder is files
(each with its sha256) and the graphs (signatures) inside each file; `config` holds the model facts the
runtime needs. Every field is checked at read, and a bad one is refused naming the field and the fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from common import jsonsafe
from common.files import TempJournal, atomic_write_bytes
from common.variants import Component, Layout, Precision, Variant

MANIFEST = "manifest.json"
# 2: files hold graphs (signatures) in a layout (bundle or seed files); side files carry sha256; every field
# checked at read.
SCHEMA_VERSION = 2
SIDE_FILES = ("text_tokenizer", "labels_tokenizer", "gliner_config")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """A manifest we refuse; the message names the field and says what to do."""


def _reconvert(folder: Path) -> str:
    return f"reconvert the folder: python -m convert --model <GLiNER model> --out {folder} --force"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name as the interpreter reports it: int32, int64, float32


@dataclass(frozen=True)
class Graph:
    """One signature inside a .tflite file: which variant it computes and its inputs and outputs."""

    variant: Variant
    signature: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    max_valid_tokens: int  # tokens it may be fed: S, capped by the encoder's trained positions


@dataclass(frozen=True)
class ArtifactFile:
    """One .tflite file: where it is, its checksum, how it was made, and the graphs it holds."""

    file: str
    sha256: str
    bytes: int
    precision: Precision
    layout: Layout
    graphs: tuple[Graph, ...]
    key: str  # what the file depends on (convert.run.artifact_key); equal key = nothing to redo
    fuse_span_head: bool = True
    convert_seconds: float | None = None
    peak_rss_bytes: int | None = None


@dataclass(frozen=True)
class SideFile:
    """A file beside the graphs that the runtime reads (a tokenizer.json, the gliner config)."""

    path: str
    sha256: str


@dataclass(frozen=True)
class ModelConfig:
    """The model facts preprocessing and decoding need (from the source's gliner config)."""

    max_width: int
    max_types: int
    hidden_size: int
    max_len: int
    words_splitter_type: str
    span_mode: str
    subtoken_pooling: str
    label_tokens: int
    text_pad_token_id: int


@dataclass
class Manifest:
    source: dict  # weights_file, weights_sha256 and model_id/revision or folder
    config: ModelConfig
    files: dict[str, SideFile]
    tools: dict[str, str]
    platform: dict
    artifacts: dict[str, ArtifactFile] = field(default_factory=dict)  # by file stem

    def graphs(self) -> Iterator[tuple[ArtifactFile, Graph]]:
        for art in self.artifacts.values():
            for g in art.graphs:
                yield art, g

    def find(self, variant: Variant, layout: Layout | None = None) -> tuple[ArtifactFile, Graph] | None:
        """The file and graph computing `variant`: in `layout`, or the bundle's where both layouts hold it."""
        hits = [(a, g) for a, g in self.graphs() if g.variant == variant and layout in (None, a.layout)]
        hits.sort(key=lambda ag: list(Layout).index(ag[0].layout))
        return hits[0] if hits else None

    def variants(self) -> list[Variant]:
        """Every variant any file holds, once."""
        return sorted({g.variant for _, g in self.graphs()}, key=lambda v: v.sort_key)

    def layouts(self) -> list[Layout]:
        return [lay for lay in Layout if any(a.layout is lay for a in self.artifacts.values())]

    def to_json(self) -> dict:
        def enc(x):
            if isinstance(x, Precision):
                return x.suffix
            if isinstance(x, (Component, Layout)):
                return x.value
            if isinstance(x, Variant):
                return str(x)
            if isinstance(x, dict):
                return {k: enc(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [enc(v) for v in x]
            return x

        arts = {}
        for stem, a in self.artifacts.items():
            d = {k: getattr(a, k) for k in a.__dataclass_fields__}
            d["graphs"] = [{k: getattr(g, k) for k in g.__dataclass_fields__} for g in a.graphs]
            for g in d["graphs"]:
                g["inputs"] = [asdict(t) for t in g["inputs"]]
                g["outputs"] = [asdict(t) for t in g["outputs"]]
            arts[stem] = enc(d)
        return {
            "schema_version": SCHEMA_VERSION, "source": self.source, "config": asdict(self.config),
            "files": {k: asdict(v) for k, v in self.files.items()}, "tools": self.tools, "platform": self.platform,
            "artifacts": arts,
        }


# ---------------------------------------------------------------------------------------------- reading


class _Reader:
    """Field access that names the offending field on every refusal."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str) -> ManifestError:
        return ManifestError(f"{self.path}: {where} {problem}; {_reconvert(self.path.parent)}")

    def obj(self, d: Any, where: str) -> dict:
        if not isinstance(d, dict):
            raise self.fail(where, f"must be a JSON object, got {type(d).__name__}")
        return d

    def get(self, d: dict, key: str, where: str, kind, *, positive: bool = False, optional: bool = False,
            non_negative: bool = False):
        if key not in d or d[key] is None:
            if optional:
                return None
            raise self.fail(f"{where}.{key}", "is missing")
        v = d[key]
        ok = isinstance(v, kind) and not (kind is int and isinstance(v, bool))
        if kind is float:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not ok:
            raise self.fail(f"{where}.{key}", f"must be {kind.__name__}, got {v!r}")
        if positive and not v > 0:
            raise self.fail(f"{where}.{key}", f"must be > 0, got {v!r}")
        if non_negative and not v >= 0:
            raise self.fail(f"{where}.{key}", f"must be >= 0 (a token id), got {v!r}")
        if kind is str and "\x00" in v:
            # C libraries (LiteRT, the file system) cut a string at a NUL: what they read is not what was checked.
            raise self.fail(f"{where}.{key}", f"holds a NUL character ({v!r})")
        return v

    def parsed(self, d: dict, key: str, where: str, parse):
        """A string field turned into a value by `parse` (Precision.parse, Layout, Variant.from_stem)."""
        try:
            return parse(self.get(d, key, where, str))
        except ValueError as e:
            raise self.fail(f"{where}.{key}", str(e)) from None

    def sha(self, d: dict, where: str) -> str:
        v = self.get(d, "sha256", where, str)
        if not _SHA256.fullmatch(v):
            raise self.fail(f"{where}.sha256", f"is not a sha256 hex digest ({v[:20]!r})")
        return v

    def rel_path(self, d: dict, key: str, where: str) -> str:
        """A path inside the folder: relative, no '..', no backslash tricks; anything else is refused."""
        v = self.get(d, key, where, str)
        p = PurePosixPath(v)
        if not v or "\\" in v or p.is_absolute() or ".." in p.parts or v.startswith("~"):
            raise self.fail(f"{where}.{key}", f"{v!r} points outside the artifacts folder; only names inside it are allowed")
        return v

    def tensors(self, rows: Any, where: str) -> tuple[TensorSpec, ...]:
        if not isinstance(rows, list) or not rows:
            raise self.fail(where, "must be a non-empty list")
        out = []
        for i, r in enumerate(rows):
            r = self.obj(r, f"{where}[{i}]")
            shape = r.get("shape")
            if not isinstance(shape, list) or not all(isinstance(x, int) and x > 0 for x in shape):
                raise self.fail(f"{where}[{i}].shape", f"must be a list of positive ints, got {shape!r}")
            out.append(TensorSpec(self.get(r, "name", f"{where}[{i}]", str), tuple(shape),
                                  self.get(r, "dtype", f"{where}[{i}]", str)))
        return tuple(out)


def read(folder: Path) -> Manifest | None:
    """The folder's manifest, every field checked; None if the folder has no manifest.json."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    r = _Reader(path)
    try:
        data = jsonsafe.loads(path.read_text(encoding="utf-8"))
    except (jsonsafe.TooDeep, RecursionError):
        raise ManifestError(f"{path} nests JSON deeper than a manifest ever does (not one convert wrote); "
                            f"{_reconvert(path.parent)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{path} is not valid JSON ({e}); {_reconvert(path.parent)}") from None
    data = r.obj(data, "the manifest")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ManifestError(
            f"{path}: manifest schema {data.get('schema_version')!r}, this toolkit reads {SCHEMA_VERSION} (the folder "
            f"was written by another version of gliner-litert); {_reconvert(path.parent)}"
        )
    c = r.obj(data.get("config"), "config")
    config = ModelConfig(
        max_width=r.get(c, "max_width", "config", int, positive=True),
        max_types=r.get(c, "max_types", "config", int, positive=True),
        hidden_size=r.get(c, "hidden_size", "config", int, positive=True),
        max_len=r.get(c, "max_len", "config", int, positive=True),
        words_splitter_type=r.get(c, "words_splitter_type", "config", str),
        span_mode=r.get(c, "span_mode", "config", str),
        subtoken_pooling=r.get(c, "subtoken_pooling", "config", str),
        label_tokens=r.get(c, "label_tokens", "config", int, positive=True),
        text_pad_token_id=r.get(c, "text_pad_token_id", "config", int, non_negative=True),
    )
    fd = r.obj(data.get("files"), "files")
    files = {}
    for name in SIDE_FILES:
        e = r.obj(fd.get(name), f"files.{name}")
        files[name] = SideFile(r.rel_path(e, "path", f"files.{name}"), r.sha(e, f"files.{name}"))
    artifacts = {}
    for stem, a in r.obj(data.get("artifacts", {}), "artifacts").items():
        where = f"artifacts.{stem}"
        a = r.obj(a, where)
        precision = r.parsed(a, "precision", where, Precision.parse)
        layout = r.parsed(a, "layout", where, Layout)
        graphs = []
        raw_graphs = a.get("graphs")
        if not isinstance(raw_graphs, list) or not raw_graphs:
            raise r.fail(f"{where}.graphs", "must be a non-empty list")
        for i, g in enumerate(raw_graphs):
            gw = f"{where}.graphs[{i}]"
            g = r.obj(g, gw)
            variant = r.parsed(g, "variant", gw, Variant.from_stem)
            if variant.precision is not precision:
                raise r.fail(f"{gw}.variant", f"{variant} is not of the file's precision {precision}")
            graphs.append(Graph(
                variant=variant, signature=r.get(g, "signature", gw, str),
                inputs=r.tensors(g.get("inputs"), f"{gw}.inputs"), outputs=r.tensors(g.get("outputs"), f"{gw}.outputs"),
                max_valid_tokens=r.get(g, "max_valid_tokens", gw, int, positive=True),
            ))
        artifacts[stem] = ArtifactFile(
            file=r.rel_path(a, "file", where), sha256=r.sha(a, where),
            bytes=r.get(a, "bytes", where, int, positive=True), precision=precision, layout=layout,
            graphs=tuple(graphs),
            key=r.get(a, "key", where, str), fuse_span_head=bool(a.get("fuse_span_head", True)),
            convert_seconds=r.get(a, "convert_seconds", where, float, optional=True),
            peak_rss_bytes=r.get(a, "peak_rss_bytes", where, int, optional=True),
        )
    seen: dict[tuple[Variant, Layout], str] = {}
    for stem, art in artifacts.items():
        names = [g.signature for g in art.graphs]
        if len(set(names)) != len(names):
            raise r.fail(f"artifacts.{stem}.graphs", "names a signature twice")
        for g in art.graphs:
            if (g.variant, art.layout) in seen:
                raise r.fail(f"artifacts.{stem}", f"lists {g.variant}, which {seen[g.variant, art.layout]} lists too")
            seen[g.variant, art.layout] = stem
    src = r.obj(data.get("source"), "source")
    r.get(src, "weights_sha256", "source", str)
    return Manifest(source=src, config=config, files=files, tools=r.obj(data.get("tools", {}), "tools"),
                    platform=r.obj(data.get("platform", {}), "platform"), artifacts=artifacts)


def schema_version_of(folder: Path) -> Any:
    """The schema_version field of a folder's manifest, or None: lets convert start afresh on an old folder."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8")).get("schema_version")
    except (OSError, ValueError, AttributeError):
        return None


def write(folder: Path, manifest: Manifest, journal: TempJournal | None = None) -> None:
    """Atomically writes the manifest (sorted keys, one trailing newline); its temporary recorded in `journal`."""
    data = json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(Path(folder) / MANIFEST, data.encode(), journal)
