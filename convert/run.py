"""Plans and runs a conversion: one artifact at a time, atomic, resumable, with a manifest entry per file."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from common.memory import peak_rss_bytes, reset_peak_rss
from common.tflite import non_builtin_ops, sha256_file, signature_io
from common.variants import LABEL_TOKENS, Component, Precision, Variant
from convert import manifest as mf
from convert.source import Source, SourceError

ROOT = Path(__file__).resolve().parent.parent
# The files whose change makes an existing artifact stale.
CODE_FILES = sorted(
    [*ROOT.glob("wrappers/*.py"), ROOT / "convert" / "export.py", ROOT / "common" / "inputs.py", ROOT / "common" / "variants.py"]
)
TOOLS = ("torch", "litert-torch", "ai-edge-litert", "ai-edge-quantizer", "gliner", "transformers", "tokenizers")


@dataclass
class Options:
    fuse_span_head: bool = True
    lightweight: bool = True
    force: bool = False
    log: callable = field(default=print)


def code_version() -> str:
    h = hashlib.sha256()
    for f in CODE_FILES:
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def tool_versions(names=TOOLS) -> dict[str, str]:
    """Installed versions of `names` (distribution names), plus Python's."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def artifact_key(source: Source, variant: Variant, opts: Options, code: str) -> str:
    """What an artifact depends on: source weights, code, options. Equal key = nothing to redo."""
    blob = json.dumps(
        {"weights": source.weights_sha256, "code": code, "variant": str(variant),
         "fuse_span_head": opts.fuse_span_head, "lightweight": opts.lightweight},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def max_valid_tokens(model, variant: Variant) -> int:
    """Tokens a variant may be fed: its S, capped by the text encoder's trained positions (7999 for ettin)."""
    if variant.component is Component.LABELS:
        return LABEL_TOKENS
    bb = model.model.token_rep_layer.bert_layer.model.config
    tok_max = model.data_processor.transformer_tokenizer.model_max_length
    limit = min(variant.seq_len, bb.max_position_embeddings)
    if isinstance(tok_max, int) and tok_max < 10**9:
        limit = min(limit, tok_max)
    return int(limit)


def estimate_bytes(model, variants: list[Variant]) -> int:
    """Planned size on disk: 4 bytes per fp32 weight, about 1 per int8 weight, plus 5% graph overhead."""
    inner = model.model
    labels_params = sum(p.numel() for p in inner.token_rep_layer.labels_encoder.parameters())
    labels_params += sum(p.numel() for p in getattr(inner.token_rep_layer, "labels_projection", []).parameters()) if hasattr(inner.token_rep_layer, "labels_projection") else 0
    total_params = sum(p.numel() for p in inner.parameters())
    rnn = sum(p.numel() for p in inner.rnn.parameters()) if hasattr(inner, "rnn") else 0
    text_params = total_params - labels_params - rnn
    total = 0
    for v in variants:
        n = labels_params if v.component is Component.LABELS else text_params
        total += int(n * (4 if v.precision is Precision.FP32 else 1) * 1.05)
    return total


def check_output_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SourceError(f"--out {out} is a file; pass a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out):
            pass
    except OSError as e:
        raise SourceError(f"--out {out} is not writable ({e.strerror or e}); pick another folder or fix its permissions")


def check_disk(out: Path, needed: int) -> None:
    free = shutil.disk_usage(out).free
    if free < needed * 1.1:
        raise SourceError(
            f"not enough free disk in {out}: the planned artifacts need about {needed / 1e6:.0f} MB, "
            f"{free / 1e6:.0f} MB are free. Free space, pick another --out, or convert fewer --seq-lens/--precisions"
        )


def _clean_stale_temps(out: Path) -> None:
    for p in out.glob(".*.tmp"):
        p.unlink(missing_ok=True)


def _write_side_files(model, source: Source, out: Path) -> None:
    """Tokenizers and config beside the graphs, each folder built under a temporary name and renamed."""
    for name, tok in (("text_tokenizer", model.data_processor.transformer_tokenizer),
                      ("labels_tokenizer", model.data_processor.labels_tokenizer)):
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out))
        tok.save_pretrained(str(tmp))
        mf.replace_dir(tmp, out / name)
    mf.atomic_write_bytes(out / "gliner_config.json", (json.dumps(source.config, indent=2, sort_keys=True) + "\n").encode())


