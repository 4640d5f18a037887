"""The variant table: every artifact, file name, signature, report key and test id comes from `Variant`."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum

# The seed artifact's buckets (ckg/gliner-bi-base-v20-litert): `--layout files` writes these by default, so
# apps built on the seed find every file they expect.
SEED_SEQ_LENS: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192)
# The bundle's default ladder: powers of two from 64, so a short text runs a short graph. Weights are stored
# once, but every signature carries its own tensor table and, in int8, its own per-channel scales and zero
# points: measured at base size, each extra text signature adds 2.9 MB to the int8 bundle (0.6 MB fp32). Eight
# keep the int8 bundle within 1.1x of one text file plus the labels file; a 1.5x ladder (14 graphs) would be
# 1.19x. Finer steps are one --seq-lens away (docs/CONVERSION.md).
SEQ_LENS: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
# A web page's bundle (`python -m convert --web`, docs/WEB.md): LiteRT.js copies the file into a 2 GiB wasm heap
# and packs a weight copy per signature it prepares, so it holds the labels side and two text buckets (each with
# its span graph): short texts run 256, the rest 1024 or windows of it.
WEB_SEQ_LENS: tuple[int, ...] = (256, 1024)
# Any bucket must be a multiple of this (ModernBERT's sliding-window blocks are padded to it inside the graph
# otherwise; 64 keeps every ladder step a whole number of the bi-v2 family's 64-token half windows).
SEQ_LEN_STEP = 64
MAX_SEQ_LEN = 8192
LABEL_TOKENS = 32  # tokens per label row of the labels encoder
# Label rows per call of the bulk labels encoder and of the prompts graph: 1,000 labels are 8 calls instead of
# 40 (at max_types 25), and an app encoding a handful of labels still has the max_types-row graph.
BULK_LABEL_ROWS = 128
TOKEN_LEVEL = "token_level"  # gliner's span_mode of the token-level (BIO-style start/end/inside) models


class Component(str, Enum):
    """What a graph computes. LABELS and TEXT are the seed's graphs (labels_embeds in, logits out); the others
    serve any number of labels: the text graph stops at the span representations, which do not depend on the
    labels, and the labels side becomes prompt vectors scored against them on the host."""

    LABELS = "labels"  # labels encoder, config.max_types rows per call
    LABELS_BULK = "labels_bulk"  # the same labels encoder, BULK_LABEL_ROWS rows per call
    PROMPTS = "prompts"  # label embeddings -> prompt vectors (upstream's prompt_rep), BULK_LABEL_ROWS rows per call
    TEXT = "text"  # text encoder + span head scored against config.max_types labels, per bucket
    SPANS = "spans"  # text encoder + span head up to the span representations [S, max_width, hidden], per bucket
    # Token-level models (gliner's BiEncoderTokenGLiNER, span_mode "token_level"): text encoder + Scorer against
    # config.max_types labels: start/end/inside logits [1, S, max_types, 3], per bucket. More labels run it once
    # per max_types labels (runtime/token_path.py; docs/RUNTIME.md says why).
    TOKENS = "tokens"

    @property
    def per_bucket(self) -> bool:
        """A text graph: one per seq_len."""
        return self in (Component.TEXT, Component.SPANS, Component.TOKENS)

    def serves(self, span_mode: str) -> bool:
        """Whether a model of `span_mode` has this graph: the labels encoders serve both kinds; TOKENS only
        token-level models; the span graphs (TEXT, SPANS, PROMPTS) only span models (a token model has no
        prompt_rep layer and no span head)."""
        if self in (Component.LABELS, Component.LABELS_BULK):
            return True
        return (self is Component.TOKENS) == (span_mode == TOKEN_LEVEL)

    @property
    def in_seed(self) -> bool:
        """One of the seed's graphs, which `--layout files` writes under the seed's names."""
        return self in (Component.LABELS, Component.TEXT)

    def label_rows(self, max_types: int) -> int | None:
        """Label rows per call of a labels-side graph: the seed's labels encoder takes the model's max_types."""
        return {Component.LABELS: max_types, Component.LABELS_BULK: BULK_LABEL_ROWS,
                Component.PROMPTS: BULK_LABEL_ROWS}.get(self)


# Each component's name stem: `<stem>_<precision>` is the file stem, `<stem>` the bundle signature; a text
# graph's stem ends in its seq_len.
_STEMS = {
    Component.LABELS: "labels_encoder", Component.LABELS_BULK: "labels_encoder_bulk",
    Component.PROMPTS: "label_prompts", Component.TEXT: "text_encoder_seq", Component.SPANS: "text_spans_seq",
    Component.TOKENS: "token_logits_seq",
}


class Layout(str, Enum):
    """How graphs are packed into files."""

    BUNDLE = "bundle"  # one .tflite per precision, one signature per graph: the weights are stored once
    FILES = "files"  # the seed's names: one .tflite per graph, signature `serving_default`


# litert-torch names the only signature of a single-module export so; apps built on the seed call it.
SEED_SIGNATURE = "serving_default"


@dataclass(frozen=True)
class Tolerance:
    """What a precision must meet against upstream, with the reason; validate reads it, never convert."""

    max_rel_error: float | None  # max |tflite - ref| / max |ref| over valid spans
    flip_margin: float | None  # decisions must agree wherever |ref score - threshold| > margin
    min_entity_f1: float | None  # entity F1 of the .tflite against upstream entities
    min_label_cosine: float | None  # labels encoder: min cosine to upstream embeddings
    why: str


class Precision(Enum):
    """One member per precision: file suffix, ai-edge-quantizer recipe (None = the exported fp32 graph), tolerance."""

    FP32 = (
        "fp32",
        None,
        Tolerance(
            max_rel_error=1e-5, flip_margin=1e-5, min_entity_f1=None, min_label_cosine=0.99999,
            why="same arithmetic as PyTorch up to kernel summation order: float32 rounding only",
        ),
    )
    # Dynamic-range int8 for the encoders' layers (int8 weights per channel, activations quantized at run
    # time: the speed-up) and int8 embedding tables; the span/prompt head stays float. The head is a few % of
    # the FLOPs; quantizing its activations cost entity F1 on tiny-trained (0.988 at 0.3), and a weight-only
    # head is dequantized into per-signature memory at load (convert/export.py build_recipe). The BERT labels
    # encoder's attention value projections stay float as well (real MiniLM's min label cosine: 0.987 -> 0.9965;
    # convert/export.py LABELS_FLOAT_SCOPE).
    INT8 = (
        "int8",
        "dynamic_encoders_float_head",
        Tolerance(
            max_rel_error=None, flip_margin=None, min_entity_f1=0.99, min_label_cosine=0.99,
            why="int8 weights per channel and activations quantized at run time change logits by design; "
            "judge the entities a user sees (on a trained model), report flips as a rate",
        ),
    )
    INT8W = (
        "int8w",
        "weight_only_wi8_afp32",
        Tolerance(
            max_rel_error=None, flip_margin=None, min_entity_f1=0.99, min_label_cosine=0.99,
            why="weights dequantized to float at run time: closer than int8, still not float32 arithmetic",
        ),
    )

    def __init__(self, suffix: str, recipe: str | None, tolerance: Tolerance):
        self.suffix = suffix
        self.recipe = recipe
        self.tolerance = tolerance

    @classmethod
    def parse(cls, name: str) -> "Precision":
        for p in cls:
            if p.suffix == name:
                return p
        raise ValueError(f"unknown precision {name!r}; choose from {', '.join(p.suffix for p in cls)}")

    def __str__(self) -> str:
        return self.suffix


DEFAULT_PRECISIONS = (Precision.FP32, Precision.INT8)


@dataclass(frozen=True)
class Variant:
    """One graph (labels encoder, or text encoder at one bucket) at one precision. `str(v)` is its report key,
    its pytest id and its file stem in `--layout files`; `signature` names it inside a bundle."""

    component: Component
    precision: Precision
    seq_len: int | None = None

    def __post_init__(self):
        if self.component.per_bucket:
            s = self.seq_len
            if isinstance(s, bool) or not isinstance(s, int) or not (SEQ_LEN_STEP <= s <= MAX_SEQ_LEN) or s % SEQ_LEN_STEP:
                raise ValueError(
                    f"seq_len {s!r} is not a bucket: use a multiple of {SEQ_LEN_STEP} from {SEQ_LEN_STEP} to "
                    f"{MAX_SEQ_LEN}, e.g. the default ladder {' '.join(map(str, SEQ_LENS))}"
                )
        elif self.seq_len is not None:
            raise ValueError(f"the {self.component.value} graph has no seq_len")

    @property
    def stem(self) -> str:
        return f"{self.signature}_{self.precision.suffix}"

    @property
    def file_name(self) -> str:
        """The seed's file name of this graph (`--layout files`)."""
        return f"{self.stem}.tflite"

    @property
    def signature(self) -> str:
        """The graph's signature name inside a bundle: what it computes, without the precision."""
        return _STEMS[self.component] + (str(self.seq_len) if self.component.per_bucket else "")

    def id_in(self, layout: "Layout") -> str:
        """The graph's report row and --only name: the seed stem for a seed file, `<bundle>/<signature>` in a
        bundle (e.g. gliner_bi_int8/text_encoder_seq256)."""
        if layout is Layout.FILES:
            return self.stem
        return f"{bundle_file_name(self.precision).removesuffix('.tflite')}/{self.signature}"

    def file_in(self, layout: "Layout") -> str:
        return bundle_file_name(self.precision) if layout is Layout.BUNDLE else self.file_name

    def signature_in(self, layout: "Layout") -> str:
        return self.signature if layout is Layout.BUNDLE else SEED_SIGNATURE

    @property
    def fp32_source(self) -> "Variant":
        """The fp32 variant a quantized file is derived from."""
        return Variant(self.component, Precision.FP32, self.seq_len)

    def __str__(self) -> str:
        """The file stem of `--layout files`, and everywhere the report key and the pytest id."""
        return self.stem

    @property
    def sort_key(self) -> tuple:
        """Labels-side graphs first, then by seq_len, then in Component's and Precision's order."""
        return (self.component.per_bucket, self.seq_len or 0, list(Component).index(self.component),
                list(Precision).index(self.precision))

    @classmethod
    def from_stem(cls, stem: str) -> "Variant":
        m = _STEM.fullmatch(stem) if isinstance(stem, str) else None
        if m is None:
            raise ValueError(f"{stem!r} names no variant (e.g. labels_encoder_int8, text_encoder_seq256_fp32)")
        comp = next(c for c, name in _STEMS.items() if name == m.group("name"))
        seq, prec = m.group("seq"), Precision.parse(m.group("prec"))
        if comp.per_bucket != (seq is not None):
            raise ValueError(f"{stem!r} names no variant (e.g. labels_encoder_int8, text_encoder_seq256_fp32)")
        return cls(comp, prec, None if seq is None else int(seq))


_STEM = re.compile(
    r"(?P<name>" + "|".join(sorted(map(re.escape, _STEMS.values()), key=len, reverse=True))
    + r")(?P<seq>[1-9][0-9]*)?_(?P<prec>[a-z0-9]+)"
)


def bundle_file_name(precision: Precision) -> str:
    """The bundle of one precision: every graph of that precision, weights stored once."""
    return f"gliner_bi_{precision.suffix}.tflite"


def all_variants(seq_lens=SEQ_LENS, precisions=DEFAULT_PRECISIONS, components=None, span_mode: str = "markerV0"
                 ) -> list[Variant]:
    """The variant matrix, as data: labels-side graphs x precision, then text graphs x seq_len x precision.
    `components` None: every graph a model of `span_mode` has (Component.serves)."""
    if components is None:
        components = [c for c in Component if c.serves(span_mode)]
    out: list[Variant] = []
    for c in components:
        if c.per_bucket:
            out += [Variant(c, p, s) for s, p in itertools.product(sorted(seq_lens), precisions)]
        else:
            out += [Variant(c, p) for p in precisions]
    return sorted(out, key=lambda v: v.sort_key)
