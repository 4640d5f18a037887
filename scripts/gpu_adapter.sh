#!/bin/sh
# A software Vulkan adapter for LiteRT's GPU accelerator: mesa 25's lavapipe, unpacked into a folder, never installed.
#
#   scripts/gpu_adapter.sh [OUT]        (make gpu-adapter; OUT defaults to build/gpu-adapter)
#
# Why mesa 25: the GPU accelerator of ai-edge-litert (WebGPU over Dawn) asks Vulkan for an adapter, and Dawn refuses
# Debian 12's lavapipe (mesa 22.3: it lacks features Dawn requires), so LiteRT says "No adapters found". The lavapipe
# of bookworm-backports' mesa-vulkan-drivers (25.x, built for Debian 12) is accepted. apt runs on a private package
# list inside OUT (the system's sources and dpkg database are only read), the packages are fetched with
# `apt-get download` and unpacked with `dpkg -x`; OUT/env.sh and OUT/env.json say which VK_ICD_FILENAMES and
# LD_LIBRARY_PATH make a process see it. Idempotent: a complete OUT is left as is.
set -eu

OUT=${1:-build/gpu-adapter}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm-backports
# mesa 25 needs libdrm >= 2.4.121 (bookworm has 2.4.114): these come from backports whatever is installed.
FROM_BACKPORTS="mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libdrm-common"

if [ -f "$OUT/env.json" ] && [ -f "$OUT/lvp_icd.json" ]; then
    echo "gpu-adapter: $OUT is ready ($(sed -n 's/.*"mesa": "\([^"]*\)".*/mesa \1/p' "$OUT/env.json"))"
    exit 0
fi
for tool in apt-get apt-cache dpkg dpkg-query; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found: make gpu-adapter needs a Debian 12 (bookworm) machine" >&2; exit 2; }
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
APT="$OUT/apt"
rm -rf "$APT" "$OUT/root" "$OUT/debs"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$OUT/debs"
printf 'deb %s bookworm main\ndeb %s %s main\n' "$MIRROR" "$MIRROR" "$SUITE" > "$APT/sources.list"
# Backports as the default release: apt then resolves mesa's versioned dependencies (libdrm) from there.
set -- -o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/none" \
    -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "APT::Default-Release=$SUITE" \
    -o "Debug::NoLocking=1"
if ! apt-get "$@" -q update >"$APT/update.log" 2>&1 || ! apt-cache "$@" show "mesa-vulkan-drivers/$SUITE" >/dev/null 2>&1; then
    tail -5 "$APT/update.log" >&2
    echo "error: could not read $SUITE from $MIRROR; with network access (or a reachable Debian mirror) run:" >&2
    echo "  make gpu-adapter DEBIAN_MIRROR=http://<reachable mirror>/debian" >&2
    exit 2
fi

# What to fetch: the backports packages above, and every package of mesa-vulkan-drivers' dependency closure this
# machine lacks (a fresh machine may lack the Vulkan loader or the X/Wayland client libraries). Installed ones are
# used as they are: libc6 and friends must stay the system's.
closure=$(apt-cache "$@" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances --no-pre-depends "mesa-vulkan-drivers/$SUITE" | sed -n 's/^\([a-z0-9][a-z0-9.+-]*\)$/\1/p' | sort -u)
want="$FROM_BACKPORTS"
for p in $closure; do
    case " $FROM_BACKPORTS " in *" $p "*) continue ;; esac
    if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p:amd64" 2>/dev/null || dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" != "ii " ]; then
        want="$want $p"
    fi
done
echo "gpu-adapter: fetching $want"
# shellcheck disable=SC2086
if ! (cd "$OUT/debs" && apt-get "$@" -q download $want >"$APT/download.log" 2>&1); then
    tail -5 "$APT/download.log" >&2
    echo "error: apt-get download failed; with network access run:  make gpu-adapter DEBIAN_MIRROR=http://<reachable mirror>/debian" >&2
    exit 2
fi
for deb in "$OUT"/debs/*.deb; do dpkg -x "$deb" "$OUT/root"; done

ARCHLIB="$OUT/root/usr/lib/x86_64-linux-gnu"
LVP="$ARCHLIB/libvulkan_lvp.so"
[ -f "$LVP" ] || { echo "error: $LVP missing after unpacking mesa-vulkan-drivers" >&2; exit 2; }
MESA=$(dpkg-deb -f "$OUT"/debs/mesa-vulkan-drivers_*.deb Version)
# The package's ICD names /usr/lib/...; this one names the unpacked library.
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$LVP\"#" \
    "$OUT/root/usr/share/vulkan/icd.d/lvp_icd"*.json > "$OUT/lvp_icd.json.tmp"
LIBS="$ARCHLIB"
if LD_LIBRARY_PATH="$LIBS" ldd "$LVP" | grep -q "not found"; then
    LD_LIBRARY_PATH="$LIBS" ldd "$LVP" | grep "not found" >&2
    echo "error: lavapipe's libraries are incomplete (above); rm -rf $OUT and rerun make gpu-adapter" >&2
    exit 2
fi
printf 'export VK_ICD_FILENAMES=%s\nexport LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n' \
    "$OUT/lvp_icd.json" "$LIBS" > "$OUT/env.sh"
printf '{\n  "mesa": "%s",\n  "source": "%s %s",\n  "packages": "%s",\n  "env": {"VK_ICD_FILENAMES": "%s", "LD_LIBRARY_PATH": "%s"}\n}\n' \
    "$MESA" "$MIRROR" "$SUITE" "$(echo $want)" "$OUT/lvp_icd.json" "$LIBS" > "$OUT/env.json.tmp"
mv "$OUT/env.json.tmp" "$OUT/env.json"
# Written last: its presence marks a complete folder.
mv "$OUT/lvp_icd.json.tmp" "$OUT/lvp_icd.json"
echo "gpu-adapter: lavapipe from mesa $MESA in $OUT (source $OUT/env.sh, or validate --gpu reads $OUT/env.json)"
