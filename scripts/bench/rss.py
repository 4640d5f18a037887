"""Peak RSS of one graph, measured in a fresh child process (`python -m scripts.bench.rss`, run by the bench).

The child loads the inputs, optionally loads and runs one graph, and prints its peak RSS; without a graph it
measures the bare process (Python, numpy, the LiteRT module), the floor to subtract.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def measure_rss(path: Path | None, arrays: dict, threads: int, signature: str | None, workdir: Path,
                cache_dir: Path | None = None) -> int:
    """Peak RSS of a fresh process that only opens `path` as the runtime does (its weight cache in `cache_dir`,
    already built by the timing run: mapped, as on an app's second launch) and runs one call (None: the bare
    process)."""
    import numpy as np

    npz = workdir / "rss_inputs.npz"
    np.savez(npz, **arrays)
    cmd = [sys.executable, "-m", "scripts.bench.rss", str(npz), "--threads", str(threads)]
    if path is not None:
        cmd += ["--model", str(path)]
    if signature:
        cmd += ["--signature", signature]
    if cache_dir is not None:
        cmd += ["--cache-dir", str(cache_dir)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"RSS child failed ({res.returncode}): {res.stderr.strip()[-2000:]}")
    return int(json.loads(res.stdout.strip().splitlines()[-1])["maxrss_bytes"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("npz", help="the graph's inputs (numpy .npz)")
    ap.add_argument("--model", help=".tflite to load and run once (none: the bare process)")
    ap.add_argument("--signature")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache-dir", type=Path, help="the XNNPACK weight cache's folder (runtime.cache)")
    args = ap.parse_args(argv)

    import numpy as np
    from ai_edge_litert.compiled_model import CompiledModel  # noqa: F401  imported in both modes: same floor

    from common.memory import peak_rss_bytes
    from scripts.bench.timing import LiteRTGraph

    arrays = dict(np.load(args.npz))
    if args.model:
        # One call: the model is created (every signature prepared, the cache mapped) and one arena allocated.
        LiteRTGraph(Path(args.model), args.threads, args.signature, args.cache_dir)(arrays)
    print(json.dumps({"maxrss_bytes": peak_rss_bytes()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
