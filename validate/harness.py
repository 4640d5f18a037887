"""Validates every artifact of a manifest against upstream: statistics, stage reached, verdict, per variant."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

from common.inputs import SPANS_INPUTS, as_dtypes, build_labels_inputs, input_dtypes
from common.manifest import ArtifactFile, Graph, Manifest
from common.tflite import sha256_file
from common.variants import LABEL_TOKENS, Component, Layout, Precision, Variant
from runtime.decoding import decode_spans
from upstream import adapter
from validate.reference import Reference, candidate_inputs, upstream_label_embeds, upstream_reference, valid_span_mask
from validate.stats import LabelStats, SpanStats
from validate.suite import SuiteItem, fill_texts, load_suite


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


class Interp:
    """One graph of a .tflite file, fed in the dtypes its manifest entry records, timed; a file's interpreter is
    shared by its signatures."""

    _open: dict[tuple[str, int | None], object] = {}

    def __init__(self, path: Path, num_threads: int | None, graph: Graph):
        from ai_edge_litert.interpreter import Interpreter

        key = (str(path), num_threads)
        if key not in Interp._open:
            Interp._open.clear()  # one file open at a time: a bundle's signatures are validated together
            Interp._open[key] = Interpreter(model_path=str(path), num_threads=num_threads)
        self.runner = Interp._open[key].get_signature_runner(graph.signature)
        # The builders make int32 arrays; a seed file records int64 and float32 (common/inputs.py). A file
        # that takes other dtypes than its record fails here, in LiteRT's type check.
        self.dtypes = {t.name: t.dtype for t in graph.inputs}
        self.times: list[float] = []

    def __call__(self, **arrays) -> np.ndarray:
        arrays = as_dtypes(arrays, self.dtypes)
        t = time.perf_counter()
        out = self.runner(**arrays)
        self.times.append((time.perf_counter() - t) * 1e3)
        return next(iter(out.values()))

    def timing(self) -> dict:
        if not self.times:
            return {}
        return {"calls": len(self.times), "median": statistics.median(self.times), "max": max(self.times)}


def _load(res: Result, path: Path, num_threads, graph: Graph) -> "Interp | None":
    """The graph's signature runner, or None with the failure recorded: any loader failure is this artifact's."""
    try:
        interp = Interp(path, num_threads, graph)
    except Exception as e:  # noqa: BLE001
        res.failures.append(f"LiteRT could not load it: {e}")
        return None
    res.stage = Stage.LOADED
    return interp


def entity_sets(logits: np.ndarray, num_words: int, labels, thresholds) -> dict:
    return {t: {(s, e, lab) for s, e, lab, _ in decode_spans(logits, num_words, list(labels), t)} for t in thresholds}


def build_cases(model, items: list[SuiteItem], thresholds) -> tuple[list[Case], list[str]]:
    cases, skipped = [], []
    for it in items:
        if not it.text.strip():
            skipped.append(it.id)  # upstream returns [] without running the model
            continue
        ref = upstream_reference(model, it.text, list(it.labels))
        w = ref.num_words
        cases.append(Case(it, ref, len(ref.input_ids), entity_sets(ref.logits[:w], w, it.labels, thresholds)))
    return cases, skipped


def suite_items(model, seq_lens: list[int], limit: int | None = None) -> list[SuiteItem]:
    """The bundled suite (its first `limit` items, if given) plus texts filling ~50% and ~95% of each bucket,
    counted in the model's tokens."""
    items = load_suite()[:limit]
    for s in sorted(seq_lens):
        items += fill_texts(lambda text: adapter.count_text_tokens(model, text), s)
    return items


def labels_variant(v: Variant) -> Variant:
    """The labels encoder whose embeddings an app feeds text graph `v`: the one of the same precision."""
    return Variant(Component.LABELS, v.precision)


def app_variants(v: Variant) -> list[Variant]:
    """The graphs an app runs with `v` whose outputs feed it, validated with it: the labels encoder for a
    text graph; the labels encoder and the prompts graph for a span graph."""
    if v.component is Component.TEXT:
        return [labels_variant(v)]
    if v.component is Component.SPANS:
        return [labels_variant(v), Variant(Component.PROMPTS, v.precision)]
    return []


