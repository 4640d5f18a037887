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


def _section(doc: str, begin: str, end: str) -> str:
    text = (REPO_ROOT / "docs" / doc).read_text(encoding="utf-8")
    assert begin in text and end in text, f"docs/{doc} lost its markers"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def test_generated_sections_are_drawn_from_their_committed_json():
    """Every figure between generated markers is what its script renders from the JSON beside it."""
    import json

    from scripts import phone_arm64, phone_gpu
    from scripts.bench import cold_start, ort_profile, threads

    cs = json.loads((REPO_ROOT / "docs" / "bench-cold-start-base-random.json").read_text())
    assert _section("PHONE.md", cold_start.BEGIN, cold_start.END) == cold_start.render(cs)
    th = json.loads((REPO_ROOT / "docs" / "bench-threads-tiny-trained.json").read_text())
    assert _section("RUNTIME.md", threads.BEGIN, threads.END) == threads.render(th)
    (op,) = sorted((REPO_ROOT / "docs" / "profile").glob("ort-vs-litert-seq*.json"))
    assert _section("PROFILE.md", ort_profile.BEGIN, ort_profile.END) == ort_profile.render(
        json.loads(op.read_text()), op.name)
    for mod, name in ((phone_arm64, "arm64-tiny-trained.json"), (phone_gpu, "gpu-tiny-trained.json")):
        doc = json.loads((REPO_ROOT / "docs" / name).read_text())
        assert _section("PHONE.md", mod.BEGIN, mod.END) == mod.render(doc, name)


def test_family_page_is_drawn_from_its_committed_json():
    """docs/FAMILY.md is scripts.family's rendering of the three JSON files beside it, and its 'converts' column is
    the verdict of the check convert runs first (upstream/architecture.py) on each checkpoint's stated encoders."""
    import json

    from scripts import family
    from scripts.family_checkpoints import verdict

    load = lambda name: json.loads((REPO_ROOT / "docs" / name).read_text())  # noqa: E731
    checkpoints = load("family-checkpoints.json")
    page = (REPO_ROOT / "docs" / "FAMILY.md").read_text()
    assert page == family.render_doc(load("family.json"), load("family-deberta.json"), checkpoints)
    refused = {c["id"] for c in checkpoints["checkpoints"] if not verdict(c)[0]}
    # The ones whose stated architecture this toolkit lacks: a LLaMA text encoder, a poly-encoder's post-fusion, a
    # DeBERTa labels encoder (the linkers).
    assert refused == {"knowledgator/gliner-bi-llama-v1.0", "knowledgator/gliner-poly-small-v1.0",
                       "knowledgator/gliner-linker-base-v1.0", "knowledgator/gliner-linker-large-v1.0"}
