"""The runtime on aarch64 kernels under qemu (validate/arm64.py, scripts/arm64_env.py): it agrees with x86, an
emulator known to be wrong is caught, and the weight cache and file checks hold on ARM as on x86.

The emulated tests are marked `arm64` (`make test-arm64`, or `pytest -m arm64`): the first run downloads the
environment into .arm64/ (qemu, Debian's arm64 Python, the aarch64 wheels; ~250 MB) and every emulated start costs
~10 s. The comparison's verdicts and their rendering are tested without emulation, in the default run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, built_once, convert_into, load_gliner

arm64 = pytest.mark.arm64

TEXT = {"id": "t", "text": "Maria Garcia joined Acme Corp in Paris on May 3, 2021 and paid 200 dollars.",
        "labels": ["person", "organization", "location", "date", "money"]}


@pytest.fixture(scope="module")
def env_dir() -> Path:
    from scripts.arm64_env import DEFAULT_DIR, build

    build(DEFAULT_DIR, with_qemu72=True)
    return DEFAULT_DIR


@pytest.fixture(scope="module")
def emu(env_dir):
    from validate.arm64 import Emulator

    return Emulator.from_dir(env_dir)


@pytest.fixture(scope="module")
def emu72(env_dir):
    from validate.arm64 import Emulator

    return Emulator.from_dir(env_dir, qemu=env_dir / "qemu72" / "qemu-aarch64", sysroot=env_dir / "sysroot72")


@pytest.fixture(scope="module")
def arm_artifacts(shared_dir, tiny_trained_dir) -> Path:
    """tiny-trained as fp32 and int8 bundles at one bucket: what the runtime opens, converted in about a minute
    (a `pytest -m arm64` run has no other conversion to share)."""
    return built_once(shared_dir, "tiny-trained-arm64", lambda out: convert_into(
        tiny_trained_dir, out, seq_lens=(256,), precisions=("fp32", "int8"), layouts=("bundle",)))


@pytest.fixture(scope="module")
def few_items(tiny_trained_dir, arm_artifacts, tmp_path_factory):
    """Six suite texts with entities on which x86 int8 finds upstream's entities at 0.5: a control that fails the
    int8 gate on them fails because of the emulator, not the texts."""
    from runtime import GLiNERLiteRT
    from validate.suite import load_suite

    upstream = load_gliner(str(tiny_trained_dir))
    rt = GLiNERLiteRT.from_pretrained(arm_artifacts, "int8", cache_dir=tmp_path_factory.mktemp("x86-cache"))
    keys = lambda ents: {(e["start"], e["end"], e["label"]) for e in ents}  # noqa: E731
    picked = []
    for it in load_suite():
        if len(picked) == 6:
            break
        want = keys(upstream.predict_entities(it.text, list(it.labels), threshold=0.5)) if it.text.strip() else set()
        if len(want) >= 2 and keys(rt.predict_entities(it.text, list(it.labels), threshold=0.5)) == want:
            picked.append(it)
    assert len(picked) == 6
    return picked


def _job(folder: Path, cache: Path, precisions=("fp32",), items=(TEXT,), thresholds=(0.5,)) -> dict:
    return {"artifacts": str(folder), "precisions": list(precisions), "thresholds": list(thresholds),
            "num_threads": 2, "cache_dir": str(cache), "items": list(items)}


def _probe(cmd, job: dict, work: Path, name: str, env=None):
    from validate.arm64 import run_probe

    out, _, _ = run_probe(cmd, job, work, name, env)
    return out


def _refusal(cmd, job: dict, work: Path, name: str, env=None) -> str:
    """The probe's failure: the exception line of its traceback (LiteRT logs to the same stderr)."""
    from validate.arm64 import PROBE

    (work / f"{name}.job.json").write_text(json.dumps(job))
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([*cmd, str(PROBE), str(work / f"{name}.job.json"), str(work / f"{name}.json")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert p.returncode != 0, f"{name}: the probe ran"
    lines = [ln for ln in p.stderr.splitlines() if re.match(r"^[\w.]+(Error|Refused)\b", ln)]
    assert lines, p.stderr[-2000:]
    return lines[-1]


def _entities(out: dict, prec: str = "fp32") -> dict:
    return {k: {t: [(s, e, lab) for s, e, lab, _ in v] for t, v in per.items()}
            for k, per in out["precisions"][prec]["items"].items()}


@arm64
def test_the_pinned_qemu_and_an_arm_python(emu):
    from scripts.arm64_env import QEMU

    assert emu.version().startswith("10."), emu.version()
    assert emu.record["qemu"] == QEMU[1]
    p = subprocess.run(emu.command("neoverse-n1", "-c", "import platform, sys; print(platform.machine(), "
                                   "sys.version_info[:2])"), capture_output=True, text=True, env=emu.environ(),
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == "aarch64"


@arm64
def test_arm_kernels_agree_with_x86(emu, tiny_trained_dir, arm_artifacts, few_items):
    """The stage on a few texts: fp32 entities equal x86's, quantized ones as good against upstream as x86's, the
    runtime imports only its packages; the section renders into report.md and the card."""
    from common import manifest as mf
    from validate import arm64

    man = mf.read(arm_artifacts)
    sec = arm64.run(load_gliner(str(tiny_trained_dir)), man, arm_artifacts, [0.3, 0.5], None,
                    cpus=("neoverse-n1",), emulator=emu, items=few_items, judge_entities=False, log=lambda *a: None)
    assert sec["passed"], sec["failures"]
    assert sec["imports"]["neoverse-n1"]["outside"] == []
    assert {"numpy", "tokenizers", "ai_edge_litert"} <= set(sec["imports"]["neoverse-n1"]["packages"])
    rows = {r["precision"]: r for r in sec["runs"]}
    assert set(rows) == {"fp32", "int8"}
    assert rows["fp32"]["entity_sets_equal_x86"] == rows["fp32"]["entity_sets"] > 0
    assert rows["fp32"]["worst_entity_score_diff"] < 1e-4
    for t, v in rows["int8"]["vs_upstream"].items():
        assert v["f1"] >= v["f1_x86"] - 0.02, (t, v)
    md = "\n".join(arm64.render_markdown(sec))
    assert "| neoverse-n1 | fp32 | pass |" in md
    assert arm64.card_lines(sec)[0].startswith("Checked on aarch64 kernels")


@arm64
def test_a_wrong_emulator_fails_the_check(emu, emu72, tiny_trained_dir, arm_artifacts, few_items, tmp_path):
    """Why qemu 10 is pinned: Debian 12's qemu 7.2 crashes LiteRT (it shows the x86 host's /proc/cpuinfo), and with
    an ARM cpuinfo its SME emulation (`-cpu max`) computes wrong int8 results; the check must fail on it, while the
    same texts pass on qemu 10's `max`."""
    from common import manifest as mf
    from common.variants import Precision
    from validate import arm64
    from validate.arm64 import Emulator

    bare = Emulator(emu72.qemu, emu.sysroot, emu.site, emu.record)  # 7.2 without the cpuinfo workaround
    (tmp_path / "job.json").write_text(json.dumps(_job(arm_artifacts, tmp_path / "c0")))
    p = subprocess.run(bare.command("max", str(arm64.PROBE), str(tmp_path / "job.json"), str(tmp_path / "o.json")),
                       capture_output=True, text=True, env=bare.environ(), cwd=ROOT, timeout=600)
    assert p.returncode != 0 and "signal 11" in p.stderr, p.stderr[-1000:]

    man, model = mf.read(arm_artifacts), load_gliner(str(tiny_trained_dir))
    kw = dict(cpus=("max",), items=few_items, precisions=[Precision.INT8], log=lambda *a: None)
    wrong = arm64.run(model, man, arm_artifacts, [0.5], None, emulator=emu72, **kw)
    right = arm64.run(model, man, arm_artifacts, [0.5], None, emulator=emu, **kw)
    assert right["passed"], right["failures"]
    assert right["runs"][0]["vs_upstream"]["0.5"]["f1_x86"] >= 0.99  # the texts are ones x86 int8 gets right
    assert not wrong["passed"]
    assert any("entity F1" in f for f in wrong["failures"]), wrong["failures"]
    assert wrong["runs"][0]["vs_upstream"]["0.5"]["f1"] < 0.9


@arm64
def test_a_corrupt_weight_cache_is_rebuilt_under_qemu(emu, arm_artifacts, tmp_path):
    cache = tmp_path / "cache"
    job = _job(arm_artifacts, cache)
    first = _probe(emu.command("neoverse-n1"), job, tmp_path, "first", emu.environ())
    assert first["precisions"]["fp32"]["cache_warnings"] == []
    (built,) = [p for p in cache.iterdir() if p.name.endswith(".xnnpack_cache")]
    data = bytearray(built.read_bytes())
    mid = len(data) // 2
    data[mid: mid + 4096] = bytes(b ^ 0xFF for b in data[mid: mid + 4096])
    built.write_bytes(bytes(data))
    again = _probe(emu.command("neoverse-n1"), job, tmp_path, "again", emu.environ())
    notes = again["precisions"]["fp32"]["cache_warnings"]
    assert any("does not match its recorded sha256" in n and "rebuilt" in n for n in notes), notes
    assert _entities(again) == _entities(first)
    assert sum(len(v) for v in _entities(first)["t"].values()) >= 3


@arm64
def test_an_x86_weight_cache_meets_arm(emu, arm_artifacts, tmp_path):
    """A cache folder x86 packed, opened on ARM: XNNPACK rejects it (another CPU's fingerprint) and packs again.
    Every start gives x86's entities, and a cache whose bytes no longer match its record is never used without
    being rebuilt (it is caught at the next start)."""
    cache = tmp_path / "cache"
    job = _job(arm_artifacts, cache)
    x86 = _probe([sys.executable], job, tmp_path, "x86")
    outs = [_probe(emu.command("neoverse-n1"), job, tmp_path, f"arm{i}", emu.environ()) for i in range(2)]
    for o in outs:
        assert _entities(o) == _entities(x86)
    (built,) = [p for p in cache.iterdir() if p.name.endswith(".xnnpack_cache")]
    record = json.loads((cache / (built.name + ".sha256")).read_text())
    from common.tflite import sha256_file

    if sha256_file(built) != record["sha256"]:  # rewritten by XNNPACK after the last start checked it
        nxt = _probe(emu.command("neoverse-n1"), job, tmp_path, "arm-next", emu.environ())
        assert any("rebuilt" in n for n in nxt["precisions"]["fp32"]["cache_warnings"])
        assert _entities(nxt) == _entities(x86)


@arm64
def test_tampered_files_are_refused_under_qemu_as_on_x86(emu, arm_artifacts, tmp_path):
    """A bundle changed after conversion, and a manifest edited to match other bytes, are refused on ARM with the
    error x86 gives."""
    folder = tmp_path / "folder"
    shutil.copytree(arm_artifacts, folder, ignore=shutil.ignore_patterns(".litert-cache"))
    bundle = folder / "gliner_bi_fp32.tflite"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 3] ^= 0x01
    bundle.write_bytes(bytes(data))
    job = _job(folder, tmp_path / "cache")
    on_x86 = _refusal([sys.executable], job, tmp_path, "x86-file")
    on_arm = _refusal(emu.command("neoverse-n1"), job, tmp_path, "arm-file", emu.environ())
    assert on_arm == on_x86
    assert "ArtifactError" in on_arm and "sha256" in on_arm

    shutil.copy2(arm_artifacts / "gliner_bi_fp32.tflite", bundle)
    man = json.loads((folder / "manifest.json").read_text())
    for art in man["artifacts"].values():
        if art["file"] == "gliner_bi_fp32.tflite":
            art["sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(man))
    on_x86 = _refusal([sys.executable], job, tmp_path, "x86-manifest")
    on_arm = _refusal(emu.command("neoverse-n1"), job, tmp_path, "arm-manifest", emu.environ())
    assert on_arm == on_x86
    assert "ArtifactError" in on_arm


# ---------------------------------------------------------------- without emulation: verdicts and rendering

def _run(ents_x86, ents_arm, ref, precision="fp32", judge=True):
    import numpy as np

    from common.variants import Precision
    from validate.arm64 import compare

    raw = {"t": np.zeros(3, np.float32)}
    return compare(Precision.parse(precision), {"t": {"0.5": ents_x86}}, raw, {"t": {"0.5": ents_arm}},
                   {"t": raw["t"] + 1e-3}, {"t": {"0.5": ref}}, [0.5], judge)


A, B, C = [0, 5, "person", 0.9], [6, 9, "location", 0.8], [10, 12, "date", 0.7]


def test_fp32_must_find_x86s_entities():
    ok = _run([A, B], [A, [6, 9, "location", 0.8000004]], [A, B])
    assert ok["failures"] == [] and ok["entity_sets_equal_x86"] == 1
    assert ok["worst_entity_score_diff"] == pytest.approx(4e-7, abs=1e-8)
    assert ok["max_abs_raw_diff"] == pytest.approx(1e-3)
    bad = _run([A, B], [A], [A, B])
    assert bad["failures"] and "1 of 1 entity sets differ" in bad["failures"][0]


def test_int8_is_judged_against_upstream_with_x86s_gate():
    from common.variants import Precision

    # ARM int8 may differ from x86 int8 and pass, if it is as good against upstream as the gate asks.
    ok = _run([A, B], [A, B], [A, B], "int8")
    assert ok["failures"] == [] and ok["vs_upstream"]["0.5"]["f1"] == 1.0
    bad = _run([A, B, C], [A], [A, B, C], "int8")
    gate = Precision.INT8.tolerance.min_entity_f1
    assert bad["failures"] == [f"entity F1 0.5000 at 0.5 < {gate:g} on ARM kernels (x86: 1.0000)"]
    assert bad["vs_upstream"]["0.5"]["differing"] == 2
    assert _run([A, B, C], [A], [A, B, C], "int8", judge=False)["failures"] == []


def test_imports_outside_the_runtime_packages_are_named(tmp_path):
    from validate.arm64 import Emulator, import_problems

    emu = Emulator(tmp_path / "qemu", tmp_path / "sysroot", tmp_path / "site", {})
    lib = tmp_path / "sysroot/usr/lib/python3.11"
    ok = {"json": str(lib / "json/__init__.py"), "sys": None, "numpy": str(tmp_path / "site/numpy/__init__.py"),
          "tokenizers": str(tmp_path / "site/tokenizers/__init__.py"),
          "ai_edge_litert": str(tmp_path / "site/ai_edge_litert/__init__.py"),
          "runtime": str(ROOT / "runtime/__init__.py")}
    assert import_problems(ok, emu) == []
    bad = import_problems({**ok, "torch": "/usr/lib/python3/torch/__init__.py", "mystery": None}, emu)
    assert any(p.startswith("torch ") for p in bad) and any(p.startswith("mystery ") for p in bad)
    assert "never imported" in import_problems({"json": ok["json"]}, emu)[-1]


def test_the_section_reaches_report_md_and_the_card():
    from validate import arm64
    from validate.report import render_markdown

    row = {"cpu": "max", **_run([A, B], [A, B], [A, B], "int8"), "passed": True}
    sec = {"qemu": "10.0.2", "python": "3.11.2", "cpus": ["max"], "texts": 1, "thresholds": [0.5],
           "precisions": ["int8"], "runs": [row], "failures": [], "passed": True}
    assert arm64.card_lines(sec) == [
        "Checked on aarch64 kernels: the runtime under qemu-aarch64 10.0.2 on `-cpu max`, 1 suite texts at thresholds "
        "0.5; int8: 1 of 1 entity sets equal x86's, worst score difference 0.0e+00, entity F1 against upstream at "
        "least 1.0000."]
    failed = {"passed": False, "failures": ["no environment"]}
    assert "failed" in arm64.card_lines(failed)[0]
    report = {"thresholds": [0.5], "model": "m", "artifacts": "a", "suite_version": "v1", "meta": {"suite_cases": 1},
              "summary": {"passed": 0, "failed": 0}, "results": [], "arm64": sec}
    md = render_markdown(report)
    assert "## aarch64 kernels (qemu)" in md and "| max | int8 | pass | 1 of 1 |" in md


def test_validate_has_the_flag():
    from validate.__main__ import parser

    a = parser().parse_args(["--model", "m", "--artifacts", "a", "--arm64"])
    assert a.arm64 and a.arm64_env.name == ".arm64"
    assert not parser().parse_args(["--model", "m", "--artifacts", "a"]).arm64


def test_no_environment_is_a_failure_that_says_what_to_do(tmp_path):
    from validate.arm64 import Arm64Error, Emulator

    with pytest.raises(Arm64Error, match="scripts.arm64_env"):
        Emulator.from_dir(tmp_path)
    with pytest.raises(Arm64Error, match="does not run"):
        Emulator(tmp_path / "no-qemu", tmp_path, tmp_path, {}).version()
