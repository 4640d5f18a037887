"""An aarch64 environment for the runtime under emulation, in a folder of its own, never installed over the host:

    python -m scripts.arm64_env [--dir .arm64] [--with-qemu72]

- `qemu/`: qemu-aarch64 from Debian's bookworm-backports `qemu-user` (10.0.x, a static binary), pinned by version
  and sha256. Debian 12's own qemu-user-static (7.2) is wrong twice: it passes the host's /proc/cpuinfo through
  (LiteRT's CPU detection then segfaults creating a CompiledModel) and its SME emulation computes wrong int8 results
  on `-cpu max` (tiny-trained int8 found 12 of 74 entities, F1 0.26). qemu 10 needs no workaround and agrees with
  x86. `--with-qemu72` also unpacks 7.2 into `qemu72/` (with an ARM cpuinfo in its own sysroot view), for the test
  that proves a wrong emulator fails the check.
- `sysroot/`: Debian bookworm's arm64 python3.11 and the libraries it and the wheels load, unpacked with `dpkg -x`
  from packages `apt-get download` fetched through a private apt configuration (its own lists and cache: the
  host's apt state and architectures are not touched).
- `site/`: requirements-runtime.txt's three packages as aarch64 wheels (`pip download --platform`), unpacked.

Idempotent: a finished environment is recorded in `env.json` (what was unpacked, which versions) and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / ".arm64"
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
ENV_VERSION = 1

# (package, version, pool path, sha256). 10.0.x is the first Debian qemu this was measured right with; a newer
# one should be measured (make test-arm64, including its 7.2 control) before the pin moves.
QEMU = ("qemu-user", "1:10.0.2+ds-2+deb13u1~bpo12+1",
        "pool/main/q/qemu/qemu-user_10.0.2+ds-2+deb13u1~bpo12+1_amd64.deb",
        "10a2dec99f2b2d0b1097ff0375aea35b89322d6631fc96700511b02e05bf6fef")
QEMU72 = ("qemu-user-static", "1:7.2+dfsg-7+deb12u18+b3",
          "pool/main/q/qemu/qemu-user-static_7.2+dfsg-7+deb12u18+b3_amd64.deb",
          "c3e3ba2bd87f8c5b9a5da5ef21b5a3b82d7c63b89dd448d9ddaa4eabc5b6e402")

# python3.11-minimal and libpython3.11-stdlib with the libraries they, numpy, tokenizers and ai-edge-litert load
# (libmpdec3 has no arm64 package of that name in bookworm and `decimal` is not used; readline, ncurses, sqlite,
# db5.3 and tirpc serve modules the runtime never imports).
ARM_PACKAGES = (
    "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libc6", "libgcc-s1", "libstdc++6",
    "zlib1g", "libexpat1", "libssl3", "libffi8", "libbz2-1.0", "liblzma5", "libcrypt1", "libuuid1",
)
WHEEL_PLATFORMS = ("manylinux_2_27_aarch64", "manylinux_2_28_aarch64", "manylinux_2_17_aarch64",
                   "manylinux2014_aarch64")

# What LiteRT reads as the machine's CPU under qemu 7.2 (which would pass the x86 host's through): an ARM one.
ARM_CPUINFO = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1

"""


class EnvError(Exception):
    """The environment cannot be built; the message says what failed and what to do."""


