"""Validates every artifact of a manifest against upstream: which graphs run, in what order, fed what; each graph's
run and verdict is validate.graphs', the result rows validate.results'."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from common.inputs import build_labels_inputs, input_dtypes
from common.manifest import ArtifactFile, Graph, Manifest
from common.tflite import sha256_file
from common.variants import LABEL_TOKENS, TOKEN_LEVEL, Component, Layout, Precision, Variant
from upstream import adapter
from validate.graphs import Interp, entity_sets, validate_labels, validate_prompts, validate_spans, validate_text
from validate.reference import candidate_inputs, upstream_reference
from validate.results import Case, Result, Stage  # noqa: F401 - Result and Stage are the harness's vocabulary
from validate.suite import SuiteItem, fill_texts, load_suite
from validate.tokens import token_entity_sets, validate_tokens


def build_cases(model, items: list[SuiteItem], thresholds) -> tuple[list[Case], list[str]]:
    cases, skipped = [], []
    for it in items:
        if not it.text.strip():
            skipped.append(it.id)  # upstream returns [] without running the model
            continue
        ref = upstream_reference(model, it.text, list(it.labels))
        w = ref.num_words
        decode = token_entity_sets if adapter.config(model).span_mode == TOKEN_LEVEL else entity_sets
        cases.append(Case(it, ref, len(ref.input_ids), decode(ref.logits[:w], w, it.labels, thresholds)))
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
    if v.component in (Component.TEXT, Component.TOKENS):
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
        items: list[SuiteItem] | None = None, suite_limit: int | None = None, opener=Interp,
        tolerance=None) -> tuple[list[Result], dict]:
    """Validates every artifact listed (or those in `only`); never stops at the first failure.

    `items` replaces the bundled suite (tests use a small subset to keep their teeth cheap). `opener` opens a
    graph for running (default: LiteRT's CPU interpreter; validate.gpu passes the GPU's) and `tolerance`, if given,
    replaces every row's precision's tolerance (the GPU's fp16 setting).
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
        res = Result(v, layout, art.file, art.bytes, tolerance=tolerance)
        t = time.time()
        if art.file not in checked:
            checked[art.file] = _check_file(res, folder, art)
        elif checked[art.file] is None:
            _check_file(res, folder, art)
        else:
            res.stage = Stage.SHA_MATCHED
        path = checked[art.file]
        if path is not None:
            try:
                _check_dtypes(res, graph)
                if v.component is Component.PROMPTS:
                    fn = validate_prompts(model, res, path, graph, all_labels, num_threads, opener)
                    if fn is not None:
                        prompt_fns[v.precision, layout] = fn
                elif v.component is Component.LABELS_BULK:
                    validate_labels(model, res, path, graph, all_labels, num_threads, opener)
                elif v.component is Component.LABELS:
                    got = validate_labels(model, res, path, graph, all_labels, num_threads, opener)
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
                                   prompt_fns.get((v.precision, layout)), num_threads, judge_entities, unjudged, opener)
                else:
                    lv = labels_variant(v)
                    unjudged = {}
                    if manifest.find(lv, layout) is None:
                        res.judged.append(f"tflite_labels path not run: the folder has no {lv.id_in(layout)}")
                    elif (v.precision, layout) not in label_embeds:
                        unjudged["tflite_labels"] = f"{lv.id_in(layout)} failed, so the app path could not run"
                    check = validate_tokens if v.component is Component.TOKENS else validate_text
                    check(model, res, path, graph, cases, thresholds, label_embeds.get((v.precision, layout)),
                          num_threads, judge_entities, unjudged, opener)
            except RuntimeError as e:
                # A backend that fails mid-run (validate.gpu: the GPU process crashed) fails this row; the rest run.
                res.failures.append(f"LiteRT failed while running it: {e}")
                if res.stage is Stage.WITHIN_TOLERANCE:
                    res.stage = Stage.SHAPES_MATCHED
            seed = manifest.find(v, Layout.FILES)
            if layout is Layout.BUNDLE and seed is not None and res.stage is not Stage.LISTED and opener is Interp:
                same_as_seed_file(res, folder, graph, *seed, path, model, cases, num_threads)
                if res.failures and res.stage is Stage.WITHIN_TOLERANCE:
                    res.stage = Stage.SHAPES_MATCHED
        results.append(res)
        log(f"{'PASS' if res.passed else 'FAIL'} {res.row} ({res.stage.value}) in {time.time() - t:.1f} s"
            + "".join(f"\n    - {f}" for f in res.failures))
    meta = {"suite_items": len(items), "suite_limit": suite_limit, "suite_cases": len(cases),
            "suite_skipped_empty": skipped, "labels_validated": len(all_labels)}
    return results, meta
