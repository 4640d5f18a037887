"""Each kind of graph run on the suite's inputs and judged against upstream: labels encoders, the prompts graph,
the span graphs and the logits graphs (validate.harness decides which run, in what order, with what)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from common.inputs import SPANS_INPUTS, as_dtypes, build_labels_inputs
from common.manifest import Graph
from common.variants import LABEL_TOKENS
from runtime.decoding import decode_spans
from upstream import adapter
from validate.reference import candidate_inputs, upstream_label_embeds, valid_span_mask
from validate.results import Case, Result, Stage
from validate.stats import LabelStats, SpanStats


class TimedGraph:
    """One graph fed in the dtypes its manifest entry records and timed per call; a backend supplies `_run`."""

    def __init__(self, graph: Graph):
        # The builders make int32 arrays; a seed file records int64 and float32 (common/inputs.py). A file
        # that takes other dtypes than its record fails in the backend's type check.
        self.signature = graph.signature
        self.dtypes = {t.name: t.dtype for t in graph.inputs}
        self.times: list[float] = []

    def _run(self, arrays: dict) -> dict:
        raise NotImplementedError

    def __call__(self, **arrays) -> np.ndarray:
        arrays = as_dtypes(arrays, self.dtypes)
        t = time.perf_counter()
        out = self._run(arrays)
        self.times.append((time.perf_counter() - t) * 1e3)
        return next(iter(out.values()))

    def timing(self) -> dict:
        if not self.times:
            return {}
        return {"calls": len(self.times), "median": statistics.median(self.times), "max": max(self.times)}


class Interp(TimedGraph):
    """One graph of a .tflite file on LiteRT's CPU interpreter; a file's interpreter is shared by its signatures."""

    _open: dict[tuple[str, int | None], object] = {}

    def __init__(self, path: Path, num_threads: int | None, graph: Graph):
        from ai_edge_litert.interpreter import Interpreter

        super().__init__(graph)
        key = (str(path), num_threads)
        if key not in Interp._open:
            Interp._open.clear()  # one file open at a time: a bundle's signatures are validated together
            Interp._open[key] = Interpreter(model_path=str(path), num_threads=num_threads)
        self.runner = Interp._open[key].get_signature_runner(graph.signature)

    def _run(self, arrays: dict) -> dict:
        return self.runner(**arrays)


def _load(res: Result, path: Path, num_threads, graph: Graph, opener=Interp) -> "Interp | None":
    """The graph's signature runner (`opener`: Interp, LiteRT's CPU interpreter, or another backend's, e.g.
    validate.gpu.Opener), or None with the failure recorded: any loader failure is this artifact's."""
    try:
        interp = opener(path, num_threads, graph)
    except Exception as e:  # noqa: BLE001
        res.failures.append(f"LiteRT could not load it: {e}")
        return None
    res.stage = Stage.LOADED
    return interp


def entity_sets(logits: np.ndarray, num_words: int, labels, thresholds) -> dict:
    return {t: {(s, e, lab) for s, e, lab, _ in decode_spans(logits, num_words, list(labels), t)} for t in thresholds}


def _judge_labels(res: Result, stats: dict) -> None:
    tol = res.tol
    if stats["labels"] == 0:
        res.failures.append("no label was validated")
    if stats["nonfinite"]:
        res.failures.append(f"{stats['nonfinite']} NaN/Inf values in labels_embeds")
    if tol.max_rel_error is not None:
        rel = stats["relative_error"]
        res.judged.append(f"relative error <= {tol.max_rel_error:g}")
        if not rel <= tol.max_rel_error:
            res.failures.append(f"labels_embeds relative error {rel:.3g} > {tol.max_rel_error:g}")
    if tol.min_label_cosine is not None:
        res.judged.append(f"min cosine >= {tol.min_label_cosine:g}")
        if not stats["min_cosine"] >= tol.min_label_cosine:
            res.failures.append(f"labels_embeds min cosine {stats['min_cosine']:.6f} < {tol.min_label_cosine:g}")


