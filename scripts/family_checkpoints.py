"""docs/FAMILY.md's table of public checkpoints: docs/family-checkpoints.json (what each checkpoint's card and docs
say it is, with sources) joined with the measured offline model of the same shape in docs/family.json.

Whether a checkpoint converts is not written by hand: it is upstream/architecture.py's verdict on a config with the
checkpoint's encoders and head, the check `python -m convert` runs before loading anything.
"""

from __future__ import annotations

from upstream.architecture import from_config, refusal


def config_of(c: dict) -> dict:
    """The gliner_config.json fields the architecture check reads, as the checkpoint's sources state them."""
    return {"encoder_config": {"model_type": c["text_model_type"]}, "labels_encoder": c["labels_encoder"],
            "labels_encoder_config": {"model_type": c["labels_model_type"]}, "span_mode": c.get("span_mode", "markerV0"),
            "post_fusion_schema": "l2l-l2t-t2t" if c["post_fusion"] else ""}


def verdict(c: dict) -> tuple[bool, str]:
    arch = from_config(config_of(c))
    return refusal(c["id"], arch) is None, "; ".join(arch.missing())


def _parity(m: dict) -> str:
    """fp32 text graph relative error and int8 entity F1 at the smallest bucket, from the member's validation rows."""
    rows = {r["variant"]: r for r in m.get("validation", [])}
    s = m["seq_lens"][0]
    fp = next((r for v, r in rows.items() if "fp32" in v and v.endswith(f"_seq{s}")), None)
    i8 = next((r for v, r in rows.items() if "int8" in v and v.endswith(f"_seq{s}")), None)
    parts = []
    if fp:
        parts.append(f"fp32 {fp['relative_error']:.1e}{'' if fp['passed'] else ' FAILED'}")
    if i8:
        f1 = i8.get("entity_f1_app_path", {}).get("0.5")
        parts.append(f"int8 F1 {f1:.3f}" if f1 is not None else "int8 –")
    return ", ".join(parts) or "–"


def section(doc: dict, members: dict[str, dict]) -> list[str]:
    """The Markdown lines of the public-checkpoints section."""
    L = ["## Public checkpoints", "",
         doc["about"], "",
         "Offline model: the measured member below with the same text and labels encoder shapes (random weights; "
         "the gliner hidden size is the member's, unconfirmed for most checkpoints). Parity: that member's text "
         "graph at its smallest bucket against upstream, fp32 max relative error and int8 entity F1 (random "
         "weights, reported, not judged).", "",
         "| checkpoint | text encoder | labels encoder | head | converts | offline model | fp32 / int8 bundle MB | "
         "parity (offline model) | unconfirmed |",
         "|---|---|---|---|---|---|---|---|---|"]
    for c in doc["checkpoints"]:
        ok, missing = verdict(c)
        m = members.get(c["offline_shape"] or "")
        if ok and m:
            files = m.get("files", {})
            sizes = " / ".join(f"{files[p]['bytes'] / 1e6:.0f}" if p in files else "–" for p in ("fp32", "int8"))
            tail = m["convert"].get("tail", "")
            converts = ("yes" if m["convert"]["exit_code"] == 0 else
                        "bundle refused before export (fp32 past a flatbuffer's 2 GiB); --layout files, not run here"
                        if "a .tflite flatbuffer can address" in tail else "conversion failed: see below")
            shape, parity = f"{c['offline_shape']}", _parity(m)
        else:
            converts = "yes" if ok else f"no: needs {missing}"
            shape, sizes, parity = (c["offline_shape"] or "–") + ("" if m or not c["offline_shape"] else " (not run)"), "–", "–"
        head = "token" if c.get("span_mode") == "token_level" else "span"
        L.append(f"| {c['id']} | {c['text_encoder']} ({c['text_model_type']}) | {c['labels_encoder']} | {head} | "
                 f"{converts} | {shape} | {sizes} | {parity} | {'; '.join(c['unconfirmed']) or '–'} |")
    L += ["", "Not listed: " + " ".join(doc["not_listed"]), ""]
    return L
