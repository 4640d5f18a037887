"""What a conversion writes: the files of a layout and the graphs inside each (no torch, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.variants import Layout, Precision, Variant, bundle_file_name


@dataclass(frozen=True)
class FilePlan:
    """One .tflite to write: its name, precision, layout and the graphs (variants) inside it."""

    file: str
    precision: Precision
    layout: Layout
    variants: tuple[Variant, ...]

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def fp32_source(self) -> "FilePlan":
        """The fp32 file a quantized file is derived from (the same graphs, exported)."""
        vs = tuple(v.fp32_source for v in self.variants)
        return FilePlan(vs[0].file_in(self.layout), Precision.FP32, self.layout, vs)

    @property
    def sort_key(self) -> tuple:
        return (self.layout is Layout.FILES, self.variants[0].sort_key)


def plan_files(variants: list[Variant], layout: Layout = Layout.BUNDLE) -> list[FilePlan]:
    """The files that hold `variants` in `layout`: a bundle per precision, or a seed-named file per variant.
    The seed's layout holds the seed's graphs only (its apps know no others); the bundle holds every one."""
    if layout is Layout.FILES:
        seed = sorted((v for v in variants if v.component.in_seed), key=lambda v: v.sort_key)
        return [FilePlan(v.file_name, v.precision, layout, (v,)) for v in seed]
    plans = []
    for p in dict.fromkeys(v.precision for v in variants):
        vs = tuple(sorted((v for v in variants if v.precision is p), key=lambda v: v.sort_key))
        plans.append(FilePlan(bundle_file_name(p), p, layout, vs))
    return sorted(plans, key=lambda f: f.sort_key)
