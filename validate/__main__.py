"""CLI: python -m validate --model HUB_ID_OR_DIR --artifacts DIR [--report DIR] [--thresholds 0.3 0.5]."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m validate", description=__doc__)
    p.add_argument("--model", required=True, help="the upstream model the artifacts came from (hub id or folder)")
    p.add_argument("--artifacts", required=True, type=Path, help="folder with manifest.json")
    p.add_argument("--report", type=Path, help="where report.json/.md and plots go (default: ARTIFACTS/report)")
    p.add_argument("--thresholds", nargs="+", type=float, default=[0.3, 0.5])
    p.add_argument("--only", nargs="+", metavar="GRAPH",
                   help="validate only these graphs: seed file stems (text_encoder_seq256_int8) or bundle/signature "
                   "(gliner_bi_int8/text_encoder_seq256); a text graph brings its labels encoder")
    p.add_argument("--threads", type=int, default=2, help="LiteRT threads (default: %(default)s)")
    p.add_argument("--suite-limit", type=int, metavar="N",
                   help="only the first N bundled suite texts (the bucket-filling texts are always run); "
                   "for full-size models, whose largest buckets take seconds per call")
    p.add_argument("--random-weights", action="store_true",
                   help="the model has random weights: report int8 entity F1 but do not judge it (scores sit near 0.5)")
    g = p.add_argument_group("GPU (LiteRT's GPU accelerator on a Vulkan adapter; validate.gpu)")
    g.add_argument("--gpu", action="store_true",
                   help="also run every signature of the fp32 bundle through the GPU accelerator with float32 forced "
                   "and with its default fp16 intermediates, judged against upstream, and the int8 bundle's outcome; "
                   "needs an adapter (make gpu-adapter)")
    g.add_argument("--gpu-adapter", type=Path, metavar="DIR",
                   help="the adapter folder make gpu-adapter wrote (default: build/gpu-adapter of this checkout)")
    p.add_argument("--arm64", action="store_true",
                   help="also run the runtime under qemu on aarch64 kernels against x86 and upstream (validate/arm64.py; "
                   "the environment from `python -m scripts.arm64_env`)")
    p.add_argument("--arm64-env", type=Path, default=Path(__file__).resolve().parent.parent / ".arm64",
                   help="the aarch64 environment's folder (default: %(default)s)")
    return p


def report_dir_problem(report: Path) -> str | None:
    """Why the report folder cannot be written, checked before the run (minutes at full size), or None."""
    if report.exists() and not report.is_dir():
        return f"--report {report} is a file; pass a folder (report.json, report.md and plots are written into it)"
    existing = next(p for p in [report, *report.parents] if p.exists())
    if not existing.is_dir():
        return f"--report {report}: {existing} is a file, so the folder cannot be created; pass another folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"--report {report}: {existing} is not writable; pass another folder or fix its permissions"
    return None


def run_args(args) -> list[str]:
    """The command of this run with every option that shapes a verdict, without --only and --report."""
    cmd = ["python", "-m", "validate", "--model", args.model, "--artifacts", str(args.artifacts),
           "--thresholds", *map(str, args.thresholds), "--threads", str(args.threads)]
    if args.suite_limit is not None:
        cmd += ["--suite-limit", str(args.suite_limit)]
    if args.random_weights:
        cmd.append("--random-weights")
    return cmd


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if any(not 0 < t < 1 for t in args.thresholds):
        print("error: thresholds must lie in (0, 1)", file=sys.stderr)
        return 2
    from runtime.artifacts import MAX_THREADS

    if not 1 <= args.threads <= MAX_THREADS:
        print(f"error: --threads must be 1 to {MAX_THREADS} (LiteRT threads; this machine has {os.cpu_count()} CPUs), "
              f"got {args.threads}", file=sys.stderr)
        return 2
    if args.suite_limit is not None and args.suite_limit < 1:
        print(f"error: --suite-limit must be at least 1 (the first N suite texts), got {args.suite_limit}; leave it "
              "out to run the whole suite", file=sys.stderr)
        return 2
    out = args.report or args.artifacts / "report"
    problem = report_dir_problem(out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    adapter = None
    if args.gpu:
        from validate import gpu

        try:
            adapter = gpu.Adapter.load(args.gpu_adapter or gpu.ADAPTER_DIR)
        except gpu.AdapterMissing as e:
            print(f"error: --gpu: {e}", file=sys.stderr)
            return 2
    from common import manifest as mf
    from common.machine import tool_versions
    from upstream.source import SourceError, hub_offline, load_model, resolve
    from validate import card, harness, report

    try:
        man = mf.read(args.artifacts)
        if man is None:
            raise SourceError(f"{args.artifacts} has no manifest.json; convert first (python -m convert ...)")
        source = resolve(args.model, offline=hub_offline())
        if man.source.get("weights_sha256") != source.weights_sha256:
            raise SourceError(
                f"{args.artifacts} was converted from other weights than {args.model} "
                "(manifest weights_sha256 differs); validate against the model it was converted from"
            )
        model = load_model(source)
        results, meta = harness.run(model, man, args.artifacts, tuple(args.thresholds),
                                    set(args.only) if args.only else None, args.threads, not args.random_weights,
                                    suite_limit=args.suite_limit)
        gpu_out = None
        if adapter is not None:
            gpu_out = gpu.run_stage(model, man, args.artifacts, adapter, thresholds=tuple(args.thresholds),
                                    judge_entities=not args.random_weights, suite_limit=args.suite_limit)
            gpu_out["reproduce"] = shlex.join([*run_args(args), "--gpu", "--report", str(out / "reproduce" / "gpu")])
    except (SourceError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rep = report.build(results, meta, model=args.model, artifacts=args.artifacts, manifest=man,
                       thresholds=args.thresholds, judge_entities=not args.random_weights,
                       run_args=run_args(args), report_dir=out, tools=tool_versions(), gpu=gpu_out)
    if args.arm64:
        from validate import arm64

        try:
            rep["arm64"] = arm64.run(model, man, args.artifacts, args.thresholds, args.arm64_env,
                                     judge_entities=not args.random_weights, num_threads=args.threads)
        except arm64.Arm64Error as e:
            rep["arm64"] = {"passed": False, "failures": [str(e)]}
    written = report.write(rep, out)
    print(f"report: {', '.join(str(p) for p in written)}")
    if out.resolve() == (args.artifacts / card.REPORT.parent).resolve():
        # The folder's own report (not a --report elsewhere, e.g. a reproduce run): its card follows it.
        print(f"card: {card.write(args.artifacts)}")
    gpu_failed = gpu_out is not None and not gpu_out["passed"]
    if gpu_failed:
        print("GPU stage FAILED (report.md, GPU):", file=sys.stderr)
        for run in gpu_out["runs"]:
            for r in run["rows"]:
                if not r["passed"]:
                    print(f"  {r['variant']} ({run['setting']}): {'; '.join(r['failures'])}", file=sys.stderr)
        print(f"  {gpu_out.get('error') or ''}\n    reproduce: {gpu_out['reproduce']}", file=sys.stderr)
    failing = [r for r in rep["results"] if not r["passed"]]
    if failing:
        print(f"{len(failing)} of {len(rep['results'])} artifacts FAILED:", file=sys.stderr)
        for r in failing:
            print(f"  {r['variant']}: {'; '.join(r['failures'])}\n    reproduce: {r['reproduce']}", file=sys.stderr)
        return 1
    if gpu_failed:
        return 1
    if "arm64" in rep and not rep["arm64"]["passed"]:
        print("aarch64 check FAILED:\n" + "\n".join(f"  {f}" for f in rep["arm64"]["failures"]), file=sys.stderr)
        return 1
    stages = [s for s, on in (("the GPU stage", gpu_out), ("on aarch64 kernels", "arm64" in rep)) if on]
    print(f"all {len(rep['results'])} artifacts passed" + (f" (and {' and '.join(stages)})" if stages else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
