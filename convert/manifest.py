"""manifest.json: the one description of an artifacts folder. Written atomically; read by validate and runtime."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from common.manifest import MANIFEST, SCHEMA_VERSION  # noqa: F401 (re-exported for readers of convert.manifest)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target under a temporary name, fsync, rename into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def replace_dir(tmp: Path, dest: Path) -> None:
    """Moves a completely written folder into place: an old `dest` is removed only once `tmp` is done."""
    os.chmod(tmp, 0o755)  # mkdtemp makes 0700
    if Path(dest).exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)


def read(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: manifest schema {data.get('schema_version')!r}, expected {SCHEMA_VERSION}; reconvert with --force")
    return data


def write(folder: Path, manifest: dict) -> None:
    manifest = dict(manifest, schema_version=SCHEMA_VERSION)
    atomic_write_bytes(Path(folder) / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
