"""Plans and runs a conversion: one artifact at a time, atomic, resumable after any kill, a manifest entry per file."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import manifest as mf
from common.files import (
    TempJournal, atomic_write_bytes, building_dir, publish_file, temp_dir, temp_file, writable_dir,
)
from common.inputs import input_dtypes
from common.machine import tool_versions
from common.memory import peak_rss_bytes, reset_peak_rss
from common.tflite import non_builtin_ops, sha256_file, signatures_io
from common.variants import LABEL_TOKENS, SEQ_LEN_STEP, Component, Layout, Precision, Variant
from convert.plan import FilePlan
from upstream import adapter
from upstream.source import Source, SourceError

ROOT = Path(__file__).resolve().parent.parent


def graph_code(root: Path = ROOT) -> list[Path]:
    """The code that shapes a graph: the wrappers, the export and quantization code, the adapter over gliner
    and the input contract. Not common/variants.py: its tolerances and their prose change no graph (a
    precision's recipe name is part of the key on its own)."""
    return sorted([*root.glob("wrappers/*.py"), root / "convert" / "export.py", root / "upstream" / "adapter.py",
                   root / "common" / "inputs.py"])


GRAPH_CODE = graph_code()
# The tools whose upgrade can change a graph: an artifact made with other versions is stale.
GRAPH_TOOLS = ("torch", "litert-torch", "ai-edge-quantizer", "ai-edge-litert", "gliner", "transformers")


@dataclass
class Options:
    fuse_span_head: bool = True
    lightweight: bool = True
    force: bool = False
    log: callable = field(default=print)


def code_version(root: Path = ROOT) -> str:
    """A digest of `graph_code(root)`: names and bytes."""
    h = hashlib.sha256()
    for f in graph_code(root):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def artifact_key(source: Source, plan: FilePlan, opts: Options, code: str, tools: dict[str, str]) -> str:
    """What a file depends on: source weights and config, its graphs and layout, graph code, recipe, options,
    tool versions."""
    blob = json.dumps(
        # The config shapes the graph too (max_width, the encoder configs): same weights, other config = other graph.
        {"weights": source.weights_sha256, "config": source.config, "code": code, "file": plan.file,
         "layout": plan.layout.value, "variants": [str(v) for v in plan.variants], "recipe": plan.precision.recipe,
         "fuse_span_head": opts.fuse_span_head, "lightweight": opts.lightweight,
         "tools": {k: tools.get(k) for k in GRAPH_TOOLS}},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def max_valid_tokens(model, variant: Variant) -> int:
    """Tokens a variant may be fed: its S, capped by the text encoder's trained positions (7999 for ettin)."""
    if not variant.component.per_bucket:
        return LABEL_TOKENS
    return int(min(variant.seq_len, adapter.max_position_tokens(model)))


def fit_seq_lens(model, seq_lens, explicit: bool, log=print) -> list[int]:
    """The buckets worth converting for this model: none above the first that holds its whole position range
    (adapter.max_position_tokens: DeBERTa-v3's 512, ettin's 7999). A larger graph would only ever be fed that
    many tokens (max_valid_tokens), at its own cost in time and file size; the runtime windows longer texts.
    Asked for by --seq-lens: refused, naming the largest useful bucket; from a default ladder: dropped, and a default
    bucket far past the range replaced by the range itself."""
    limit = adapter.max_position_tokens(model)
    covering = [s for s in sorted(seq_lens) if s >= limit]
    if not covering:
        return sorted(seq_lens)
    keep = [s for s in sorted(seq_lens) if s <= covering[0]]
    fitted = -(-limit // SEQ_LEN_STEP) * SEQ_LEN_STEP
    if not explicit and covering[0] - fitted > covering[0] // 4 and fitted not in keep:
        # A default bucket more than a quarter past the range would run that share of every call on padding (the
        # web ladder's 1024 on DeBERTa's 512 positions): the range, rounded to a bucket step, takes its place.
        # ettin's 7999 positions keep 8192 (2% past).
        log(f"note: bucket {covering[0]} replaced by {fitted}: the text encoder has {limit} trained positions")
        keep = keep[:-1] + [fitted]
    dropped = sorted(set(seq_lens) - set(keep) - {covering[0]})
    if dropped and explicit:
        raise SourceError(
            f"--seq-lens {' '.join(map(str, dropped))}: the text encoder has {limit} trained positions, so "
            f"{covering[0]} is the largest useful bucket (longer texts are windowed at run time); drop the larger ones"
        )
    if dropped:
        log(f"note: buckets {' '.join(map(str, dropped))} skipped: the text encoder has {limit} trained positions "
            f"({keep[-1]} holds them all; longer texts are windowed at run time)")
    return keep


def estimate_bytes(model, plans: list[FilePlan]) -> int:
    """Planned size on disk: 4 bytes per fp32 weight, about 1 per int8 weight, plus 5% graph overhead; a bundle
    stores each part's weights once."""
    counts = adapter.parameter_counts(model)
    total = 0
    for f in plans:
        parts = {v.component for v in f.variants} if f.layout is Layout.BUNDLE else [f.variants[0].component]
        n = sum(counts["text"] if c.per_bucket else counts["labels"] for c in parts)
        total += int(n * (4 if f.precision is Precision.FP32 else 1) * 1.05)
    return total


# A .tflite is one flatbuffer, addressed with 32-bit signed offsets: a file's weights must stay under 2 GiB.
FLATBUFFER_LIMIT = 2**31


def check_flatbuffer_limit(model, plans: list[FilePlan], limit: int = FLATBUFFER_LIMIT) -> None:
    """Refuses, before minutes of export, an fp32 file (asked for, or the graph a quantized file is made from)
    whose weights (4 bytes a parameter) cannot fit one flatbuffer. At the largest family member the fp32 bundle
    is 2102 MB of 2147 (docs/FAMILY.md); the estimate counts the labels encoder's unused pooler and position
    rows, so it errs above the file by ~0.3%."""
    counts = adapter.parameter_counts(model)
    for f in {f if f.precision is Precision.FP32 else f.fp32_source for f in plans}:
        # A bundle stores each encoder once however many of its graphs use it (the prompt MLP counts as text).
        parts = {"labels" if v.component in (Component.LABELS, Component.LABELS_BULK) else "text" for v in f.variants}
        need = 4 * sum(counts[p] for p in parts)
        if need > limit:
            text_gb = 4 * counts["text"] / 1e9
            raise SourceError(
                f"{f.file}: its fp32 weights ({need / 1e9:.2f} GB) exceed the {limit / 1e9:.2f} GB a .tflite "
                f"flatbuffer can address, and every precision, int8 included, is quantized from that fp32 graph. "
                f"Convert with --layout files (one graph per file: the text encoder alone holds {text_gb:.2f} GB"
                f"{' and still does not fit' if 4 * counts['text'] > limit else ''}), or --components to split the "
                "labels and text encoders"
            )


def check_output_dir(out: Path, source_folder: Path | None = None) -> None:
    """Refuses an --out that is a file, unwritable, or the source model's own folder; creates it if missing."""
    if out.exists() and not out.is_dir():
        raise SourceError(f"--out {out} is a file; pass a folder (it is created if missing)")
    if source_folder is not None:
        o, s = out.resolve(), Path(source_folder).resolve()
        if o == s or s in o.parents:
            raise SourceError(
                f"--out {out} is the source model's folder (or inside it): conversion would overwrite its "
                "gliner_config.json and tokenizers. Pick another folder, e.g. build/<model name>"
            )
    e = writable_dir(out)
    if e is not None:
        raise SourceError(f"--out {out} is not writable ({e.strerror or e}); pick another folder or fix its permissions")


def check_disk(out: Path, needed: int) -> None:
    free = shutil.disk_usage(out).free
    if free < needed * 1.1:
        raise SourceError(
            f"not enough free disk in {out}: the planned artifacts need about {needed / 1e6:.0f} MB, "
            f"{free / 1e6:.0f} MB are free. Free space, pick another --out, or convert fewer --seq-lens/--precisions"
        )


def _write_side_files(model, source: Source, out: Path, journal: TempJournal) -> dict[str, mf.SideFile]:
    """Tokenizers and config beside the graphs, each folder built under a temporary name and renamed."""
    files = {}
    for name, tok in (("text_tokenizer", adapter.text_tokenizer(model)), ("labels_tokenizer", adapter.labels_tokenizer(model))):
        with building_dir(out / name, journal) as tmp:
            tok.save_pretrained(str(tmp))
        files[name] = mf.SideFile(f"{name}/tokenizer.json", sha256_file(out / name / "tokenizer.json"))
    atomic_write_bytes(out / "gliner_config.json", (json.dumps(source.config, indent=2, sort_keys=True) + "\n").encode(),
                       journal)
    files["gliner_config"] = mf.SideFile("gliner_config.json", sha256_file(out / "gliner_config.json"))
    return files


def model_config(model) -> mf.ModelConfig:
    cfg = adapter.config(model)
    return mf.ModelConfig(
        max_width=cfg.max_width, max_types=cfg.max_types, hidden_size=cfg.hidden_size, max_len=cfg.max_len,
        words_splitter_type=cfg.words_splitter_type, span_mode=cfg.span_mode,
        subtoken_pooling=getattr(cfg, "subtoken_pooling", "first"), label_tokens=LABEL_TOKENS,
        text_pad_token_id=adapter.text_tokenizer(model).pad_token_id,
    )


def source_fields(source: Source) -> dict:
    src = {"weights_file": source.weights_file.name, "weights_sha256": source.weights_sha256}
    if source.model_id:
        src.update(model_id=source.model_id, revision=source.revision)
    else:
        src.update(folder=str(source.folder))
    return src


def _previous(out: Path, opts: Options) -> mf.Manifest | None:
    """The folder's manifest if this toolkit can read it; an older schema or a broken one starts afresh."""
    try:
        return mf.read(out)
    except mf.ManifestError as e:
        opts.log(f"note: ignoring the existing manifest ({str(e).split(';')[0]}); every artifact is converted anew")
        return None


def _export_file(model, plan: FilePlan, tmp: Path, out: Path, scratch: Path, fp32_done: bool, opts: Options) -> None:
    """Writes `plan`'s graphs to `tmp`: exported (fp32) or quantized from the same graphs in fp32."""
    from convert.export import export_fp32, quantize

    if plan.precision is Precision.FP32:
        export_fp32(model, list(plan.variants), plan.layout, tmp, opts.fuse_span_head, opts.lightweight)
        return
    src = plan.fp32_source
    fp32 = out / src.file
    if not fp32_done:
        fp32 = scratch / src.file
        if not fp32.is_file():
            export_fp32(model, list(src.variants), src.layout, fp32, opts.fuse_span_head, opts.lightweight)
    quantize(fp32, plan.precision, tmp)


def _graphs(model, plan: FilePlan, path: Path) -> tuple[mf.Graph, ...]:
    """The graphs of a written file as LiteRT reports them, one per planned variant, refused if they differ."""
    sigs = signatures_io(path)
    want = {v.signature_in(plan.layout): v for v in plan.variants}
    if set(sigs) != set(want):
        raise RuntimeError(f"{plan.file}: signatures {sorted(sigs)} != planned {sorted(want)}")
    for name, v in want.items():
        got = {r["name"]: r["dtype"] for r in sigs[name][0]}
        if got != input_dtypes(v.component, plan.layout):
            # A contract check, not a numeric one: apps feed these dtypes (common/inputs.py).
            raise RuntimeError(f"{plan.file}: signature {name} takes {got}, the {plan.layout.value} contract says "
                               f"{input_dtypes(v.component, plan.layout)}")
    return tuple(
        mf.Graph(
            variant=v, signature=name, max_valid_tokens=max_valid_tokens(model, v),
            inputs=tuple(mf.TensorSpec(r["name"], tuple(r["shape"]), r["dtype"]) for r in sigs[name][0]),
            outputs=tuple(mf.TensorSpec(r["name"], tuple(r["shape"]), r["dtype"]) for r in sigs[name][1]),
        )
        for name, v in want.items()
    )


def convert_all(model, source: Source, plans: list[FilePlan], out: Path, opts: Options) -> mf.Manifest:
    """Writes each planned file not already done (see `plan_files`); returns the final manifest.

    Resumable after any kill: every file and folder is written under a temporary name, recorded in the folder's
    journal before it is created (the next run removes exactly those, never a user's file), and renamed into
    place; the manifest lists a file only while the file in place is that one.
    """
    check_output_dir(out, source.folder)
    journal = TempJournal(out)
    for p in journal.clean():
        opts.log(f"removed {p.name}, left by an interrupted run")
    code, tools = code_version(), tool_versions()
    prev = _previous(out, opts)
    if prev is not None and prev.source.get("weights_sha256") != source.weights_sha256:
        # Listing them under this source would hand the runtime another model's graphs beside this model's
        # tokenizers (the ones not converted again would stay listed).
        opts.log(f"note: {out} held artifacts of other weights; they are dropped from the manifest and converted anew")
        prev.artifacts = {}
    entries: dict[str, mf.ArtifactFile] = dict(prev.artifacts) if prev else {}
    plans = sorted(set(plans), key=lambda f: f.sort_key)
    keys = {f: artifact_key(source, f, opts, code, tools) for f in set(plans) | {f.fp32_source for f in plans}}
    # A file of the same name planned with other graphs (a bundle with other buckets) is replaced; a file of
    # this layout that holds a requested variant under another name cannot stay listed beside the new one.
    planned = {(v, f.layout) for f in plans for v in f.variants}
    for stem, e in list(entries.items()):
        if stem not in {f.stem for f in plans} and any((g.variant, e.layout) in planned for g in e.graphs):
            del entries[stem]

    def done(f: FilePlan) -> bool:
        e = entries.get(f.stem)
        return e is not None and e.key == keys[f] and (out / e.file).is_file() and (out / e.file).stat().st_size == e.bytes

    todo = [f for f in plans if opts.force or not done(f)]
    # Quantized files need their fp32 file; plan it (it may be outside the requested precisions).
    needed_fp32 = {f.fp32_source for f in todo if f.precision is not Precision.FP32}
    check_flatbuffer_limit(model, todo)
    check_disk(out, estimate_bytes(model, todo) + estimate_bytes(model, list(needed_fp32 - set(plans))))
    man = mf.Manifest(
        source=source_fields(source), config=model_config(model), files=_write_side_files(model, source, out, journal),
        tools=tools, platform={"machine": platform.machine(), "system": platform.system(), "cpus": os.cpu_count()},
        artifacts=entries,
    )
    mf.write(out, man, journal)
    if not todo:
        opts.log(f"all {len(plans)} files in {out} are up to date")
    t_all = time.time()
    scratch = temp_dir(out / "fp32-scratch", journal)
    try:
        for i, f in enumerate(todo, 1):
            reset_peak_rss()
            t0 = time.time()
            tmp = temp_file(out / f.file, journal)
            try:
                _export_file(model, f, tmp, out, scratch, done(f.fp32_source), opts)
                bad = non_builtin_ops(tmp)
                if bad:
                    raise RuntimeError(f"{f.file}: graph uses non-builtin ops {sorted(bad)}; it would not run on stock LiteRT")
                entry = mf.ArtifactFile(
                    file=f.file, sha256=sha256_file(tmp), bytes=tmp.stat().st_size, precision=f.precision,
                    layout=f.layout, graphs=_graphs(model, f, tmp), key=keys[f], fuse_span_head=opts.fuse_span_head,
                    convert_seconds=round(time.time() - t0, 2), peak_rss_bytes=peak_rss_bytes(),
                )
                # The manifest never lists a file whose bytes are not the ones it names: drop the old entry
                # before the new file takes its place, list the new one after.
                if entries.pop(f.stem, None) is not None:
                    mf.write(out, man, journal)
                publish_file(tmp, out / f.file)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            entries[f.stem] = entry
            mf.write(out, man, journal)
            opts.log(
                f"[{i}/{len(todo)}] {f.file} ({len(f.variants)} graph{'s' * (len(f.variants) > 1)}): "
                f"{entry.bytes / 1e6:.1f} MB in {entry.convert_seconds:.1f} s, "
                f"peak RSS {entry.peak_rss_bytes / 1e9:.2f} GB (total {time.time() - t_all:.0f} s)"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        journal.clean()  # every temporary is renamed into place or removed by now: this drops the record
    return man