def folder_fields(model, source: Source) -> dict:
    cfg = model.config
    src = {"weights_file": source.weights_file.name, "weights_sha256": source.weights_sha256}
    if source.model_id:
        src.update(model_id=source.model_id, revision=source.revision)
    else:
        src.update(folder=str(source.folder))
    tok = model.data_processor.transformer_tokenizer
    return {
        "source": src,
        "config": {
            "max_width": cfg.max_width, "max_types": cfg.max_types, "hidden_size": cfg.hidden_size,
            "max_len": cfg.max_len, "words_splitter_type": cfg.words_splitter_type, "span_mode": cfg.span_mode,
            "subtoken_pooling": getattr(cfg, "subtoken_pooling", "first"), "label_tokens": LABEL_TOKENS,
            "text_pad_token_id": tok.pad_token_id,
        },
        "files": {"text_tokenizer": "text_tokenizer", "labels_tokenizer": "labels_tokenizer", "gliner_config": "gliner_config.json"},
        "tools": tool_versions(),
        "platform": {"machine": platform.machine(), "system": platform.system(), "cpus": os.cpu_count()},
    }


def convert_all(model, source: Source, variants: list[Variant], out: Path, opts: Options) -> dict:
    """Converts each variant not already done; returns the final manifest."""
    check_output_dir(out)
    _clean_stale_temps(out)
    code = code_version()
    man = mf.read(out) or {}
    if man.get("source", {}).get("weights_sha256") not in (None, source.weights_sha256):
        opts.log(f"note: {out} held artifacts of other weights; they will be replaced as they are converted")
    entries: dict = dict(man.get("artifacts", {}))
    todo = [v for v in variants if opts.force or entries.get(str(v), {}).get("key") != artifact_key(source, v, opts, code)
            or not (out / v.file_name).is_file()]
    # Quantized files need their fp32 graph; plan it (it may be outside the requested precisions).
    needed_fp32 = {v.fp32_source for v in todo if v.precision is not Precision.FP32}
    check_disk(out, estimate_bytes(model, todo) + estimate_bytes(model, list(needed_fp32 - set(variants))))
    _write_side_files(model, source, out)
    man = {**man, **folder_fields(model, source), "artifacts": entries}
    mf.write(out, man)
    if not todo:
        opts.log(f"all {len(variants)} artifacts in {out} are up to date")
    t_all = time.time()
    scratch = Path(tempfile.mkdtemp(prefix=".fp32-scratch.", suffix=".tmp", dir=out))
    try:
        for i, v in enumerate(sorted(todo, key=lambda v: v.sort_key), 1):
            reset_peak_rss()
            t0 = time.time()
            dest = out / v.file_name
            fd, tmp = tempfile.mkstemp(prefix=f".{v.file_name}.", suffix=".tmp", dir=out)
            os.close(fd)
            tmp = Path(tmp)
            try:
                if v.precision is Precision.FP32:
                    from convert.export import export_fp32

                    export_fp32(model, v, tmp, opts.fuse_span_head, opts.lightweight)
                else:
                    from convert.export import export_fp32, quantize

                    fp32 = out / v.fp32_source.file_name
                    fp32_entry = entries.get(str(v.fp32_source), {})
                    if not (fp32.is_file() and fp32_entry.get("key") == artifact_key(source, v.fp32_source, opts, code)):
                        fp32 = scratch / v.fp32_source.file_name
                        if not fp32.is_file():
                            export_fp32(model, v.fp32_source, fp32, opts.fuse_span_head, opts.lightweight)
                    quantize(fp32, v.precision, tmp)
                bad = non_builtin_ops(tmp)
                if bad:
                    raise RuntimeError(f"{v}: graph uses non-builtin ops {sorted(bad)}; it would not run on stock LiteRT")
                sig, inputs, outputs = signature_io(tmp)
                entry = {
                    "file": v.file_name, "sha256": sha256_file(tmp), "bytes": tmp.stat().st_size,
                    "component": v.component.value, "seq_len": v.seq_len, "precision": v.precision.suffix,
                    "signature": sig, "inputs": inputs, "outputs": outputs,
                    "max_valid_tokens": max_valid_tokens(model, v), "key": artifact_key(source, v, opts, code),
                    "code_version": code, "fuse_span_head": opts.fuse_span_head,
                    "convert_seconds": round(time.time() - t0, 2), "peak_rss_bytes": peak_rss_bytes(),
                }
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            entries[str(v)] = entry
            man["artifacts"] = entries
            mf.write(out, man)
            opts.log(
                f"[{i}/{len(todo)}] {v.file_name}: {entry['bytes'] / 1e6:.1f} MB in {entry['convert_seconds']:.1f} s, "
                f"peak RSS {entry['peak_rss_bytes'] / 1e9:.2f} GB (total {time.time() - t_all:.0f} s)"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return man
