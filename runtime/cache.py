"""A model file's XNNPACK weight cache: in a folder private to this user, proven by a digest of its bytes before
use, built under a name of its own and renamed into place, never reached through a link.

XNNPACK checks a cache's header and sizes, not its bytes: a cache with 4 KiB flipped in the middle runs as it is
(measured on tiny-trained fp32: six entities at 0.99 became none, with no error). So the runtime records the
sha256 of each cache it builds beside it (`<cache>.sha256`) and uses an existing cache only if its bytes match.
Each process builds into a temporary name of its own and renames it into place with its record, under a lock
on the folder, so a process never reads a cache another is still writing (two processes truncating and
appending to one file made a cache of the wrong size that every process then used). LiteRT is given
`/proc/self/fd/<folder fd>/<name>` (or the verified file's own descriptor): the folder checked is the folder
written, whatever is renamed meanwhile.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# A hidden folder in the artifacts folder: not listed in the manifest, so checksums and validation ignore it.
CACHE_DIRNAME = ".litert-cache"
RECORD_SUFFIX = ".sha256"
FACTS_SUFFIX = ".facts"  # what was learned about the model file's verified bytes (its precision), not re-derived
_TMP_SUFFIX = ".tmp"
_PROC_FD = Path("/proc/self/fd")  # Linux and Android: a path naming an open descriptor's file or folder


class CacheRefused(Exception):
    """A folder or file the cache may not use; the message says why and what to do."""


def user_cache_dir() -> Path:
    """The per-user fallback (~/.cache/gliner-litert); pass `cache_dir` to put it elsewhere."""
    return Path.home() / ".cache" / "gliner-litert"


def temp_cache_dir() -> Path:
    """The last fallback: a folder of this user's in the temp folder (named by uid: another user's is not ours)."""
    return Path(tempfile.gettempdir()) / f"gliner-litert-{os.geteuid()}"


def cache_name(file_sha256: str) -> str:
    """The cache of a model file: its sha256 and the ai-edge-litert version, so a reconverted file or an upgraded
    runtime never meets a cache of another model or packing."""
    try:
        version = metadata.version("ai-edge-litert")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{file_sha256[:32]}-litert{version}.xnnpack_cache"


def candidates(artifacts: Path, cache_dir) -> list[tuple[Path, bool]]:
    """(folder, may create its parents) in order of preference. `cache_dir` None: beside the artifacts, the
    user's cache, the temp folder; a folder: that one only, and nothing above it is created."""
    if cache_dir is False:
        return []
    if cache_dir not in (None, True):
        return [(Path(cache_dir), False)]
    return [(Path(artifacts) / CACHE_DIRNAME, False), (user_cache_dir(), True), (temp_cache_dir(), True)]


def open_private_dir(folder: Path, parents: bool) -> int:
    """A descriptor of `folder` (created 0700 if missing), refused unless it is a real folder (not a link) owned
    by this user and writable by no one else: anyone who can write in it could plant a cache or a link."""
    try:
        if parents:
            folder.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise CacheRefused(f"{folder} cannot be created ({e.strerror or e})") from None
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        why = "is a symbolic link" if e.errno in (errno.ELOOP, errno.ENOTDIR) else f"cannot be opened ({e.strerror})"
        raise CacheRefused(f"{folder} {why}; the cache folder must be a folder of this user's") from None
    st = os.fstat(fd)
    problem = None
    if st.st_uid != os.geteuid():
        problem = f"is owned by another user (uid {st.st_uid}, this process runs as {os.geteuid()})"
    elif st.st_mode & 0o022:
        problem = (f"is writable by others (mode {stat.S_IMODE(st.st_mode):o}): anyone could plant a cache there; "
                   f"`chmod go-w {folder}` makes it usable")
    elif not os.access(f"{_PROC_FD}/{fd}" if _PROC_FD.is_dir() else folder, os.W_OK | os.X_OK):
        problem = "is not writable by this user"
    if problem:
        os.close(fd)
        raise CacheRefused(f"{folder} {problem}")
    return fd