def _judge_text(res: Result, path_stats: dict, judge_entities: bool, unjudged: dict[str, str]) -> None:
    """Judges each path of a text graph against its precision's tolerance.

    A path the verdict needs that did not run, or ran on nothing (`unjudged`, no inputs, no reference entity
    at a threshold), is a failure saying "not judged": a row never passes on a check that was not made.
    """
    tol = res.tol
    for name, why in unjudged.items():
        res.failures.append(f"[{name}] not judged: {why}")
    judge_f1 = tol.min_entity_f1 is not None and judge_entities
    for name, st in path_stats.items():
        if st["items"] == 0:
            res.failures.append(f"[{name}] not judged: no suite input ran on this path (none fits this bucket)")
            continue
        if st["nonfinite"]:
            res.failures.append(f"[{name}] {st['nonfinite']} NaN/Inf logits")
        if tol.max_rel_error is not None:
            if not st["relative_error"] <= tol.max_rel_error:
                res.failures.append(f"[{name}] relative error {st['relative_error']:.3g} > {tol.max_rel_error:g}")
        if tol.flip_margin is not None:
            for t, n in st["flips_beyond_margin"].items():
                if n:
                    res.failures.append(f"[{name}] {n} decision flips at {t} with the reference > {tol.flip_margin:g} away")
        if judge_f1:
            for t, e in st["entities"].items():
                if e["reference_entities"] == 0:
                    res.failures.append(f"[{name}] entity F1 at {t} not judged: upstream found no entity in these "
                                        "inputs; run more of the suite (drop --suite-limit)")
                elif not e["f1"] >= tol.min_entity_f1:
                    res.failures.append(f"[{name}] entity F1 {e['f1']:.4f} at {t} < {tol.min_entity_f1:g}")
    ran = [name for name, st in path_stats.items() if st["items"]]
    on = f" ({', '.join(ran) or 'no path ran'})"
    if tol.max_rel_error is not None:
        res.judged.append(f"relative error <= {tol.max_rel_error:g}{on}")
    if tol.flip_margin is not None:
        res.judged.append(f"no flips beyond {tol.flip_margin:g} of a threshold{on}")
    if tol.min_entity_f1 is not None:
        res.judged.append(f"entity F1 >= {tol.min_entity_f1:g}{on}" if judge_f1
                          else "entity F1 reported, not judged (--random-weights)")


def validate_labels(model, res: Result, path: Path, graph: Graph, labels: list[str], num_threads,
                    opener=Interp) -> np.ndarray | None:
    """Returns the .tflite label embeddings (label order) for the text graphs' path (a). The 25-row graph and
    the bulk one are judged alike, each fed its own row count."""
    tok = adapter.labels_tokenizer(model)
    ref = upstream_label_embeds(model, labels).numpy()
    encs = [tok(lab)["input_ids"] for lab in labels]
    # Upstream encodes a label of any length; the [max_types, 32] graph cuts it, so those are reported apart.
    truncated = np.array([len(e) > LABEL_TOKENS for e in encs])
    interp = _load(res, path, num_threads, graph, opener)
    if interp is None:
        return None
    empty = tok("")["input_ids"]
    rows = res.variant.component.label_rows(adapter.config(model).max_types)
    got = []
    for i in range(0, len(labels), rows):
        chunk = encs[i : i + rows]
        out = interp(**build_labels_inputs(chunk, empty, rows))
        got.append(out[: len(chunk)])
    res.stage = Stage.RAN
    got = np.concatenate(got)
    if got.shape != ref.shape:
        res.failures.append(f"labels_embeds shape {got.shape} != upstream {ref.shape}")
        return None
    res.stage = Stage.SHAPES_MATCHED
    st = LabelStats()
    st.add(ref, got, truncated)
    stats = st.finish()
    keep = ~truncated
    stats["relative_error"] = stats["max_abs"] / float(np.abs(ref[keep]).max()) if keep.any() else 0.0
    res.stats = {"labels": stats}
    res.timing_ms = interp.timing()
    _judge_labels(res, stats)
    if not res.failures:
        res.stage = Stage.WITHIN_TOLERANCE
    return got


def _run_prompts(interp, embeds: np.ndarray, rows: int) -> np.ndarray:
    out = []
    for i in range(0, len(embeds), rows):
        feed = np.zeros((rows, embeds.shape[1]), np.float32)
        feed[: len(embeds[i : i + rows])] = embeds[i : i + rows]
        out.append(interp(labels_embeds=feed)[: len(embeds[i : i + rows])])
    return np.concatenate(out)