def log(msg: str) -> None:
    print(f"arm64_env: {msg}", flush=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fetch_pinned(spec: tuple[str, str, str, str], into: Path) -> Path:
    name, version, pool, sha = spec
    deb = into / Path(pool).name
    if not (deb.is_file() and _sha256(deb) == sha):
        log(f"downloading {name} {version}")
        tmp = deb.with_suffix(".part")
        try:
            with urllib.request.urlopen(f"{MIRROR}/{pool}", timeout=120) as r, open(tmp, "wb") as f:
                shutil.copyfileobj(r, f)
        except OSError as e:
            raise EnvError(f"cannot download {MIRROR}/{pool} ({e}); if the mirror dropped {name} {version}, "
                           "measure the newer one with make test-arm64 and move the pin in scripts/arm64_env.py")
        got = _sha256(tmp)
        if got != sha:
            raise EnvError(f"{name} {version}: sha256 {got} differs from the pinned {sha}; refusing it")
        tmp.rename(deb)
    return deb


def _unpack_qemu(deb: Path, out: Path) -> Path:
    """qemu-aarch64 alone out of a qemu-user(-static) package (the others are 370 MB we never run)."""
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        found = [p for p in (Path(tmp) / "usr" / "bin").glob("qemu-aarch64*") if p.name in
                 ("qemu-aarch64", "qemu-aarch64-static")]
        if not found:
            raise EnvError(f"{deb.name} holds no usr/bin/qemu-aarch64")
        out.mkdir(parents=True, exist_ok=True)
        shutil.move(str(found[0]), out / "qemu-aarch64")
    return out / "qemu-aarch64"


def _apt(apt_dir: Path) -> list[str]:
    """apt-get options of a private configuration: its own sources, lists, cache and (empty) dpkg status."""
    for d in ("lists/partial", "cache/archives/partial"):
        (apt_dir / d).mkdir(parents=True, exist_ok=True)
    (apt_dir / "status").touch()
    sources = apt_dir / "sources.list"
    sources.write_text(
        f"deb [arch=arm64 signed-by={KEYRING}] {MIRROR} bookworm main\n"
        f"deb [arch=arm64 signed-by={KEYRING}] http://deb.debian.org/debian-security bookworm-security main\n")
    return ["-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State={apt_dir}", "-o", f"Dir::State::Lists={apt_dir / 'lists'}",
            "-o", f"Dir::State::status={apt_dir / 'status'}", "-o", f"Dir::Cache={apt_dir / 'cache'}",
            "-o", "APT::Architectures::=arm64", "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-q"]


def _sysroot(env: Path) -> dict[str, str]:
    apt_dir, debs, sysroot = env / "apt", env / "debs", env / "sysroot"
    opts = _apt(apt_dir)
    log("apt-get update (private lists: bookworm arm64)")
    subprocess.run(["apt-get", *opts, "update"], check=True, stdout=subprocess.DEVNULL)
    debs.mkdir(exist_ok=True)
    for old in debs.glob("*.deb"):
        old.unlink()
    log(f"apt-get download {len(ARM_PACKAGES)} arm64 packages")
    subprocess.run(["apt-get", *opts, "download", *[f"{p}:arm64" for p in ARM_PACKAGES]], check=True, cwd=debs,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(sysroot, ignore_errors=True)
    versions = {}
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(sysroot)], check=True)
        name, version = deb.name.split("_")[:2]
        versions[name] = version.replace("%3a", ":")
    if not (sysroot / "usr" / "bin" / "python3.11").is_file():
        raise EnvError(f"{sysroot}/usr/bin/python3.11 is missing after unpacking {debs}")
    return versions


def runtime_pins() -> list[str]:
    """requirements-runtime.txt's pins and their declared dependencies (extras not asked for skipped), each at the
    version this venv runs: the ARM run imports the same code as the x86 one."""
    from importlib import metadata as md

    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
    todo = [re.match(r"[A-Za-z0-9_.-]+", line).group() for line in
            (ROOT / "requirements-runtime.txt").read_text().splitlines() if line.split("#")[0].strip()]
    seen: dict[str, str] = {}
    while todo:
        name = norm(todo.pop())
        if name in seen:
            continue
        try:
            seen[name] = md.version(name)
        except md.PackageNotFoundError:
            continue  # a platform-conditional dependency this machine does not have
        todo += [re.match(r"[A-Za-z0-9_.-]+", r).group() for r in md.requires(name) or []
                 if "extra ==" not in r.replace('"', "'").replace("extra==", "extra ==")]
    return [f"{n}=={v}" for n, v in sorted(seen.items())]