@dataclass
class WeightCache:
    """One model file's cache slot. `litert_path` is what LiteRT opens: the verified cache, or a fresh temporary
    of this process's that `commit()` records and renames into place once the model is created."""

    folder: Path
    dir_fd: int
    name: str
    litert_path: str
    building: bool
    model_sha256: str = ""
    notes: list[str] = field(default_factory=list)  # what was found and rebuilt, for a warning
    _tmp: str | None = None
    _file_fd: int | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def commit(self) -> None:
        """After the model is created (XNNPACK has written every packed weight by then): the built cache's sha256
        recorded, both renamed into place under the folder's lock. A cache that did not get built is dropped."""
        if not self.building or self._tmp is None:
            return
        tmp, self._tmp = self._tmp, None
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.dir_fd)
        except OSError:
            return
        try:
            size = os.fstat(fd).st_size
            digest = _sha256_fd(fd) if size else None
        finally:
            os.close(fd)
        if not size:  # LiteRT ran without it (e.g. nothing to pack): leave nothing behind
            os.unlink(tmp, dir_fd=self.dir_fd)
            return
        with _Locked(self.dir_fd):
            # Under the lock a reader reads the record and opens the cache together, so it sees one pair: the
            # cache renamed into place, then its record (with the stamp the rename gave it).
            os.rename(tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
            st = os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
            _write_record(self.dir_fd, self.name, {"sha256": digest, "bytes": size, "stamp": stamp(st)})

    def fact(self, key: str):
        """A fact about the model file recorded earlier by `remember` (None if none): the folder is private to
        this user and the record names the full sha256 of the bytes it describes."""
        return self._facts().get(key)

    def _facts(self) -> dict:
        try:
            fd = os.open(self.name + FACTS_SUFFIX, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=self.dir_fd)
        except OSError:
            return {}
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}
            facts = json.loads(os.read(fd, 4096))
        except (OSError, ValueError):
            return {}
        finally:
            os.close(fd)
        if not isinstance(facts, dict) or facts.get("model_sha256") != self.model_sha256:
            return {}
        return facts

    def remember(self, key: str, value) -> None:
        """Records a fact about the verified model file beside its cache (written whole, then renamed)."""
        facts = {"model_sha256": self.model_sha256, **self._facts(), key: value}
        tmp = f".{self.name}{FACTS_SUFFIX}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=self.dir_fd)
            try:
                os.write(fd, json.dumps(facts).encode())
            finally:
                os.close(fd)
            os.rename(tmp, self.name + FACTS_SUFFIX, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except OSError:
            _unlink_quiet(tmp, self.dir_fd)  # a fact not kept is only computed again next time

    def close(self) -> None:
        """Drops a temporary that was never committed and the descriptors (LiteRT keeps its own mapping)."""
        if self._tmp is not None:
            try:
                os.unlink(self._tmp, dir_fd=self.dir_fd)
            except OSError:
                pass
            self._tmp = None
        for fd in (self._file_fd, self.dir_fd):
            if fd is not None:
                os.close(fd)
        self._file_fd = None
        self.dir_fd = -1


class _Locked:
    """flock on the cache folder: commits and the reading of a (record, cache) pair do not interleave."""

    def __init__(self, dir_fd: int):
        self.fd = dir_fd

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def stamp(st: os.stat_result) -> list[int]:
    """What changes whenever a file is changed through the file system: its identity, size, mtime and ctime (a
    write, truncate, rename or copy over it moves ctime, which no unprivileged call can set back)."""
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _sha256_fd(fd: int) -> str:
    h = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        chunk = os.read(fd, 1 << 22)  # hashlib releases the GIL on large chunks: another thread may run meanwhile
        if not chunk:
            return h.hexdigest()
        h.update(chunk)


def _proc_path(dir_fd: int, folder: Path, name: str) -> str:
    return f"{_PROC_FD}/{dir_fd}/{name}" if _PROC_FD.is_dir() else str(folder / name)


def acquire(artifacts: Path, file_sha256: str, cache_dir, verify: str = "stamp") -> tuple[WeightCache | None, list[str]]:
    """The cache slot of a model file and the notes a caller should warn with: folders refused (and why), a cache
    found corrupt or planted and rebuilt. (None, notes) when no folder can hold a cache.

    `verify`: "stamp" hashes an existing cache in full when its stamp (identity, size, mtime, ctime) differs from
    the one recorded when it was last hashed, "full" on every start."""
    notes: list[str] = []
    name = cache_name(file_sha256)
    for folder, parents in candidates(Path(artifacts), cache_dir):
        try:
            dir_fd = open_private_dir(folder, parents)
        except CacheRefused as e:
            notes.append(f"weight cache folder refused: {e}")
            continue
        try:
            slot = _slot(folder, dir_fd, name, notes, full=verify == "full")
            slot.model_sha256 = file_sha256
            return slot, notes
        except CacheRefused as e:
            os.close(dir_fd)
            notes.append(f"weight cache refused: {e}")
        except OSError as e:
            os.close(dir_fd)
            notes.append(f"weight cache folder {folder} unusable ({e.strerror or e})")
    return None, notes


def _slot(folder: Path, dir_fd: int, name: str, notes: list[str], full: bool) -> WeightCache:
    _remove_dead_temps(dir_fd, name)
    with _Locked(dir_fd):
        found = _open_existing(folder, dir_fd, name, notes)
    if found is not None:
        fd, record, st = found
        verified = record is not None and record.get("bytes") == st.st_size and (
            (not full and record.get("stamp") == stamp(st)) or record.get("sha256") == _sha256_fd(fd))
        if verified:
            if record.get("stamp") != stamp(st):  # hashed (a copy, a restore): the next start needs no hash
                with _Locked(dir_fd):
                    if os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_ino == st.st_ino:
                        _write_record(dir_fd, name, {**record, "stamp": stamp(st)})
            return WeightCache(folder, dir_fd, name, f"{_PROC_FD}/{fd}" if _PROC_FD.is_dir() else str(folder / name),
                               building=False, notes=notes, _file_fd=fd)
        os.close(fd)
        why = "has no digest record (an older runtime wrote it, or a run died)" if record is None else \
            "does not match its recorded sha256 (corrupt or changed on disk)"
        notes.append(f"weight cache {folder / name} {why}: rebuilt")
        with _Locked(dir_fd):
            try:  # the same file only: another process may have committed a good one meanwhile
                if os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_ino == st.st_ino:
                    os.unlink(name, dir_fd=dir_fd)
                    _unlink_quiet(name + RECORD_SUFFIX, dir_fd)
            except FileNotFoundError:
                pass
    tmp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd))
    return WeightCache(folder, dir_fd, name, _proc_path(dir_fd, folder, tmp), building=True, notes=notes, _tmp=tmp)