def upstream_prompts(model, embeds: np.ndarray) -> np.ndarray:
    """upstream's prompt_rep_layer on label embeddings (BiEncoderSpanModel.forward, before the einsum)."""
    import torch

    with torch.no_grad():
        return adapter.prompt_rep(model)(torch.from_numpy(np.asarray(embeds, np.float32))).numpy()


def validate_prompts(model, res: Result, path: Path, graph: Graph, labels: list[str], num_threads, opener=Interp):
    """The prompts graph against upstream's prompt_rep on upstream's label embeddings. Returns a function
    embeddings -> .tflite prompts for the span graphs' app path, or None if the graph failed to run."""
    ref_emb = upstream_label_embeds(model, labels).numpy()
    ref = upstream_prompts(model, ref_emb)
    interp = _load(res, path, num_threads, graph, opener)
    if interp is None:
        return None
    rows = res.variant.component.label_rows(adapter.config(model).max_types)
    got = _run_prompts(interp, ref_emb, rows)
    res.stage = Stage.RAN
    if got.shape != ref.shape:
        res.failures.append(f"prompts shape {got.shape} != upstream {ref.shape}")
        return None
    res.stage = Stage.SHAPES_MATCHED
    st = LabelStats()
    st.add(ref, got, np.zeros(len(labels), bool))
    stats = st.finish()
    stats["relative_error"] = stats["max_abs"] / float(np.abs(ref).max())
    res.stats = {"prompts": stats}
    res.timing_ms = interp.timing()
    _judge_labels(res, stats)
    if not res.failures:
        res.stage = Stage.WITHIN_TOLERANCE
    return lambda embeds: _run_prompts(opener(path, num_threads, graph), embeds, rows)


def _finish_text(res: Result, paths: dict, skipped_truncated: int, interp: Interp, judge_entities: bool,
                 unjudged: dict[str, str] | None) -> None:
    """A text-side graph's (logits or span graph) statistics, timing and verdict, once its cases have run."""
    if res.stage is Stage.RAN:
        res.stage = Stage.SHAPES_MATCHED
    res.stats = {name: st.finish() for name, st in paths.items()}
    res.stats["items_skipped_truncated_labels"] = skipped_truncated
    res.timing_ms = interp.timing()
    _judge_text(res, {n: res.stats[n] for n in paths}, judge_entities, unjudged or {})
    if res.stage is Stage.SHAPES_MATCHED and not res.failures:
        res.stage = Stage.WITHIN_TOLERANCE


def validate_spans(model, res: Result, path: Path, graph: Graph, cases: list[Case], thresholds,
                   tflite_label_embeds: dict | None, tflite_prompts, num_threads, judge_entities: bool,
                   unjudged: dict[str, str] | None = None, opener=Interp) -> None:
    """The labels-independent text graph: its span representations scored on the host (float32 matmul, as
    the runtime does) against the prompts graph's prompts (upstream's prompt_rep where it failed) of (a)
    upstream's label embeddings (the text side alone, as the logits graph's path (a) runs its own prompt MLP)
    and (b) the labels encoder's, both .tflite of this precision (what an app runs), then judged as a text
    graph's logits are."""
    v = res.variant
    k = adapter.config(model).max_width
    interp = _load(res, path, num_threads, graph, opener)
    if interp is None:
        return
    app_embeds = tflite_label_embeds if tflite_prompts is not None else None
    paths = text_paths(res, thresholds, app_embeds)
    skipped_truncated = 0
    limit = min(v.seq_len, graph.max_valid_tokens)
    want_shape = (1, v.seq_len, k, adapter.config(model).hidden_size)
    for case in cases:
        if case.num_tokens > limit or case.ref.num_words > v.seq_len:
            continue
        w, c = case.ref.num_words, len(case.item.labels)
        valid = valid_span_mask(w, k)
        want = case.ref.logits[:w, :, :c][valid]
        # The span graph takes no labels: the builder's word-level arrays, fed no label rows.
        arrays = candidate_inputs(case.ref, v.seq_len, k, adapter.config(model).max_types,
                                  np.zeros((0, 1), np.float32)).arrays
        out = interp(**{n: arrays[n] for n in SPANS_INPUTS})
        res.stage = max(res.stage, Stage.RAN, key=list(Stage).index)
        if out.shape != want_shape:
            res.failures.append(f"span_reps shape {out.shape} != {want_shape}")
            return
        # Path (a) feeds upstream's label embeddings to this precision's prompts graph where the folder has one,
        # as the logits graph's path (a) feeds them to its own prompt MLP: the labels encoder is what it isolates.
        ref_emb = case.ref.labels_embeds[:c]
        prompts = {"upstream_labels": upstream_prompts(model, ref_emb) if tflite_prompts is None
                   else tflite_prompts(ref_emb)}
        feeds, missing = label_feeds(case, app_embeds)
        skipped_truncated += missing
        if "tflite_labels" in feeds:
            prompts["tflite_labels"] = tflite_prompts(feeds["tflite_labels"])
        for name, p in prompts.items():
            logits = out[0, :w] @ p.T  # [w, K, c]: upstream's einsum "BLKD,BCD->BLKC"
            paths[name].add(want, logits[valid], case.entities, entity_sets(logits, w, case.item.labels, thresholds))
    _finish_text(res, paths, skipped_truncated, interp, judge_entities, unjudged)


