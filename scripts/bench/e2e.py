"""End to end: GLiNERLiteRT.predict_entities per text size, and the runtime's own public stages timed one by one."""

from __future__ import annotations

import time

from scripts.bench.schema import STAGES
from scripts.bench.texts import first_words, suite_texts
from scripts.bench.timing import log_start, report, summarize, time_calls

THRESHOLD = 0.5


def staged_predict(rt, text: str, labels: list[str]) -> tuple[dict, list[dict]]:
    """predict_entities as its stages, each timed: seconds per stage (schema.STAGES) and the entities.

    The labels are encoded twice: once after clearing the runtime's cache (what new labels cost), then as the
    cache hit that predict_entities sees with fixed labels.
    """
    clock = time.perf_counter
    t0 = clock()
    prepared = rt.prepare(text)
    t1 = clock()
    rt.clear_label_cache()
    rt.encode_labels(labels)
    t2 = clock()
    embeds = rt.encode_labels(labels)
    t3 = clock()
    if _span_path(rt, len(labels)):
        # The span path: inputs = the label prompts (cached with the labels), text graph = the span graph,
        # decode = host scoring of every label + upstream's decoding.
        prompts = rt.label_prompts(embeds)
        t4 = clock()
        reps = [rt.window_spans(prepared, w) for w in prepared.windows]
        t5 = clock()
        entities = rt.decode_window_spans(prepared, reps, prompts, labels, threshold=THRESHOLD)
        t6 = clock()
        return dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5))), entities
    calls = [rt.build_calls(prepared, w, embeds) for w in prepared.windows]
    t4 = clock()
    logits = [rt.window_logits(c) for c in calls]
    t5 = clock()
    entities = rt.decode(prepared, logits, labels, threshold=THRESHOLD)
    t6 = clock()
    return dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5))), entities


def _span_path(rt, num_labels: int) -> bool:
    """Whether predict_entities takes the span path for this many labels (older runtimes: never)."""
    uses = getattr(rt, "uses_span_path", None)
    return bool(uses(num_labels)) if uses is not None else False


def same_entities(a: list[dict], b: list[dict]) -> bool:
    key = lambda e: (e["start"], e["end"], e["label"])  # noqa: E731
    return [key(x) for x in a] == [key(x) for x in b] and all(
        abs(x["score"] - y["score"]) <= 1e-6 for x, y in zip(a, b)
    )


def bench_end_to_end(ctx, precisions: list[str], labels: list[str]) -> dict:
    """predict_entities latency per text size, precision and thread count, with the per-stage split."""
    from runtime.model import GLiNERLiteRT
    from runtime.words import split_words

    pool = " ".join(suite_texts())
    texts = {n: first_words(split_words, pool, n) for n in ctx.e2e_words}
    rows, skipped, span_path = [], [], False
    for prec in precisions:
        for threads in ctx.threads:
            rt = GLiNERLiteRT.from_pretrained(str(ctx.artifacts), precision=prec, num_threads=threads)
            embeds = rt.encode_labels(labels)  # the cached-labels path: what an app with fixed labels sees
            span_path = _span_path(rt, len(labels))
            for n, text in texts.items():
                prepared = rt.prepare(text)
                calls = [c for w in prepared.windows for c in rt.build_calls(prepared, w, embeds)]
                seqs = sorted({c.bucket.variant.seq_len for c in calls})
                if ctx.e2e_max_seq_len is not None and max(seqs) > ctx.e2e_max_seq_len:
                    skipped.append(
                        f"{n} words ({prec}, {threads} thread(s)): needs bucket {max(seqs)} > {ctx.e2e_max_seq_len} "
                        "(--max-seq-len / --quick)"
                    )
                    continue
                tokens = len(rt.text_tokenizer.encode(prepared.words, is_pretokenized=True).ids)
                windows = len(prepared.windows)
                log_start(f"e2e {prec} {threads}t {n} words ({tokens} tokens, {windows} window(s))")
                row = {
                    "precision": prec,
                    "threads": threads,
                    "target_words": n,
                    "words": prepared.num_words,
                    "tokens": tokens,
                    "windows": windows,
                    "buckets": seqs,
                }
                timings = _e2e_timings(ctx, rt, text, labels)
                report(timings["total"])
                rows.append(row | timings)
            del rt
    # stages_of: these stages are the runtime's own (schema-1 files without it timed a copy of the pipeline).
    # "runtime-spans": the stages of the span path (one text pass for any number of labels, scored on the host).
    return {"available": True, "note": None, "stages_of": "runtime-spans" if span_path else "runtime", "labels": labels,
            "rows": rows, "skipped": skipped}


def _e2e_timings(ctx, rt, text: str, labels: list[str]) -> dict:
    """predict_entities' latency, then its stages', and whether both found the same entities."""
    last = {}

    def predict():
        last["entities"] = rt.predict_entities(text, labels, threshold=THRESHOLD)

    total = summarize(time_calls(predict, ctx.e2e_runs, ctx.warmup))
    per_stage: dict[str, list[float]] = {s: [] for s in STAGES}
    staged: list[dict] = []
    for i in range(ctx.warmup + ctx.e2e_runs):
        seconds, staged = staged_predict(rt, text, labels)
        if i >= ctx.warmup:
            for s in STAGES:
                per_stage[s].append(seconds[s])
    stages = {s: summarize(v) for s, v in per_stage.items()}
    return {
        "total": total,
        "stages": stages,
        # labels_cold is what a call with new labels adds; predict_entities here runs with cached labels
        "stages_sum_ms": sum(v["median_ms"] for k, v in stages.items() if k != "labels_cold"),
        "entities": len(last["entities"]),
        "entities_match": same_entities(staged, last["entities"]),
    }