def _open_existing(folder: Path, dir_fd: int, name: str, notes: list[str]):
    """(descriptor, record or None, stat) of the cache in place, or None. Anything but a regular file at the name
    (a link planted to make us write elsewhere, a fifo) is removed, never followed."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(st.st_mode):
        raise CacheRefused(f"{folder / name} is a folder, not a cache file; remove it")
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        notes.append(f"weight cache {folder / name} was {kind}; removed (never followed) and rebuilt")
        os.unlink(name, dir_fd=dir_fd)
        _unlink_quiet(name + RECORD_SUFFIX, dir_fd)
        return None
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    fst = os.fstat(fd)
    record = None
    try:
        rfd = os.open(name + RECORD_SUFFIX, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            if stat.S_ISREG(os.fstat(rfd).st_mode):
                record = json.loads(os.read(rfd, 4096))
        finally:
            os.close(rfd)
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict):
        record = None
    return fd, record, fst


def _unlink_quiet(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def _write_record(dir_fd: int, name: str, record: dict) -> None:
    """`<name>.sha256`, written whole under a temporary name and renamed (the caller holds the folder's lock)."""
    tmp = f".{name}{RECORD_SUFFIX}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        os.write(fd, json.dumps(record).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, name + RECORD_SUFFIX, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


def _remove_dead_temps(dir_fd: int, name: str) -> None:
    """Temporaries of this cache left by processes that died while building (their pid is in the name)."""
    prefixes = (f".{name}.", f".{name}{RECORD_SUFFIX}.", f".{name}{FACTS_SUFFIX}.")
    for entry in os.listdir(dir_fd):
        if not entry.endswith(_TMP_SUFFIX) or not entry.startswith(prefixes):
            continue
        try:
            pid = int(entry.rsplit(".", 3)[-3])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not _alive(pid):
            _unlink_quiet(entry, dir_fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
