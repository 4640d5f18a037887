"""The variant table: every artifact, file name, signature, report key and test id comes from `Variant`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

# The seed artifact's contract (ckg/gliner-bi-base-v20-litert); apps built on it feed these shapes.
SEQ_LENS: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192)
MAX_LABELS = 25  # labels per text-graph call (gliner-bi-base-v2.0 max_types); more run in groups
LABEL_TOKENS = 32  # tokens per label row of the labels encoder


class Component(str, Enum):
    LABELS = "labels"
    TEXT = "text"


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
    # time: the speed-up), weight-only int8 for the span/prompt head. The head is a few % of the FLOPs, and
    # quantizing its activations cost entity F1 on tiny-trained (0.988 -> 0.991 at 0.3 with this split).
    INT8 = (
        "int8",
        "dynamic_encoders_weight_only_head",
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
    """One artifact. `str(v)` is the file stem, the signature name, the report key and the pytest id."""

    component: Component
    precision: Precision
    seq_len: int | None = None

    def __post_init__(self):
        if self.component is Component.TEXT:
            if self.seq_len not in SEQ_LENS:
                raise ValueError(
                    f"unknown seq_len {self.seq_len!r}; choose from {', '.join(map(str, SEQ_LENS))}"
                )
        elif self.seq_len is not None:
            raise ValueError("the labels encoder has no seq_len")

    @property
    def stem(self) -> str:
        if self.component is Component.LABELS:
            return f"labels_encoder_{self.precision.suffix}"
        return f"text_encoder_seq{self.seq_len}_{self.precision.suffix}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.tflite"

    @property
    def fp32_source(self) -> "Variant":
        """The fp32 variant a quantized file is derived from."""
        return Variant(self.component, Precision.FP32, self.seq_len)

    def __str__(self) -> str:
        return self.stem

    @property
    def sort_key(self) -> tuple:
        """Labels first, then by seq_len, then in Precision's order."""
        return (self.component is Component.TEXT, self.seq_len or 0, list(Precision).index(self.precision))

    @classmethod
    def from_stem(cls, stem: str) -> "Variant":
        for v in all_variants(SEQ_LENS, list(Precision)):
            if v.stem == stem:
                return v
        raise ValueError(f"{stem!r} names no variant")


def all_variants(
    seq_lens=SEQ_LENS, precisions=DEFAULT_PRECISIONS, components=(Component.LABELS, Component.TEXT)
) -> list[Variant]:
    """The variant matrix, as data: labels x precision, then text x seq_len x precision."""
    out: list[Variant] = []
    if Component.LABELS in components:
        out += [Variant(Component.LABELS, p) for p in precisions]
    if Component.TEXT in components:
        out += [Variant(Component.TEXT, p, s) for s, p in itertools.product(sorted(seq_lens), precisions)]
    return out
