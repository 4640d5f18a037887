"""Facts about this machine and toolchain, recorded beside every measurement (manifest, report, benchmark)."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

from common.memory import proc_kib_bytes

# Distribution names whose versions shape a converted graph or its numbers.
TOOLS = ("torch", "litert-torch", "ai-edge-litert", "ai-edge-quantizer", "gliner", "transformers", "tokenizers")
# SIMD features that decide XNNPACK's and ORT's kernels (AMX roughly halves int8 time where present).
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8")


def tool_versions(names=TOOLS) -> dict[str, str]:
    """Installed versions of `names` (distribution names), plus Python's; 'missing' where not installed."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def cpu_info() -> tuple[str, int | None, list[str]]:
    """CPU model, physical cores and the SIMD flags of SIMD_FLAGS present (from /proc/cpuinfo on Linux)."""
    model, cores, flags = platform.processor() or "unknown", set(), []
    phys = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = (x.strip() for x in line.partition(":"))
            if key == "model name":
                model = val
            elif key == "physical id":
                phys = val
            elif key == "core id":
                cores.add((phys, val))
            elif key == "flags" and not flags:
                have = set(val.split())
                flags = [f for f in SIMD_FLAGS if f in have]
    except OSError:
        pass
    return model, (len(cores) or None), flags


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def describe_machine() -> dict:
    """CPU, cores, SIMD, RAM, OS and load: what a reader needs to compare a measurement with another."""
    model, phys, flags = cpu_info()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "physical_cores": phys,
        "usable_cpus": usable,
        "simd": flags,
        "ram_bytes": proc_kib_bytes("/proc/meminfo", "MemTotal"),
        "os": os_name(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "load_avg_start": list(os.getloadavg()),
    }
