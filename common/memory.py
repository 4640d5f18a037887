"""Peak resident memory of this process, for conversion logs and benchmarks (Linux VmHWM, else ru_maxrss)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_bytes() -> int:
    """VmHWM on Linux. Not ru_maxrss there: the kernel carries a parent's high-water mark across fork+exec,
    so a child of a 1 GB process would report at least 1 GB whatever it loads."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each conversion step gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
