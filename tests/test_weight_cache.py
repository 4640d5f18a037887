"""The XNNPACK weight cache: where it goes, that LiteRT writes and reuses it, that it is proven before use (a
corrupt or planted cache is rebuilt, never run), that nothing is written through a link or into a folder another
user can write, that concurrent first starts never use a cache still being written, and the warning when a
bundle runs without one (each signature then packs its own copy of the weights)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from runtime.cache import CACHE_DIRNAME, FACTS_SUFFIX, RECORD_SUFFIX, acquire, cache_name, temp_cache_dir
from tests.conftest import ROOT
from tests.runtime_helpers import CORE_LABELS, copy_folder, env

TEXT = "Maria Garcia joined Acme Corp in Paris on May 3, 2021 and paid 200 dollars for a Galaxy S24."


@pytest.fixture
def bundle(tiny_trained_artifacts, tmp_path) -> Path:
    """A copy of tiny-trained's fp32 bundle without the caches earlier tests left beside the original."""
    folder = copy_folder(tiny_trained_artifacts, tmp_path / "bundle", layout="bundle")
    shutil.rmtree(folder / CACHE_DIRNAME, ignore_errors=True)
    return folder


def _predict(folder: Path, **kw):
    from runtime import GLiNERLiteRT

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GLiNERLiteRT.from_pretrained(folder, num_threads=1, **kw)
        out = model.predict_entities(TEXT, CORE_LABELS)
    return out, [str(w.message) for w in caught if "cache" in str(w.message)]


