"""The runtime on aarch64 kernels (XNNPACK's ARM paths) under qemu-user, against the x86 runtime and upstream: the
`arm64` section of report.json (`python -m validate --arm64`, `make test-arm64`).

A phone runs other kernels than the x86 machine every other number comes from: other int8 dot-product paths,
another float summation order. Each bundle precision runs the suite texts through the torch-free runtime
(validate/arm64_probe.py) on the host and, under qemu, on each CPU model asked for; then
- fp32: the entities (span, label) equal the x86 runtime's at every threshold (scores differ by float rounding);
- int8: the entities pass the gate x86 int8 passes against upstream (Precision.INT8's entity F1 at each threshold),
  judged on the ARM kernels' output; entity sets that differ from x86's are counted;
- every run: the largest x86-vs-ARM difference of the raw graph outputs, of the probabilities and of the scores of
  entities both found; and the modules the runtime imported, each the standard library, this repository's runtime,
  or a package of requirements-runtime.txt's closure (scripts/arm64_env.py installs nothing else).
The environment comes from scripts/arm64_env.py (qemu 10 pinned there, and why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.variants import Component, Layout, Precision

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "arm64_probe.py"
# A dot-product core of today's phones' class (Cortex-A76 / Neoverse N1: ARMv8.2 with dotprod, what ai-edge-litert
# 2.3.0's aarch64 wheel needs at least) and `max`, every feature qemu emulates (i8mm, SVE, SME): XNNPACK picks
# other int8 kernels on each.
CPUS = ("neoverse-n1", "max")
PER_CATEGORY = 4  # suite texts per category: every category, at about 1 s an emulated text
RUNTIME_PACKAGES = ("numpy", "tokenizers", "ai_edge_litert")
PROBE_TIMEOUT_S = 3600


class Arm64Error(Exception):
    """The aarch64 stage could not run (no environment, the probe died); the message says what to do."""


@dataclass(frozen=True)
class Emulator:
    """qemu-aarch64, the arm64 sysroot it resolves guest paths in, and the unpacked aarch64 packages."""

    qemu: Path
    sysroot: Path
    site: Path
    record: dict

    @classmethod
    def from_dir(cls, env_dir: Path, qemu: Path | None = None, sysroot: Path | None = None) -> "Emulator":
        env_dir = Path(env_dir).resolve()
        rec = env_dir / "env.json"
        if not rec.is_file():
            raise Arm64Error(f"{env_dir} holds no aarch64 environment: run `python -m scripts.arm64_env --dir "
                             f"{env_dir}` (or `make test-arm64`)")
        return cls(Path(qemu or env_dir / "qemu" / "qemu-aarch64"), Path(sysroot or env_dir / "sysroot"),
                   env_dir / "site", json.loads(rec.read_text()))

    def version(self) -> str:
        try:
            out = subprocess.run([str(self.qemu), "--version"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise Arm64Error(f"{self.qemu} does not run ({e}); rebuild the environment with "
                             "`python -m scripts.arm64_env`") from None
        return out.split("version", 1)[1].split()[0] if "version" in out else out.strip()

    def command(self, cpu: str, *args: str) -> list[str]:
        return [str(self.qemu), "-L", str(self.sysroot), "-cpu", cpu, str(self.sysroot / "usr/bin/python3.11"), *args]

    def environ(self) -> dict[str, str]:
        # Only what the guest Python needs: the repository (runtime, common) and the aarch64 packages.
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "PATH")}
        return {**keep, "PYTHONPATH": f"{ROOT}:{self.site}", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
                "TOKENIZERS_PARALLELISM": "false"}


def suite_items(model, seq_lens, per_category: int = PER_CATEGORY) -> list:
    """The first `per_category` texts of each suite category and the texts filling ~50% / ~95% of each bucket."""
    from upstream import adapter
    from validate.suite import fill_texts, load_suite

    items, seen = [], {}
    for it in load_suite():
        if it.text.strip() and seen.get(it.category, 0) < per_category:
            seen[it.category] = seen.get(it.category, 0) + 1
            items.append(it)
    for s in sorted(seq_lens):
        items += fill_texts(lambda text: adapter.count_text_tokens(model, text), s)
    return items


def run_probe(cmd: list[str], job: dict, work: Path, name: str, env: dict | None = None) -> tuple[dict, dict, float]:
    """(the probe's JSON, its raw arrays, seconds) of one run; Arm64Error with its stderr if it failed."""
    if env is None:  # the host's Python: the repository on the path, as under qemu
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    job_path, out = work / f"{name}.job.json", work / f"{name}.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    t = time.perf_counter()
    p = subprocess.run([*cmd, str(PROBE), str(job_path), str(out)], capture_output=True, text=True, env=env,
                       timeout=PROBE_TIMEOUT_S, cwd=ROOT)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        raise Arm64Error(f"the {name} probe failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}")
    with np.load(out.with_suffix(".npz")) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(out.read_text(encoding="utf-8")), arrays, secs


def _keys(ents) -> set:
    return {(s, e, lab) for s, e, lab, _ in ents}


def _f1(ref: dict, got: dict, t: str) -> tuple[float, int, int]:
    """Micro entity F1 of `got` against `ref` over every item at threshold `t`; (f1, reference count, differing)."""
    tp = fp = fn = 0
    for k, r in ref.items():
        a, b = _keys(r[t]), _keys(got[k][t])
        tp, fp, fn = tp + len(a & b), fp + len(b - a), fn + len(a - b)
    return (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0), tp + fn, fp + fn


def compare(precision: Precision, x86: dict, x86_raw: dict, arm: dict, arm_raw: dict, upstream: dict | None,
            thresholds, judge_entities: bool) -> dict:
    """One ARM run of one precision against x86's run and upstream's entities: numbers, what was judged, failures."""
    ths = [str(t) for t in thresholds]
    sets = equal = 0
    score_diff = 0.0
    for k, per_t in x86.items():
        for t in ths:
            sets += 1
            a = {(s, e, lab): sc for s, e, lab, sc in per_t[t]}
            b = {(s, e, lab): sc for s, e, lab, sc in arm[k][t]}
            equal += a.keys() == b.keys()
            score_diff = max([score_diff] + [abs(a[x] - b[x]) for x in a.keys() & b.keys()])
    logit = prob = 0.0
    for key, want in x86_raw.items():
        got = arm_raw[key]
        if want.size:
            logit = max(logit, float(np.abs(got - want).max()))
            sig = lambda x: 1 / (1 + np.exp(-x.astype(np.float64)))  # noqa: E731
            prob = max(prob, float(np.abs(sig(got) - sig(want)).max()))
    row = {"precision": precision.suffix, "entity_sets": sets, "entity_sets_equal_x86": equal,
           "entities_x86": sum(len(v[t]) for v in x86.values() for t in ths),
           "entities_arm": sum(len(v[t]) for v in arm.values() for t in ths),
           "worst_entity_score_diff": score_diff, "max_abs_raw_diff": logit, "max_abs_prob_diff": prob,
           "judged": [], "failures": []}
    if upstream is not None:
        row["vs_upstream"] = {}
        for t in ths:
            f1, n, differ = _f1(upstream, arm, t)
            f1_x86, _, differ_x86 = _f1(upstream, x86, t)
            row["vs_upstream"][t] = {"f1": f1, "f1_x86": f1_x86, "reference_entities": n, "differing": differ,
                                     "differing_x86": differ_x86}
    tol = precision.tolerance
    if precision.recipe is None:
        row["judged"].append("entities equal the x86 runtime's at every threshold")
        if equal != sets:
            row["failures"].append(f"{sets - equal} of {sets} entity sets differ from the x86 runtime's (fp32: "
                                   "only float rounding may differ)")
    elif tol.min_entity_f1 is not None and judge_entities and upstream is not None:
        row["judged"].append(f"entity F1 against upstream >= {tol.min_entity_f1:g} at every threshold (x86's gate)")
        for t, v in row["vs_upstream"].items():
            if v["reference_entities"] == 0:
                row["failures"].append(f"entity F1 at {t} not judged: upstream found no entity in these texts")
            elif not v["f1"] >= tol.min_entity_f1:
                row["failures"].append(f"entity F1 {v['f1']:.4f} at {t} < {tol.min_entity_f1:g} on ARM kernels "
                                       f"(x86: {v['f1_x86']:.4f})")
    else:
        row["judged"].append("entity F1 reported, not judged (--random-weights)")
    return row


def import_problems(modules: dict, emu: Emulator) -> list[str]:
    """Modules the runtime imported that are none of: the standard library (the sysroot's python3.11 or built in),
    this repository's runtime and common, the aarch64 packages scripts/arm64_env.py unpacked."""
    stdlib = str((emu.sysroot / "usr/lib/python3.11").resolve())
    problems = []
    for name, path in modules.items():
        if name == "__main__":
            continue
        if path is None:
            if name not in sys.stdlib_module_names:
                problems.append(f"{name} (no file, not a built-in module of the standard library)")
            continue
        real = str(Path(path).resolve())
        if real.startswith(stdlib + "/") or real.startswith(str(emu.site.resolve()) + "/"):
            continue
        if name in ("runtime", "common") and real.startswith(str(ROOT / name) + "/"):
            continue
        problems.append(f"{name} ({path})")
    missing = [p for p in RUNTIME_PACKAGES if p not in modules]
    if missing:
        problems.append(f"{', '.join(missing)} never imported: the probe did not run the runtime")
    return problems


def bundle_precisions(manifest) -> list[Precision]:
    return sorted({a.precision for a in manifest.artifacts.values() if a.layout is Layout.BUNDLE},
                  key=list(Precision).index)


def run(model, manifest, folder: Path, thresholds, env_dir: Path, cpus=CPUS, per_category: int = PER_CATEGORY,
        judge_entities: bool = True, num_threads: int = 2, log=print, emulator: Emulator | None = None,
        items: list | None = None, precisions: list[Precision] | None = None) -> dict:
    """Runs the bundles' precisions (or `precisions`) on x86 and under qemu on each of `cpus`; returns report.json's
    arm64 section (its `failures` empty when every run passed). Raises Arm64Error when the stage cannot run."""
    emu = emulator or Emulator.from_dir(env_dir)
    precisions = precisions or bundle_precisions(manifest)
    if not precisions:
        raise Arm64Error(f"{folder} has no bundle: the aarch64 check runs the runtime, which opens bundles "
                         "(convert with --layout bundle)")
    seq_lens = sorted({g.variant.seq_len for a, g in manifest.graphs()
                       if a.layout is Layout.BUNDLE and g.variant.component is Component.TEXT})
    items = suite_items(model, seq_lens, per_category) if items is None else items
    job = {"artifacts": str(Path(folder).resolve()), "precisions": [p.suffix for p in precisions],
           "thresholds": list(thresholds), "num_threads": num_threads,
           "items": [{"id": it.id, "text": it.text, "labels": list(it.labels)} for it in items]}
    t0 = time.perf_counter()
    upstream = {it.id: {str(t): [[e["start"], e["end"], e["label"], e["score"]]
                                 for e in model.predict_entities(it.text, list(it.labels), threshold=t)]
                        for t in thresholds} for it in items}
    log(f"arm64: upstream on {len(items)} texts in {time.perf_counter() - t0:.1f} s")
    section = {"qemu": emu.version(), "qemu_package": emu.record.get("qemu"),
               "python": emu.record.get("debs", {}).get("python3.11-minimal"), "wheels": emu.record.get("wheels"),
               "cpus": list(cpus), "texts": len(items), "thresholds": list(thresholds),
               "precisions": [p.suffix for p in precisions], "runs": [], "failures": []}
    with tempfile.TemporaryDirectory(prefix="gliner-arm64-") as tmp:
        work = Path(tmp)
        x86, x86_raw, secs = run_probe([sys.executable], {**job, "cache_dir": str(work / "cache-x86")}, work, "x86")
        section["x86_seconds"] = secs
        log(f"arm64: x86 runtime in {secs:.1f} s")
        for cpu in cpus:
            # Each CPU model its own weight cache: XNNPACK packs for the kernels it picks, and refuses (rewrites)
            # a cache another machine packed.
            try:
                arm, arm_raw, secs = run_probe(emu.command(cpu), {**job, "cache_dir": str(work / f"cache-{cpu}")},
                                               work, f"arm64-{cpu}", env=emu.environ())
            except (Arm64Error, subprocess.TimeoutExpired) as e:
                section["failures"].append(f"{cpu}: {e}")
                log(f"arm64: FAIL {cpu}: {e}")
                continue
            if arm["machine"] != "aarch64":
                section["failures"].append(f"{cpu}: the probe ran on {arm['machine']}, not aarch64")
            problems = import_problems(arm["modules"], emu)
            site = str(emu.site.resolve()) + "/"
            section.setdefault("imports", {})[cpu] = {
                "packages": sorted(k for k, f in arm["modules"].items() if f and str(Path(f).resolve()).startswith(site)),
                "outside": problems}
            if problems:
                section["failures"].append(f"{cpu}: the runtime imported modules outside its packages: {problems}")
            for p in precisions:
                raw = {k.split("/", 1)[1]: v for k, v in arm_raw.items() if k.startswith(p.suffix + "/")}
                want = {k.split("/", 1)[1]: v for k, v in x86_raw.items() if k.startswith(p.suffix + "/")}
                row = {"cpu": cpu, **compare(p, x86["precisions"][p.suffix]["items"], want,
                                             arm["precisions"][p.suffix]["items"], raw, upstream, thresholds,
                                             judge_entities)}
                row["texts_s"] = arm["precisions"][p.suffix]["texts_s"]
                row["cache_warnings"] = arm["precisions"][p.suffix]["cache_warnings"]
                row["passed"] = not row["failures"]
                section["runs"].append(row)
                section["failures"] += [f"{cpu} {p.suffix}: {f}" for f in row["failures"]]
                log(f"arm64: {'PASS' if row['passed'] else 'FAIL'} {cpu} {p.suffix}: {row['entity_sets_equal_x86']} of "
                    f"{row['entity_sets']} entity sets equal x86, worst score diff {row['worst_entity_score_diff']:.2g}"
                    + "".join(f"\n    - {f}" for f in row["failures"]))
            section.setdefault("arm_seconds", {})[cpu] = secs
    section["passed"] = not section["failures"]
    return section


def _row_cells(r: dict, ths: list[str]) -> str:
    vs = r.get("vs_upstream", {})
    f1 = " / ".join(f"{vs[t]['f1']:.4f}" if t in vs else "-" for t in ths)
    f1_x86 = " / ".join(f"{vs[t]['f1_x86']:.4f}" if t in vs else "-" for t in ths)
    return (f"| {r['cpu']} | {r['precision']} | {'pass' if r['passed'] else '**FAIL**'} | "
            f"{r['entity_sets_equal_x86']} of {r['entity_sets']} | {r['worst_entity_score_diff']:.2e} | "
            f"{r['max_abs_prob_diff']:.2e} | {r['max_abs_raw_diff']:.2e} | {f1} | {f1_x86} |")


def render_markdown(section: dict) -> list[str]:
    """report.md's aarch64 section, drawn from report.json's."""
    out = ["## aarch64 kernels (qemu)", ""]
    if "runs" not in section:
        return out + [f"**Not run**: {'; '.join(section.get('failures', []))}", ""]
    ths = [str(t) for t in section["thresholds"]]
    out += [f"The runtime on {section['texts']} suite texts under qemu-aarch64 {section['qemu']} (Debian arm64 Python "
            f"{section['python']}, the aarch64 wheels of requirements-runtime.txt), against the x86 runtime on the "
            f"same texts and upstream `gliner`; thresholds {', '.join(ths)}.", "",
            "| CPU | precision | verdict | entity sets equal x86 | worst entity score diff | max prob diff | "
            f"max raw output diff | entity F1 vs upstream @{' / '.join(ths)} | x86's |",
            "|---|---|---|---|---|---|---|---|---|"]
    out += [_row_cells(r, ths) for r in section["runs"]]
    out += ["", "Raw outputs are the graphs' logits at every span, thousands far below any threshold included; the "
            "probabilities are what decoding compares.", ""]
    if section["failures"]:
        out += ["Failures:", "", *[f"- {f}" for f in section["failures"]], ""]
    return out


def card_lines(section: dict) -> list[str]:
    """The model card's line on aarch64: checked on ARM kernels, with the numbers, or why not."""
    if not section.get("passed") or "runs" not in section:
        return [f"**The aarch64 check failed**: {'; '.join(section.get('failures', []))}"]
    runs = section["runs"]
    parts = []
    for prec in section["precisions"]:
        rs = [r for r in runs if r["precision"] == prec]
        worst = max(r["worst_entity_score_diff"] for r in rs)
        eq = sum(r["entity_sets_equal_x86"] for r in rs), sum(r["entity_sets"] for r in rs)
        f1 = [v["f1"] for r in rs for v in r.get("vs_upstream", {}).values()]
        parts.append(f"{prec}: {eq[0]} of {eq[1]} entity sets equal x86's, worst score difference {worst:.1e}"
                     + (f", entity F1 against upstream at least {min(f1):.4f}" if f1 and prec != "fp32" else ""))
    return [f"Checked on aarch64 kernels: the runtime under qemu-aarch64 {section['qemu']} on "
            f"{', '.join(f'`-cpu {c}`' for c in section['cpus'])}, {section['texts']} suite texts at thresholds "
            f"{', '.join(map(str, section['thresholds']))}; " + "; ".join(parts) + "."]
