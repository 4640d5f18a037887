"""How a report.json result row is read by everything that renders one (report.md, the model card, docs/VALIDATION.md):
no torch, no LiteRT, so the card and the docs script stay light."""

from __future__ import annotations

# Graphs judged on vectors per label (labels encoders: embeddings; the prompts graph: prompt vectors), not on spans.
LABELS_SIDE = ("labels", "labels_bulk", "prompts")


def row_name(r: dict) -> str:
    """The row's graph: bundle/signature for a bundle (its rows share one file), else the file name."""
    return r["variant"] if r.get("layout") == "bundle" else r["file"]


def labels_side_stats(r: dict) -> dict | None:
    """The statistics of a labels-side row (validate.harness writes them under "labels" or "prompts"), or None for a
    text-side row; {} for a labels-side row that never got that far."""
    if r.get("component") not in LABELS_SIDE:
        return None
    st = r.get("stats", {})
    return st.get("labels") or st.get("prompts") or {}