def _cache(folder: Path) -> Path:
    (art,) = json.loads((folder / "manifest.json").read_text())["artifacts"].values()
    return folder / CACHE_DIRNAME / cache_name(art["sha256"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_cache_is_written_beside_the_artifacts_with_its_digest_and_reused(bundle):
    first, warned = _predict(bundle)
    assert warned == [] and first
    cache = _cache(bundle)
    assert sorted(p.name for p in cache.parent.iterdir()) == [cache.name, cache.name + FACTS_SUFFIX,
                                                               cache.name + RECORD_SUFFIX]
    (art,) = json.loads((bundle / "manifest.json").read_text())["artifacts"].values()
    facts = json.loads((cache.parent / (cache.name + FACTS_SUFFIX)).read_text())
    model = os.stat(bundle / art["file"])
    assert facts == {"model_sha256": art["sha256"], "precision": "fp32", "model_stamp": [
        model.st_dev, model.st_ino, model.st_size, model.st_mtime_ns, model.st_ctime_ns]}
    record = json.loads((cache.parent / (cache.name + RECORD_SUFFIX)).read_text())
    st = cache.stat()
    assert record == {"sha256": _sha256(cache), "bytes": st.st_size, "stamp": [
        st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]} and record["bytes"] > 0
    assert cache.parent.stat().st_mode & 0o077 == 0  # private to this user
    stamp = cache.stat().st_mtime_ns
    again, warned = _predict(bundle)
    assert again == first and warned == [] and cache.stat().st_mtime_ns == stamp  # mapped, not rebuilt


def test_a_cache_corrupt_in_the_middle_is_rebuilt_with_a_warning_naming_it(bundle, tmp_path):
    clean, _ = _predict(bundle)
    cache = _cache(bundle)
    good = cache.read_bytes()
    bad = bytearray(good)
    mid = len(bad) // 2
    bad[mid : mid + 4096] = bytes(b ^ 0x5A for b in bad[mid : mid + 4096])
    # Teeth: the flipped cache, given to LiteRT as it is, computes something else (XNNPACK checks no bytes).
    probe = tmp_path / "probe.xnnpack_cache"
    probe.write_bytes(bad)
    assert _raw_outputs_differ(bundle, probe)
    cache.write_bytes(bad)
    again, warned = _predict(bundle)
    assert again == clean
    assert len(warned) == 1 and str(cache) in warned[0] and "does not match its recorded sha256" in warned[0]
    assert cache.read_bytes() == good  # rebuilt: packing is deterministic
    assert json.loads((cache.parent / (cache.name + RECORD_SUFFIX)).read_text())["sha256"] == _sha256(cache)


def _raw_outputs_differ(folder: Path, probe: Path) -> bool:
    """Whether any signature's output differs between the flipped cache and none (where the flip lands)."""
    from runtime.engine import Engine

    (art,) = json.loads((folder / "manifest.json").read_text())["artifacts"].values()
    flipped, plain = (Engine.from_file(str(folder / art["file"]), 1, c) for c in (str(probe), None))
    for sig in plain.signatures:
        ins, _ = plain.io(sig)
        arrays = {r["name"]: np.ones(r["shape"], r["dtype"]) for r in ins}
        a, b = flipped.run(sig, arrays), plain.run(sig, arrays)
        if any(not np.array_equal(a[k], b[k]) for k in a):
            return True
    return False


def test_the_precision_verdict_is_kept_for_the_verified_bytes_only(bundle):
    """The flatbuffer walk's verdict is recorded beside the cache for the sha256 it was made on: a record naming
    other bytes is ignored (the walk runs again and refuses the swapped file as before)."""
    _predict(bundle)
    facts = _cache(bundle).parent / (_cache(bundle).name + FACTS_SUFFIX)
    record = json.loads(facts.read_text())
    facts.write_text(json.dumps({**record, "model_sha256": "0" * 64, "precision": "int8"}))
    out, warned = _predict(bundle)
    assert out and warned == []
    assert json.loads(facts.read_text()) == record  # walked again and recorded anew


def test_a_cache_without_its_record_is_not_trusted(bundle):
    clean, _ = _predict(bundle)
    cache = _cache(bundle)
    (cache.parent / (cache.name + RECORD_SUFFIX)).unlink()
    again, warned = _predict(bundle)
    assert again == clean and len(warned) == 1 and "has no digest record" in warned[0]
    assert (cache.parent / (cache.name + RECORD_SUFFIX)).is_file()


def test_a_planted_symlink_is_never_written_through(bundle, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("user data\n")
    cache = _cache(bundle)
    cache.parent.mkdir(mode=0o700)
    cache.symlink_to(victim)
    out, warned = _predict(bundle)
    assert victim.read_text() == "user data\n"
    assert out and any("symbolic link" in w and str(cache) in w for w in warned)
    assert cache.is_file() and not cache.is_symlink()


def test_a_symlinked_cache_folder_is_refused_and_its_target_untouched(bundle, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (bundle / CACHE_DIRNAME).symlink_to(target)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out, warned = _predict(bundle)
    assert out and list(target.iterdir()) == []
    assert any(f"{bundle / CACHE_DIRNAME} is a symbolic link" in w for w in warned)
    assert (tmp_path / "home" / ".cache" / "gliner-litert").is_dir()  # the next candidate took it


def test_a_folder_others_can_write_is_refused(bundle, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    out, warned = _predict(bundle, cache_dir=shared)
    assert out and list(shared.iterdir()) == []
    assert any("writable by others" in w and str(shared) in w for w in warned)
    assert any("weight cache off" in w for w in warned)


def test_a_folder_of_another_user_is_refused(bundle, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to hand a folder to another user")  # CI runs as root
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    os.chown(other, 12345, 12345)
    out, warned = _predict(bundle, cache_dir=other)
    assert out and any("owned by another user" in w for w in warned)


def test_a_poisoned_fallback_folder_is_refused(bundle, tmp_path, monkeypatch):
    """Artifacts folder and HOME unusable, and the temp fallback planted by someone else (open to all, holding a
    cache of the right name): refused, never used."""
    clean, _ = _predict(bundle)
    good = _cache(bundle)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    planted = temp_cache_dir()
    planted.mkdir()
    planted.chmod(0o777)
    poison = bytearray(good.read_bytes())
    poison[len(poison) // 2 :] = bytes(len(poison) - len(poison) // 2)
    (planted / good.name).write_bytes(poison)
    (planted / (good.name + RECORD_SUFFIX)).write_text(json.dumps({"sha256": hashlib.sha256(poison).hexdigest(),
                                                                  "bytes": len(poison)}))
    shutil.rmtree(bundle / CACHE_DIRNAME)
    (bundle / CACHE_DIRNAME).write_text("not a folder")
    monkeypatch.setenv("HOME", "/proc/gliner-litert-no-home")
    out, warned = _predict(bundle)
    assert out == clean
    assert any(str(planted) in w and "writable by others" in w for w in warned)
    assert (planted / good.name).read_bytes() == bytes(poison)


def test_unusable_folders_fall_back_to_a_private_temp_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", "/proc/gliner-litert-no-home")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cache, notes = acquire(Path("/proc/gliner-litert-no-artifacts"), "ab" * 32, None)
    try:
        assert cache is not None and cache.folder == tmp_path / f"gliner-litert-{os.geteuid()}"
        assert cache.name.startswith("ab" * 16) and cache.building and len(notes) == 2
        assert (tmp_path / f"gliner-litert-{os.geteuid()}").stat().st_mode & 0o077 == 0
    finally:
        cache.close()
    assert acquire(Path("/proc/x"), "ab" * 32, False) == (None, [])


def test_cache_off_on_a_bundle_warns_with_the_fix_and_still_predicts(bundle):
    with_cache, _ = _predict(bundle)
    without, warned = _predict(bundle, cache_dir=False)
    assert without == with_cache
    assert len(warned) == 1
    assert "cache_dir=False" in warned[0] and "signatures" in warned[0] and "cache_dir=<a folder" in warned[0]


_RACER = """
import json, sys, time
from runtime import GLiNERLiteRT
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
m = GLiNERLiteRT.from_pretrained(sys.argv[1], num_threads=1)
print(json.dumps([m.predict_entities({text!r}, {labels!r}) for _ in range(5)]))
"""


def test_concurrent_first_starts_never_use_a_cache_still_being_written(bundle):
    """Four processes open a folder with no cache at the same instant, three rounds: every call of every process
    gives the clean entities, and the cache left is whole and matches its record."""
    import time

    clean, _ = _predict(bundle)
    code = _RACER.format(text=TEXT, labels=CORE_LABELS)
    for _ in range(3):
        shutil.rmtree(bundle / CACHE_DIRNAME)
        start = time.time() + 2.0  # past every child's imports, so all create their models together
        procs = [subprocess.Popen([sys.executable, "-c", code, str(bundle), str(start)], cwd=ROOT, env=env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-2000:]
            assert json.loads(out) == [clean] * 5
        cache = _cache(bundle)
        record = json.loads((cache.parent / (cache.name + RECORD_SUFFIX)).read_text())
        assert {k: record[k] for k in ("sha256", "bytes")} == {"sha256": _sha256(cache), "bytes": cache.stat().st_size}
        assert not [p for p in cache.parent.iterdir() if p.name.endswith(".tmp")]


def test_stamps_spare_the_hash_until_a_file_changes(bundle, monkeypatch):
    """verify="stamp": a model file and its cache hashed once are not hashed again while their stamps hold; a write
    to either (even one that puts the same bytes back) makes the next start hash it in full; verify="full" hashes
    every time."""
    import runtime.artifacts as artifacts
    import runtime.cache as cache_mod

    calls = {"model": 0, "cache": 0}
    model_hash, cache_hash = artifacts.sha256_stream, cache_mod._sha256_fd
    monkeypatch.setattr(artifacts, "sha256_stream", lambda *a: calls.__setitem__("model", calls["model"] + 1)
                        or model_hash(*a))
    monkeypatch.setattr(cache_mod, "_sha256_fd", lambda *a: calls.__setitem__("cache", calls["cache"] + 1)
                        or cache_hash(*a))
    first, _ = _predict(bundle)
    assert calls == {"model": 1, "cache": 1}  # the model verified; the cache hashed once, when it was recorded
    again, _ = _predict(bundle)
    assert again == first and calls == {"model": 1, "cache": 1}
    (art,) = json.loads((bundle / "manifest.json").read_text())["artifacts"].values()
    model = bundle / art["file"]
    model.write_bytes(model.read_bytes())  # same bytes, new mtime and ctime
    _predict(bundle)
    assert calls == {"model": 2, "cache": 1}
    cache = _cache(bundle)
    cache.write_bytes(cache.read_bytes())
    _predict(bundle)
    assert calls == {"model": 2, "cache": 2}
    _predict(bundle, verify="full")
    assert calls == {"model": 3, "cache": 3}