def _check_file(res: Result, folder: Path, art: ArtifactFile) -> Path | None:
    path = folder / art.file
    if not path.is_file():
        res.failures.append(f"{art.file} is listed in manifest.json but missing; reconvert it")
        return None
    res.stage = Stage.FOUND
    if sha256_file(path) != art.sha256:
        res.failures.append(
            f"{art.file}: sha256 does not match manifest.json (file changed after conversion); refusing to run it"
        )
        return None
    res.stage = Stage.SHA_MATCHED
    return path


def _check_dtypes(res: Result, graph: Graph) -> None:
    """The graph's recorded input dtypes against its layout's contract (common/inputs.py): a seed file that
    took int32 would break every app written against the seed card, whatever its numbers."""
    want = input_dtypes(res.variant.component, res.layout)
    got = {t.name: t.dtype for t in graph.inputs}
    res.judged.append(f"input dtypes of the {res.layout.value} contract")
    if got != want:
        differ = [f"{n} {got.get(n, 'absent')} (contract: {want.get(n, 'absent')})"
                  for n in dict.fromkeys([*want, *got]) if got.get(n) != want.get(n)]
        res.failures.append(f"inputs differ from the {res.layout.value} contract: {'; '.join(differ)}; reconvert "
                            "with `python -m convert ... --force`")


def _judge_labels(res: Result, stats: dict) -> None:
    tol = res.variant.precision.tolerance
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
    tol = res.variant.precision.tolerance
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


def validate_labels(model, res: Result, path: Path, graph: Graph, labels: list[str], num_threads) -> np.ndarray | None:
    """Returns the .tflite label embeddings (label order) for the text graphs' path (a). The 25-row graph and
    the bulk one are judged alike, each fed its own row count."""
    tok = adapter.labels_tokenizer(model)
    ref = upstream_label_embeds(model, labels).numpy()
    encs = [tok(lab)["input_ids"] for lab in labels]
    # Upstream encodes a label of any length; the [max_types, 32] graph cuts it, so those are reported apart.
    truncated = np.array([len(e) > LABEL_TOKENS for e in encs])
    interp = _load(res, path, num_threads, graph)
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


def validate_prompts(model, res: Result, path: Path, graph: Graph, labels: list[str], num_threads):
    """The prompts graph against upstream's prompt_rep on upstream's label embeddings. Returns a function
    embeddings -> .tflite prompts for the span graphs' app path, or None if the graph failed to run."""
    ref_emb = upstream_label_embeds(model, labels).numpy()
    ref = upstream_prompts(model, ref_emb)
    interp = _load(res, path, num_threads, graph)
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
    return lambda embeds: _run_prompts(Interp(path, num_threads, graph), embeds, rows)


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
                   unjudged: dict[str, str] | None = None) -> None:
    """The labels-independent text graph: its span representations scored on the host (float32 matmul, as
    the runtime does) against the prompts graph's prompts (upstream's prompt_rep where it failed) of (a)
    upstream's label embeddings (the text side alone, as the logits graph's path (a) runs its own prompt MLP)
    and (b) the labels encoder's, both .tflite of this precision (what an app runs), then judged as a text
    graph's logits are."""
    v = res.variant
    k = adapter.config(model).max_width
    interp = _load(res, path, num_threads, graph)
    if interp is None:
        return
    tol = v.precision.tolerance
    margin = tol.flip_margin if tol.flip_margin is not None else 1e-5
    paths = {"upstream_labels": SpanStats(tuple(thresholds), margin)}
    app = tflite_label_embeds is not None and tflite_prompts is not None
    if app:
        paths["tflite_labels"] = SpanStats(tuple(thresholds), margin)
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
        if app:
            emb = [tflite_label_embeds.get(lab) for lab in case.item.labels]
            if any(e is None for e in emb):
                skipped_truncated += 1
            else:
                prompts["tflite_labels"] = tflite_prompts(np.stack(emb))
        for name, p in prompts.items():
            logits = out[0, :w] @ p.T  # [w, K, c]: upstream's einsum "BLKD,BCD->BLKC"
            paths[name].add(want, logits[valid], case.entities, entity_sets(logits, w, case.item.labels, thresholds))
    _finish_text(res, paths, skipped_truncated, interp, judge_entities, unjudged)


