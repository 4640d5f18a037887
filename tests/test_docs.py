"""Committed documents name no folder of the machine that wrote them, and the writers record paths so."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from common.files import REPO_ROOT, shown_argv, shown_path

# A machine's own folders: a user's home or the workspace this project was built in, and temporary folders.
MACHINE_PATH = re.compile(r"(?<![\w.$])/(?:work|root|home|tmp)/\w")


def test_committed_documents_name_no_machine_folder():
    files = subprocess.run(["git", "ls-files", "docs", "README.md"], cwd=REPO_ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(files) > 20
    hits = [f"{f}:{n}: {line.strip()[:120]}" for f in files if not f.endswith((".png", ".svg"))
            for n, line in enumerate((REPO_ROOT / f).read_text(errors="replace").splitlines(), 1)
            if MACHINE_PATH.search(line)]
    assert not hits, "machine-local paths in committed documents:\n" + "\n".join(hits)


def test_shown_path_keeps_the_repository_relative_and_hides_the_rest(tmp_path):
    assert shown_path(REPO_ROOT / "build" / "x") == "build/x"
    assert shown_path(REPO_ROOT) == "."
    outside = tmp_path / "deep" / "models" / "base"
    assert shown_path(outside) == "…/models/base"
    assert not MACHINE_PATH.search(shown_path(outside))
    assert shown_path("knowledgator/gliner-bi-base-v2.0") == "knowledgator/gliner-bi-base-v2.0"  # a hub id
    assert shown_argv(["--work", str(outside), f"edge={outside}", "--x"]) == [
        "--work", "…/models/base", "edge=…/models/base", "--x"]
