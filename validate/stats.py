"""Error statistics of one candidate against upstream, computed once (cf. ExecuTorch error_statistics.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

# log10 |diff| histogram edges: plots are drawn from report.json, so the distribution travels in it.
HIST_EDGES = [-np.inf] + list(range(-12, 3)) + [np.inf]


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float32)))).astype(np.float32)


@dataclass
class SpanStats:
    """Accumulates over (text, labels) items; `finish()` returns the JSON-ready numbers."""

    thresholds: tuple[float, ...]
    flip_margin: float = 1e-5
    items: int = 0
    valid_spans: int = 0
    decision_points: int = 0
    max_abs: float = 0.0
    sum_abs: float = 0.0
    max_ref: float = 0.0
    nonfinite: int = 0
    flips: dict = field(default_factory=dict)
    flips_beyond_margin: dict = field(default_factory=dict)
    hist: np.ndarray = field(default_factory=lambda: np.zeros(len(HIST_EDGES) - 1, np.int64))
    ent_tp: dict = field(default_factory=dict)
    ent_fp: dict = field(default_factory=dict)
    ent_fn: dict = field(default_factory=dict)

    def add(self, ref: np.ndarray, got: np.ndarray, ref_entities: dict, got_entities: dict) -> None:
        """ref/got: logits over valid spans only, [N, C]; *_entities: threshold -> set of (s, e, label)."""
        self.items += 1
        self.nonfinite += int(np.size(got) - np.isfinite(got).sum())
        self.valid_spans += ref.shape[0]
        self.decision_points += ref.size
        if ref.size == 0:
            return
        diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        diff = np.where(np.isfinite(diff), diff, np.inf)
        self.max_abs = max(self.max_abs, float(diff.max()))
        self.sum_abs += float(np.where(np.isfinite(diff), diff, 0).sum())
        self.max_ref = max(self.max_ref, float(np.abs(ref).max()))
        with np.errstate(divide="ignore"):
            self.hist += np.histogram(np.log10(diff), bins=HIST_EDGES)[0]
        p_ref, p_got = sigmoid(ref), sigmoid(got)
        for t in self.thresholds:
            flipped = (p_ref > np.float32(t)) != (p_got > np.float32(t))
            key = str(t)
            self.flips[key] = self.flips.get(key, 0) + int(flipped.sum())
            far = np.abs(p_ref - np.float32(t)) > self.flip_margin
            self.flips_beyond_margin[key] = self.flips_beyond_margin.get(key, 0) + int((flipped & far).sum())
            want, have = ref_entities[t], got_entities[t]
            self.ent_tp[key] = self.ent_tp.get(key, 0) + len(want & have)
            self.ent_fp[key] = self.ent_fp.get(key, 0) + len(have - want)
            self.ent_fn[key] = self.ent_fn.get(key, 0) + len(want - have)

    def finish(self) -> dict:
        ents = {}
        for t in self.thresholds:
            k = str(t)
            tp, fp, fn = self.ent_tp.get(k, 0), self.ent_fp.get(k, 0), self.ent_fn.get(k, 0)
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            ents[k] = {"precision": p, "recall": r, "f1": f1, "reference_entities": tp + fn, "candidate_entities": tp + fp}
        return {
            "items": self.items,
            "valid_spans": self.valid_spans,
            "decision_points": self.decision_points,
            "max_abs_diff": self.max_abs,
            "mean_abs_diff": self.sum_abs / self.decision_points if self.decision_points else 0.0,
            "max_abs_reference": self.max_ref,
            "relative_error": self.max_abs / self.max_ref if self.max_ref else 0.0,
            "nonfinite": self.nonfinite,
            "flips": dict(self.flips),
            "flip_rate": {k: v / self.decision_points for k, v in self.flips.items()} if self.decision_points else {},
            "flips_beyond_margin": dict(self.flips_beyond_margin),
            "flip_margin": self.flip_margin,
            "entities": ents,
            "abs_diff_log10_hist": {"edges": [str(e) for e in HIST_EDGES], "counts": self.hist.tolist()},
        }


@dataclass
class LabelStats:
    labels: int = 0
    truncated: int = 0
    max_abs: float = 0.0
    min_cosine: float = 1.0
    min_cosine_truncated: float | None = None
    nonfinite: int = 0

    def add(self, ref: np.ndarray, got: np.ndarray, truncated: np.ndarray) -> None:
        self.nonfinite += int(np.size(got) - np.isfinite(got).sum())
        cos = (ref * got).sum(-1) / np.maximum(np.linalg.norm(ref, axis=-1) * np.linalg.norm(got, axis=-1), 1e-12)
        cos = np.where(np.isfinite(cos), cos, -1.0)
        keep = ~truncated
        self.labels += int(keep.sum())
        self.truncated += int(truncated.sum())
        if keep.any():
            d = np.abs(got[keep] - ref[keep])
            self.max_abs = max(self.max_abs, float(np.where(np.isfinite(d), d, np.inf).max()))
            self.min_cosine = min(self.min_cosine, float(cos[keep].min()))
        if truncated.any():
            m = float(cos[truncated].min())
            self.min_cosine_truncated = m if self.min_cosine_truncated is None else min(self.min_cosine_truncated, m)

    def finish(self) -> dict:
        return asdict(self)