def validate_text(model, res: Result, path: Path, graph: Graph, cases: list[Case], thresholds,
                  tflite_label_embeds: dict | None, num_threads, judge_entities: bool,
                  unjudged: dict[str, str] | None = None) -> None:
    """Runs the text graph on every case that fits it, fed (a) upstream's label embeddings (the graph alone)
    and (b) the labels-encoder .tflite's of the same precision (what an app runs), when given; `unjudged`
    names a path that should have run and could not, with the reason."""
    v = res.variant
    k, per_call = adapter.config(model).max_width, adapter.config(model).max_types
    interp = _load(res, path, num_threads, graph)
    if interp is None:
        return
    tol = v.precision.tolerance
    margin = tol.flip_margin if tol.flip_margin is not None else 1e-5
    paths = {"upstream_labels": SpanStats(tuple(thresholds), margin)}
    if tflite_label_embeds is not None:
        paths["tflite_labels"] = SpanStats(tuple(thresholds), margin)
    skipped_truncated = 0
    limit = min(v.seq_len, graph.max_valid_tokens)
    shape_ok = True
    for case in cases:
        if case.num_tokens > limit or case.ref.num_words > v.seq_len:
            continue
        w, c = case.ref.num_words, len(case.item.labels)
        valid = valid_span_mask(w, k)
        want = case.ref.logits[:w, :, :c][valid]
        feeds = {"upstream_labels": None}
        if tflite_label_embeds is not None:
            emb = [tflite_label_embeds.get(lab) for lab in case.item.labels]
            if any(e is None for e in emb):
                skipped_truncated += 1
            else:
                feeds["tflite_labels"] = np.stack(emb)
        for name, emb in feeds.items():
            emb = case.ref.labels_embeds if emb is None else emb
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


def same_as_seed_file(res: Result, folder: Path, bundle_graph: Graph, file_art: ArtifactFile, file_graph: Graph,
                      bundle_path: Path, model, cases: list[Case], num_threads) -> None:
    """A bundle signature must equal the seed-named file of the same graph bit for bit on the same inputs."""
    other = folder / file_art.file
    if sha256_file(other) != file_art.sha256:
        res.failures.append(f"cannot compare with {file_art.file}: its sha256 does not match manifest.json")
        return
    v = res.variant
    if v.component is Component.LABELS:
        tok = adapter.labels_tokenizer(model)
        per_call = adapter.config(model).max_types
        labels = list(dict.fromkeys(lab for c in cases for lab in c.item.labels))[:per_call] or ["person"]
        feeds = build_labels_inputs([tok(lab)["input_ids"] for lab in labels], tok("")["input_ids"], per_call)
    else:
        fit = [c for c in cases if c.num_tokens <= min(v.seq_len, file_graph.max_valid_tokens)
               and c.ref.num_words <= v.seq_len]
        if not fit:
            res.failures.append("no suite input fits this bucket, so it was not compared with its seed file")
            return
        cfg = adapter.config(model)
        ref = fit[-1].ref
        feeds = candidate_inputs(ref, v.seq_len, cfg.max_width, cfg.max_types, ref.labels_embeds[: cfg.max_types]).arrays
    got = Interp(bundle_path, num_threads, bundle_graph)(**feeds)
    want = Interp(other, num_threads, file_graph)(**feeds)
    res.judged.append(f"bit-identical to {file_art.file}")
    if got.shape != want.shape or not np.array_equal(got, want):
        diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("nan")
        res.failures.append(f"differs from {file_art.file} (max abs diff {diff:.3g}); both come from one fp32 graph")