def text_paths(res: Result, thresholds, tflite_label_embeds: dict | None) -> dict[str, SpanStats]:
    """The statistics a text graph (span or token) keeps per path: upstream's label embeddings, and the labels
    encoder .tflite's when given; flips counted outside the precision's margin."""
    margin = res.tol.flip_margin if res.tol.flip_margin is not None else 1e-5
    paths = {"upstream_labels": SpanStats(tuple(thresholds), margin)}
    if tflite_label_embeds is not None:
        paths["tflite_labels"] = SpanStats(tuple(thresholds), margin)
    return paths


def label_feeds(case: Case, tflite_label_embeds: dict | None) -> tuple[dict[str, np.ndarray], int]:
    """The label embeddings a text graph is fed for one case, per path, and 1 if the .tflite path had to be skipped
    (a label the labels encoder's run truncated away has no embedding)."""
    feeds = {"upstream_labels": case.ref.labels_embeds}
    if tflite_label_embeds is None:
        return feeds, 0
    emb = [tflite_label_embeds.get(lab) for lab in case.item.labels]
    if any(e is None for e in emb):
        return feeds, 1
    feeds["tflite_labels"] = np.stack(emb)
    return feeds, 0


def validate_text(model, res: Result, path: Path, graph: Graph, cases: list[Case], thresholds,
                  tflite_label_embeds: dict | None, num_threads, judge_entities: bool,
                  unjudged: dict[str, str] | None = None, opener=Interp) -> None:
    """Runs the text graph on every case that fits it, fed (a) upstream's label embeddings (the graph alone)
    and (b) the labels-encoder .tflite's of the same precision (what an app runs), when given; `unjudged`
    names a path that should have run and could not, with the reason."""
    v = res.variant
    k, per_call = adapter.config(model).max_width, adapter.config(model).max_types
    interp = _load(res, path, num_threads, graph, opener)
    if interp is None:
        return
    paths = text_paths(res, thresholds, tflite_label_embeds)
    skipped_truncated = 0
    limit = min(v.seq_len, graph.max_valid_tokens)
    shape_ok = True
    for case in cases:
        if case.num_tokens > limit or case.ref.num_words > v.seq_len:
            continue
        w, c = case.ref.num_words, len(case.item.labels)
        valid = valid_span_mask(w, k)
        want = case.ref.logits[:w, :, :c][valid]
        feeds, missing = label_feeds(case, tflite_label_embeds)
        skipped_truncated += missing
        for name, emb in feeds.items():
            parts = []
            # More labels than the graph's max_types columns run in groups, as the runtime does.
            for g in range(0, c, per_call):
                out = interp(**candidate_inputs(case.ref, v.seq_len, k, per_call, emb[g : g + per_call]).arrays)
                res.stage = max(res.stage, Stage.RAN, key=list(Stage).index)
                if out.shape != (1, v.seq_len, k, per_call):
                    shape_ok = False
                    res.failures.append(f"logits shape {out.shape} != {(1, v.seq_len, k, per_call)}")
                    break
                parts.append(out[0, :w, :, : min(per_call, c - g)])
            if not shape_ok:
                break
            logits = np.concatenate(parts, axis=-1)
            paths[name].add(want, logits[valid], case.entities, entity_sets(logits, w, case.item.labels, thresholds))
        if not shape_ok:
            return
    _finish_text(res, paths, skipped_truncated, interp, judge_entities, unjudged)
