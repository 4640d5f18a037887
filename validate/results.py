"""What validation says of one graph: the stage it reached, its statistics, its failures (the report's rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from common.variants import Layout, Tolerance, Variant
from validate.reference import Reference
from validate.suite import SuiteItem


class Stage(Enum):
    """How far an artifact got; a result's status is the last stage it reached (ExecuTorch reporting.py)."""

    LISTED = "listed in manifest"
    FOUND = "file found"
    SHA_MATCHED = "sha256 matched"
    LOADED = "loaded"
    RAN = "ran"
    SHAPES_MATCHED = "shapes matched"
    WITHIN_TOLERANCE = "within tolerance"


@dataclass
class Result:
    variant: Variant
    layout: Layout
    file: str
    bytes: int
    stage: Stage = Stage.LISTED
    failures: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    timing_ms: dict = field(default_factory=dict)
    judged: list[str] = field(default_factory=list)
    tolerance: Tolerance | None = None  # overrides the precision's (validate.gpu: the GPU's fp16 setting)

    @property
    def tol(self) -> Tolerance:
        """What this row must meet: its precision's tolerance unless the run gave another."""
        return self.tolerance or self.variant.precision.tolerance

    @property
    def passed(self) -> bool:
        return self.stage is Stage.WITHIN_TOLERANCE and not self.failures

    @property
    def row(self) -> str:
        """The report row and --only name (Variant.id_in)."""
        return self.variant.id_in(self.layout)


@dataclass
class Case:
    item: SuiteItem
    ref: Reference
    num_tokens: int
    entities: dict  # threshold -> set of (start, end, label), upstream logits decoded