def run(model, manifest: Manifest, folder: Path, thresholds=(0.3, 0.5), only: set[str] | None = None,
        num_threads: int | None = 2, judge_entities: bool = True, log=print,
        items: list[SuiteItem] | None = None, suite_limit: int | None = None) -> tuple[list[Result], dict]:
    """Validates every artifact listed (or those in `only`); never stops at the first failure.

    `items` replaces the bundled suite (tests use a small subset to keep their teeth cheap).
    """
    # Every graph of every file: a bundle's first (labels before text), then the seed-named files.
    targets = sorted(((a.layout, g.variant) for a, g in manifest.graphs()),
                     key=lambda lv: (list(Layout).index(lv[0]), lv[1].sort_key))
    if only:
        ids = {v.id_in(lay) for lay, v in targets}
        unknown = only - ids
        if unknown:
            raise ValueError(f"--only names graphs not in the manifest: {', '.join(sorted(unknown))} (choose from "
                             f"{', '.join(sorted(ids))})")
        # A text graph is judged with the labels encoder of its precision too (what an app runs): a run of the
        # text graph alone must not pass where the full run fails.
        added = {a.id_in(lay) for lay, v in targets if v.id_in(lay) in only for a in app_variants(v)}
        added = (added & ids) - only
        if added:
            log(f"also validating {', '.join(sorted(added))}: the text graphs are judged with its label embeddings")
        targets = [(lay, v) for lay, v in targets if v.id_in(lay) in only | added]
    variants = [v for _, v in targets]
    seq_lens = sorted({v.seq_len for v in variants if v.component.per_bucket})
    t0 = time.time()
    items = suite_items(model, seq_lens, suite_limit) if items is None else items
    cases, skipped = build_cases(model, items, thresholds)
    log(f"reference: {len(cases)} suite inputs through upstream in {time.time() - t0:.1f} s ({len(skipped)} empty skipped)")
    all_labels = list(dict.fromkeys(lab for c in cases for lab in c.item.labels))
    results: list[Result] = []
    label_embeds: dict[tuple[Precision, Layout], dict] = {}
    prompt_fns: dict[tuple[Precision, Layout], object] = {}  # the prompts graph, for the span graphs' app path
    checked: dict[str, Path | None] = {}  # file -> path once its sha256 matched (a bundle is hashed once)
    for layout, v in targets:
        art, graph = manifest.find(v, layout)
        res = Result(v, layout, art.file, art.bytes)
        t = time.time()
        if art.file not in checked:
            checked[art.file] = _check_file(res, folder, art)
        elif checked[art.file] is None:
            _check_file(res, folder, art)
        else:
            res.stage = Stage.SHA_MATCHED
        path = checked[art.file]
        if path is not None:
            _check_dtypes(res, graph)
            if v.component is Component.PROMPTS:
                fn = validate_prompts(model, res, path, graph, all_labels, num_threads)
                if fn is not None:
                    prompt_fns[v.precision, layout] = fn
            elif v.component is Component.LABELS_BULK:
                validate_labels(model, res, path, graph, all_labels, num_threads)
            elif v.component is Component.LABELS:
                got = validate_labels(model, res, path, graph, all_labels, num_threads)
                if got is not None:
                    tok = adapter.labels_tokenizer(model)
                    label_embeds[v.precision, layout] = {
                        lab: row for lab, row in zip(all_labels, got) if len(tok(lab)["input_ids"]) <= LABEL_TOKENS
                    }
            elif v.component is Component.SPANS:
                unjudged = {}
                missing = [a for a in app_variants(v) if manifest.find(a, layout) is None]
                if missing:
                    res.judged.append(f"tflite_labels path not run: the folder has no "
                                      f"{', '.join(a.id_in(layout) for a in missing)}")
                elif (v.precision, layout) not in label_embeds or (v.precision, layout) not in prompt_fns:
                    unjudged["tflite_labels"] = (f"{' or '.join(a.id_in(layout) for a in app_variants(v))} failed, "
                                                 "so the app path could not run")
                validate_spans(model, res, path, graph, cases, thresholds, label_embeds.get((v.precision, layout)),
                               prompt_fns.get((v.precision, layout)), num_threads, judge_entities, unjudged)
            else:
                lv = labels_variant(v)
                unjudged = {}
                if manifest.find(lv, layout) is None:
                    res.judged.append(f"tflite_labels path not run: the folder has no {lv.id_in(layout)}")
                elif (v.precision, layout) not in label_embeds:
                    unjudged["tflite_labels"] = f"{lv.id_in(layout)} failed, so the app path could not run"
                validate_text(model, res, path, graph, cases, thresholds, label_embeds.get((v.precision, layout)),
                              num_threads, judge_entities, unjudged)
            seed = manifest.find(v, Layout.FILES)
            if layout is Layout.BUNDLE and seed is not None and res.stage is not Stage.LISTED:
                same_as_seed_file(res, folder, graph, *seed, path, model, cases, num_threads)
                if res.failures and res.stage is Stage.WITHIN_TOLERANCE:
                    res.stage = Stage.SHAPES_MATCHED
        results.append(res)
        log(f"{'PASS' if res.passed else 'FAIL'} {res.row} ({res.stage.value}) in {time.time() - t:.1f} s"
            + "".join(f"\n    - {f}" for f in res.failures))
    meta = {"suite_items": len(items), "suite_limit": suite_limit, "suite_cases": len(cases),
            "suite_skipped_empty": skipped, "labels_validated": len(all_labels)}
    return results, meta
