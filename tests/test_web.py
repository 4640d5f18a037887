"""The Python side of the web runtime (web/, docs/WEB.md): the --web conversion option and the generated Unicode
tables. The web runtime itself is tested by `make test-web` (node --test and headless Chromium)."""

from __future__ import annotations

import runpy
from pathlib import Path

from common.variants import WEB_SEQ_LENS, Component, Layout, all_variants
from convert.plan import plan_files
from tests.cli import run_cli
from tests.conftest import ROOT


def test_web_tables_are_current():
    """web/src/pytables.js is Python's \\w and \\s, as scripts/web_tables.py renders them with this interpreter."""
    render = runpy.run_path(str(ROOT / "scripts" / "web_tables.py"))["render"]
    assert (ROOT / "web" / "src" / "pytables.js").read_text(encoding="utf-8") == render(), (
        "regenerate it: python scripts/web_tables.py")


def test_web_bundle_plan():
    """--web: one bundle per precision holding the labels side and the web buckets with their span graphs."""
    plans = plan_files(all_variants(WEB_SEQ_LENS), Layout.BUNDLE)
    for plan in plans:
        seqs = sorted({v.seq_len for v in plan.variants if v.component.per_bucket})
        assert seqs == sorted(WEB_SEQ_LENS)
        assert {v.component for v in plan.variants} == {c for c in Component if c.serves("markerV0")}


def test_web_refuses_seed_layout(tmp_path: Path):
    res = run_cli(["python", "-m", "convert", "--model", "x", "--out", str(tmp_path / "o"), "--web", "--layout", "files"])
    assert res.returncode == 2, res.stderr
    assert "error: --web writes a bundle" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()
