"""Runs the torch-free runtime on a list of texts and writes what it found: run on the host (x86) and under qemu
(aarch64) by validate/arm64.py, which compares the two. Imports only the runtime and the standard library.

    python validate/arm64_probe.py JOB.json OUT.json

JOB.json: {"artifacts", "precisions", "thresholds", "items": [{"id", "text", "labels"}], "cache_dir",
"num_threads"}. OUT.json: the machine, each precision's entities per item and threshold ([start, end, label,
score]), the weight-cache warnings, the modules the runtime imported (with their files), timings; OUT.npz beside
it holds each item's raw scores (logits, or span representations on the span path) for the numeric comparison.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from pathlib import Path


def _entities(m, text: str, labels: list[str], thresholds: list[float]):
    """The graphs run once per text, decoded at every threshold: predict_entities' own stages
    (runtime/model.py), so a threshold costs a decode, not an emulated graph call."""
    prepared = m.prepare(text)
    if m.uses_span_path(len(labels)):
        reps = [m.window_spans(prepared, w) for w in prepared.windows]
        prompts = m.label_prompts(m.encode_labels(labels))
        decode = lambda t: m.decode_window_spans(prepared, reps, prompts, labels, t)  # noqa: E731
        raw = reps
    else:
        embeds = m.encode_labels(labels)
        raw = [m.window_logits(m.build_calls(prepared, w, embeds)) for w in prepared.windows]
        decode = lambda t: m.decode(prepared, raw, labels, t)  # noqa: E731
    ents = {str(t): [[e["start"], e["end"], e["label"], float(e["score"])] for e in decode(t)] for t in thresholds}
    return ents, raw


def main(job_path: str, out_path: str) -> int:
    before = set(sys.modules)
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    import numpy as np

    from runtime import GLiNERLiteRT

    out = {"machine": platform.machine(), "python": platform.python_version(), "precisions": {}}
    arrays = {}
    for prec in job["precisions"]:
        t0 = time.perf_counter()
        caught_cm = warnings.catch_warnings(record=True)  # the weight cache's notes come when a file first opens
        caught = caught_cm.__enter__()
        warnings.simplefilter("always")
        m = GLiNERLiteRT.from_pretrained(job["artifacts"], prec, num_threads=job.get("num_threads"),
                                         cache_dir=job["cache_dir"])
        opened = time.perf_counter() - t0
        items, t1 = {}, time.perf_counter()
        for i, it in enumerate(job["items"]):
            ents, raw = _entities(m, it["text"], list(it["labels"]), job["thresholds"])
            if i == 0:
                # The stages above are predict_entities' own; the first text proves it on this machine.
                want = m.predict_entities(it["text"], list(it["labels"]), threshold=job["thresholds"][0])
                got = ents[str(job["thresholds"][0])]
                if [[e["start"], e["end"], e["label"], float(e["score"])] for e in want] != got:
                    raise SystemExit(f"{it['id']}: the stages decoded {got}, predict_entities {want}")
            items[it["id"]] = ents
            arrays[f"{prec}/{it['id']}"] = np.concatenate([np.asarray(r, np.float32).ravel() for r in raw]) \
                if raw else np.zeros(0, np.float32)
        caught_cm.__exit__(None, None, None)
        out["precisions"][prec] = {
            "items": items, "open_s": opened, "texts_s": time.perf_counter() - t1,
            "cache_warnings": [str(w.message) for w in caught],
            "cache_files": sorted(str(e.cache_file) for e in m.artifacts._engines.values() if e.cache_file),
        }
    new = sorted({k.split(".")[0] for k in set(sys.modules) - before})
    out["modules"] = {k: getattr(sys.modules.get(k), "__file__", None) for k in new}
    np.savez(Path(out_path).with_suffix(".npz"), **arrays)
    Path(out_path).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