def _site(env: Path) -> dict[str, str]:
    """runtime_pins() as aarch64 wheels (pure-Python ones as they are), unpacked; the probe records every module
    the runtime imports."""
    wheels, site = env / "wheels", env / "site"
    shutil.rmtree(wheels, ignore_errors=True)
    plats = [a for p in WHEEL_PLATFORMS for a in ("--platform", p)]
    log("pip download aarch64 wheels of requirements-runtime.txt and their dependencies, at this venv's versions")
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", *plats,
                    "--python-version", "3.11", "--implementation", "cp", "-d", str(wheels), *runtime_pins()],
                   check=True)
    shutil.rmtree(site, ignore_errors=True)
    versions = {}
    for whl in sorted(wheels.glob("*.whl")):
        if "aarch64" not in whl.name and not whl.name.endswith("-none-any.whl"):
            raise EnvError(f"{whl.name} is not an aarch64 wheel")
        with zipfile.ZipFile(whl) as z:
            z.extractall(site)
        name, version = whl.name.split("-")[:2]
        versions[name] = version
    for so in site.rglob("*.so*"):
        so.chmod(so.stat().st_mode | 0o111)
    return versions


def _qemu72_view(env: Path) -> Path:
    """qemu 7.2's sysroot: the same files (links) plus an ARM /proc/cpuinfo, which 7.2 reads under -L first; the
    real sysroot has none, so qemu 10 is shown it never gets one."""
    view = env / "sysroot72"
    shutil.rmtree(view, ignore_errors=True)
    view.mkdir()
    for entry in (env / "sysroot").iterdir():
        (view / entry.name).symlink_to(entry.resolve())
    (view / "proc").mkdir()
    (view / "proc" / "cpuinfo").write_text(ARM_CPUINFO)
    return view


def qemu_version(qemu: Path) -> str:
    out = subprocess.run([str(qemu), "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else out.strip()


def build(env: Path = DEFAULT_DIR, with_qemu72: bool = False) -> dict:
    """Builds (or reuses) the environment in `env`; returns env.json's record."""
    env = Path(env).resolve()
    env.mkdir(parents=True, exist_ok=True)
    record_path = env / "env.json"
    want = {"env_version": ENV_VERSION, "qemu": QEMU[1], "pins": runtime_pins()}
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    if {k: record.get(k) for k in want} != want:
        record_path.unlink(missing_ok=True)
        qemu = _unpack_qemu(_fetch_pinned(QEMU, env), env / "qemu")
        record = {**want, "qemu_version": qemu_version(qemu), "debs": _sysroot(env), "wheels": _site(env)}
        for deb in env.glob("qemu-user*.deb"):
            deb.unlink()  # 62 MB each; qemu/ keeps the binary
        atomic = record_path.with_suffix(".tmp")
        atomic.write_text(json.dumps(record, indent=2) + "\n")
        atomic.rename(record_path)
    if with_qemu72 and not (env / "qemu72" / "qemu-aarch64").is_file():
        _unpack_qemu(_fetch_pinned(QEMU72, env), env / "qemu72")
        for deb in env.glob("qemu-user-static*.deb"):
            deb.unlink()
    if with_qemu72 and not (env / "sysroot72" / "proc" / "cpuinfo").is_file():
        _qemu72_view(env)
    log(f"ready: {env} (qemu {record['qemu_version']}, python3.11 {record['debs'].get('python3.11-minimal')}, "
        + ", ".join(f"{k} {v}" for k, v in record["wheels"].items()) + ")")
    return record


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.arm64_env", description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the environment goes (default: %(default)s)")
    ap.add_argument("--with-qemu72", action="store_true", help="also Debian 12's qemu 7.2, for the control test")
    a = ap.parse_args(argv)
    try:
        build(a.dir, a.with_qemu72)
    except (EnvError, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
