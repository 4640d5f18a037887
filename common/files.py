"""Files and folders written under a temporary name and renamed into place, so a kill never leaves half of one;
the temporaries a writer makes recorded, so its next run removes exactly those."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

# Every temporary this module makes is a dot-name ending in TMP_SUFFIX beside its target. A writer that must
# clean up after a kill (SIGKILL runs no cleanup) records each name in a TempJournal before creating it and, on
# its next run, removes exactly those: never a user's file that happens to look like one.
TMP_SUFFIX = ".tmp"
JOURNAL = ".gliner-litert-temps"


class TempJournal:
    """The temporaries one writer makes in one folder, each name recorded (and synced) before it is created."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL

    def _new_name(self, dest: Path) -> Path:
        dest = Path(dest)
        if dest.parent.resolve() != self.folder.resolve():
            raise ValueError(f"{dest} is not in {self.folder}, the folder this journal records")
        name = f".{dest.name}.{secrets.token_hex(6)}{TMP_SUFFIX}"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, (name + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return self.folder / name

    def file(self, dest: Path) -> Path:
        """An empty temporary file beside `dest`, recorded."""
        tmp = self._new_name(dest)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        return tmp

    def dir(self, dest: Path) -> Path:
        """An empty temporary folder beside `dest`, recorded."""
        tmp = self._new_name(dest)
        os.mkdir(tmp, 0o700)
        return tmp

    def clean(self) -> list[Path]:
        """Removes what an earlier run recorded and left (a kill), then the record; returns what it removed."""
        try:
            names = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        removed = []
        for name in dict.fromkeys(names):
            # Only plain names of our own form: the record is a file in a folder others may write to.
            if "/" in name or not name.startswith(".") or not name.endswith(TMP_SUFFIX) or name in (".", ".."):
                continue
            p = self.folder / name
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
        self.path.unlink(missing_ok=True)
        return removed


def atomic_write_bytes(path: Path, data: bytes, journal: TempJournal | None = None) -> None:
    """Write beside the target under a temporary name, fsync, rename into place."""
    path = Path(path)
    if journal is None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    else:
        tmp = journal._new_name(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
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


def temp_file(dest: Path, journal: TempJournal | None = None) -> Path:
    """An empty temporary file beside `dest` (recorded in `journal` when given)."""
    dest = Path(dest)
    if journal is not None:
        return journal.file(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TMP_SUFFIX, dir=dest.parent)
    os.close(fd)
    return Path(tmp)


def temp_dir(dest: Path, journal: TempJournal | None = None) -> Path:
    """An empty temporary folder beside `dest` (same naming as `temp_file`)."""
    dest = Path(dest)
    if journal is not None:
        return journal.dir(dest)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=TMP_SUFFIX, dir=dest.parent))


def publish_file(tmp: Path, dest: Path) -> None:
    """Renames a finished temporary file into place, readable by all."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def replace_dir(tmp: Path, dest: Path, journal: TempJournal | None = None) -> None:
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
        old = temp_dir(dest, journal)
        os.replace(dest, old / dest.name)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def building_dir(dest: Path, journal: TempJournal | None = None):
    """`with building_dir(out) as tmp:` fill `tmp`; on success it replaces `out`, on any error it is removed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(dest, journal)
    try:
        yield tmp
        replace_dir(tmp, dest, journal)
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


REPO_ROOT = Path(__file__).resolve().parents[1]


def shown_path(path: str | os.PathLike) -> str:
    """A path as committed documents and reports may show it: relative to the repository when inside it, else
    its last two parts after '…/' (a reader learns which folder, never this machine's layout or user)."""
    if not os.path.isabs(path) and not os.path.exists(path):
        return str(path)  # a hub id, or a name that is not a path here
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(REPO_ROOT).as_posix() or "."
    except ValueError:
        parts = p.parts[-2:]
        return "…/" + "/".join(parts)


def shown_argv(argv) -> list[str]:
    """A command line as documents show it: every absolute path in it (also after `name=`) through shown_path."""
    def one(a: str) -> str:
        if os.path.isabs(a):
            return shown_path(a)
        k, eq, v = a.partition("=")
        return f"{k}={shown_path(v)}" if eq and os.path.isabs(v) else a
    return [one(a) for a in map(str, argv)]
