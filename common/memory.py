"""Peak resident memory of this process, for conversion logs and benchmarks (Linux VmHWM, else ru_maxrss)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def proc_kib_bytes(path: str, key: str) -> int | None:
    """A `key: N kB` line of a /proc file (status, meminfo) in bytes; None where there is no such file or line."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """VmHWM on Linux. Not ru_maxrss there: the kernel carries a parent's high-water mark across fork+exec,
    so a child of a 1 GB process would report at least 1 GB whatever it loads."""
    hwm = proc_kib_bytes("/proc/self/status", "VmHWM")
    if hwm is not None:
        return hwm
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each conversion step gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
