"""Files and folders written under a temporary name and renamed into place, so a kill never leaves half of one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

# Every temporary this module makes is a dot-name ending in TMP_SUFFIX beside its target, so a rerun after a
# kill (SIGKILL runs no cleanup) can find and remove them: files and folders alike.
TMP_SUFFIX = ".tmp"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target under a temporary name, fsync, rename into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; artifacts are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temp_file(dest: Path) -> Path:
    """An empty temporary file beside `dest`, named so `remove_stale_temps` finds it after a kill."""
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TMP_SUFFIX, dir=dest.parent)
    os.close(fd)
    return Path(tmp)


def temp_dir(dest: Path) -> Path:
    """An empty temporary folder beside `dest` (same naming as `temp_file`)."""
    dest = Path(dest)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=TMP_SUFFIX, dir=dest.parent))


def publish_file(tmp: Path, dest: Path) -> None:
    """Renames a finished temporary file into place, readable by all."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def replace_dir(tmp: Path, dest: Path) -> None:
    """Moves a completely written folder into place.

    The old `dest` is first renamed aside (to a temp name), then `tmp` renamed to `dest`, then the old copy
    removed: a kill at any point leaves either the old complete folder or the new one at `dest` (plus a stale
    temp that the next run removes), never a half-deleted folder.
    """
    tmp, dest = Path(tmp), Path(dest)
    for p in [tmp, *tmp.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)  # mkdtemp makes 0700
    old = None
    if dest.exists():
        old = temp_dir(dest)
        os.replace(dest, old / dest.name)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def building_dir(dest: Path):
    """`with building_dir(out) as tmp:` fill `tmp`; on success it replaces `out`, on any error it is removed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(dest)
    try:
        yield tmp
        replace_dir(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def writable_dir(folder: Path) -> OSError | None:
    """Creates `folder` if missing and writes a temporary file in it: None if that worked, else the error."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
        return None
    except OSError as e:
        return e


def remove_stale_temps(folder: Path) -> list[Path]:
    """Removes the temporaries a killed run left in `folder` (files and folders); returns what it removed."""
    removed = []
    for p in Path(folder).glob(f".*{TMP_SUFFIX}"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed
