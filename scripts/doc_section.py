"""A document's generated section: the text between its BEGIN and END markers, replaced in place (written to a
temporary name and renamed), so every script that measures something redraws its own part of a doc and nothing else."""

from __future__ import annotations

from pathlib import Path

from common.files import atomic_write_bytes


def write_section(doc: Path, begin: str, end: str, block: str, title: str | None = None) -> None:
    """Puts `block` between the markers. A doc without them gets a new section `title` at its end when one is given;
    else the run stops naming the markers (a doc whose markers were lost is not rewritten)."""
    text = doc.read_text(encoding="utf-8")
    section = begin + "\n" + block + "\n" + end
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    elif title is not None:
        text = text.rstrip("\n") + "\n\n" + title + "\n\n" + section + "\n"
    else:
        raise SystemExit(f"{doc} has no markers ({begin} ... {end})")
    atomic_write_bytes(doc, text.encode())
