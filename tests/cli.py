"""Running the toolkit's CLIs as a user does: a subprocess from the repository root, the venv on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli_env() -> dict[str, str]:
    """Offline, the venv first on PATH (so a printed `python -m ...` is this venv's), one torch thread: on a
    busy 2-core machine torch's default threads made upstream ~10x slower."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_cli(argv: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    """`argv` as a shell would run it (argv[0] looked up on PATH), output captured as text."""
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=cli_env(), timeout=timeout)
