"""The machine's matmul ceiling: one large fully-connected layer through LiteRT, measured beside every graph."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from scripts.bench.litert import matmul_flops
from scripts.bench.timing import LiteRTGraph, bench_litert, log, log_start, report

# One large fully-connected layer (ettin-150m's MLP input width x a 4x expansion) as the machine's matmul ceiling.
PEAK_FC = (1024, 768, 3072)  # rows, in_features, out_features


def build_peak_fc(folder: Path, precisions: list[str]) -> dict[str, tuple[Path, str | None]]:
    """One nn.Linear converted by litert-torch, and its quantized copies as the artifacts' encoder layers are
    quantized (for int8: dynamic int8, the kernel that carries the graph's FLOPs). Per precision: (file, recipe)."""
    import litert_torch
    import torch

    from common.variants import Precision
    from convert.export import ENCODER_LAYER_RECIPE, quantize

    rows, k, n = PEAK_FC
    torch.manual_seed(0)
    linear = torch.nn.Linear(k, n).eval()
    fp32 = folder / "peak_fc_fp32.tflite"
    with contextlib.redirect_stdout(io.StringIO()):
        litert_torch.convert(linear, (torch.randn(rows, k),)).export(str(fp32))
    out = {}
    for name in precisions:
        p = Precision.parse(name)
        if p.recipe is None:
            out[name] = (fp32, None)
        else:
            dest = folder / f"peak_fc_{name}.tflite"
            recipe = ENCODER_LAYER_RECIPE.get(p.recipe, p.recipe)
            with contextlib.redirect_stdout(io.StringIO()):
                quantize(fp32, p, dest, recipe=recipe)
            out[name] = (dest, recipe)
    return out


def _input_name(graph: LiteRTGraph) -> str:
    """The converted layer's one input."""
    inputs, _ = graph.engine.io(graph.signature)
    return inputs[0]["name"]


class PeakFC:
    """The one-layer ceiling, measured beside every graph (same precision and thread count, right after it) and
    once more at the end of the run.

    Why beside: on a shared VM the machine's speed drifts during an hour-long run (medians moved ~30% between
    two runs of this script); a ceiling taken once, far from a graph's own timing, gave fp32 graphs 101-143% of
    "peak". A graph's share is computed from the ceiling measured next to it; every sample is kept.
    """

    def __init__(self, ctx, precisions: list[str]):
        import numpy as np

        from common.tflite import op_names

        rows_n, k, n = PEAK_FC
        log(f"peak: converting one fully-connected layer [{rows_n},{k}]x[{k},{n}]")
        self.ctx = ctx
        self.files = build_peak_fc(ctx.workdir, precisions)
        self.ops = {name: sorted(op_names(path)) for name, (path, _) in self.files.items()}
        self.flops = {name: matmul_flops(path) for name, (path, _) in self.files.items()}
        self.x = np.random.default_rng(0).standard_normal((rows_n, k)).astype(np.float32)
        # The converted layer's one input name, looked up once.
        self.arg = {name: _input_name(LiteRTGraph(path, 1, None, None)) for name, (path, _) in self.files.items()}
        self.samples: dict[tuple[str, int], list[float]] = {}

    def measure(self, precision: str, threads: int, quiet: bool = True) -> dict:
        path, _ = self.files[precision]
        stats = bench_litert(path, {self.arg[precision]: self.x}, threads, self.ctx.runs, self.ctx.warmup, None)
        if not quiet:
            report(stats)
        stats["gflops_per_s"] = self.flops[precision] / (stats["median_ms"] * 1e-3) / 1e9
        self.samples.setdefault((precision, threads), []).append(stats["gflops_per_s"])
        return stats

    def final(self) -> list[dict]:
        """The end-of-run measurement per precision and thread count, with every sample taken beside the graphs."""
        import numpy as np

        out = []
        for name, (_, recipe) in self.files.items():
            for t in self.ctx.threads:
                beside = list(self.samples.get((name, t), []))
                log_start(f"peak: {name} fully-connected, {t} thread(s)")
                stats = self.measure(name, t, quiet=False)
                out.append(
                    {
                        "precision": name,
                        "threads": t,
                        "shape": list(PEAK_FC),
                        "recipe": recipe,
                        "ops": self.ops[name],
                        "flops": self.flops[name],
                        **stats,
                        "beside_graphs_gflops_per_s": beside,
                        "beside_graphs_median_gflops_per_s": float(np.median(beside)) if beside else None,
                    }
                )
        return out
