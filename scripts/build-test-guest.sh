#!/usr/bin/env bash
# Builds the tiny direct-boot guest the real-QEMU tests start: a Debian cloud kernel and a busybox
# initramfs, from Debian packages only (apt-get download + dpkg-deb -x; no compiler, no root
# needed unless apt's lists are missing).
#
#   bash scripts/build-test-guest.sh [OUTDIR]      (default: .test-guest at the project root)
#
# OUTDIR/vmlinux      the kernel as an uncompressed PVH ELF, unpacked from the bzImage's LZ4
#                     payload: QEMU jumps straight in, no in-guest decompression (faster under TCG)
# OUTDIR/vmlinuz      the bzImage as packaged (used when vmlinux could not be extracted)
# OUTDIR/initrd.cpio  newc archive (uncompressed) made by busybox cpio
# OUTDIR/build-info   what it was built from; KERNEL= names the kernel file to boot
#
# The guest's /init (PID 1) loads the ACPI power button and evdev, opens the button's input
# device, then prints "KVMTUI-READY cpus=N" on the console (console=ttyS0). With "busy=1" on the
# kernel command line it pins one busy loop to every vCPU and prints "KVMTUI-BUSY loops=N". On the
# first power-button event (QMP system_powerdown) it prints "KVMTUI-POWERBUTTON" and powers off.
#
# Cached: when build-info names what apt would fetch now (and this script is unchanged), nothing is
# rebuilt. A build goes into a temporary directory beside OUTDIR that is renamed into place, so a
# failed or interrupted build never leaves half a guest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
self="$here/scripts/$(basename "$0")"

out="${1:-$here/.test-guest}"
out="${out%/}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

export LC_ALL=C            # apt-cache output is parsed below
kmeta=linux-image-cloud-amd64
bbpkg=busybox-static

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# apt's lists may be absent on a fresh machine (test-all.sh updates only when it installs
# something): refresh them once, on the first failure, and try again.
updated=0
apt_update() {
  [ "$updated" = 0 ] || return 1
  updated=1
  echo "test guest: apt-get update" >&2
  as_root apt-get update -qq
}
# The concrete kernel package behind the meta package, and the versions apt would fetch now. One
# apt-cache call where possible: without a pkgcache.bin each call rebuilds apt's cache (~1 s).
resolve() {
  local info
  info=$(apt-cache show --no-all-versions "$kmeta" "$bbpkg" 2>/dev/null) || return 1
  read -r kpkg kver bbver < <(awk -v m="$kmeta" -v b="$bbpkg" '
    /^Package: / { p = $2 }
    p == m && /^Depends: / && !k {
      for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-/) {
        k = $i; sub(/,$/, "", k)
        if ($(i + 1) == "(=") { v = $(i + 2); sub(/\),?$/, "", v) }
        break
      }
    }
    p == b && /^Version: / { bv = $2 }
    END { print (k ? k : "-"), (v ? v : "-"), (bv ? bv : "-") }' <<< "$info")
  [ "$kpkg" != - ] && [ "$bbver" != - ] || return 1
  if [ "$kver" = - ]; then   # the meta package does not pin its kernel: ask for the candidate
    kver=$(apt-cache policy "$kpkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    [ -n "$kver" ] && [ "$kver" != "(none)" ] || return 1
  fi
}
resolve || { apt_update && resolve; } || { echo "test guest: apt knows no $kmeta / $bbpkg" >&2; exit 1; }

# The cache key: what would be built now. The script's own hash makes an edited /init rebuild.
key="KPKG=$kpkg
KPKG_VERSION=$kver
BUSYBOX_VERSION=$bbver
BUILDER=$(sha256sum "$self" | cut -d' ' -f1)"

if [ -f "$out/build-info" ] && [ "$(head -n4 "$out/build-info")" = "$key" ]; then
  kfile=$(sed -n 's/^KERNEL=//p' "$out/build-info")
  if [ -n "$kfile" ] && [ -f "$out/$kfile" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.cpio" ]; then
    echo "test guest: up to date in $out"
    exit 0
  fi
fi

base=$(basename "$out")
tmp=$(mktemp -d "$(dirname "$out")/.${base#.}.tmp.XXXXXX")   # .test-guest.tmp.*: same file system
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dest="$tmp/out"; work="$tmp/work"
mkdir -p "$dest" "$work/debs" "$work/k" "$work/bb" "$work/root"
chmod 755 "$tmp" "$work" "$work/debs"   # apt's _apt user may write the downloads

download() {  # download PKG[=VERSION] -> the .deb in $work/debs
  local get=(apt-get download -qq -o APT::Sandbox::User=root "$1")
  (cd "$work/debs" && "${get[@]}") || { apt_update && (cd "$work/debs" && "${get[@]}"); }
}
deb() { local f=("$work/debs/$1"_*.deb); [ -f "${f[0]}" ] || return 1; echo "${f[0]}"; }

echo "test guest: building in $out from $kpkg $kver and $bbpkg $bbver"
download "$kpkg=$kver"
download "$bbpkg=$bbver"
dpkg-deb -x "$(deb "$kpkg")" "$work/k"
dpkg-deb -x "$(deb "$bbpkg")" "$work/bb"
mods=("$work"/k/lib/modules/* "$work"/k/usr/lib/modules/*)   # /usr/lib on merged-/usr kernels
moddir=""; for m in "${mods[@]}"; do [ -d "$m" ] && { moddir=$m; break; }; done
[ -n "$moddir" ] || { echo "test guest: no modules in $kpkg" >&2; exit 1; }
kabi=$(basename "$moddir")
bb="$work/bb/bin/busybox"

# ---- kernel ----
cp "$work/k/boot/vmlinuz-$kabi" "$dest/vmlinuz"
lz4bin=$(command -v lz4 || true)
if [ -z "$lz4bin" ] && download lz4; then   # the lz4 CLI from Debian when it is not installed
  dpkg-deb -x "$(deb lz4)" "$work/lz4" && lz4bin="$work/lz4/usr/bin/lz4"
fi
# bzImage header (Documentation/arch/x86/boot.rst): setup_sects at 0x1f1, payload_offset and
# payload_length at 0x248/0x24c, relative to the protected-mode code after the setup sectors.
# lz4 also sees the 4-byte size trailer and complains; the ELF magic says whether it worked.
kernel=vmlinuz
if [ -n "$lz4bin" ]; then
  u8()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
  u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
  ss=$(u8 "$dest/vmlinuz" 497); po=$(u32 "$dest/vmlinuz" 584); pl=$(u32 "$dest/vmlinuz" 588)
  tail -c +$(( (ss + 1) * 512 + po + 1 )) "$dest/vmlinuz" | head -c "$pl" |
    "$lz4bin" -dc > "$dest/vmlinux" 2>/dev/null || true
  if [ "$(head -c 4 "$dest/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
    kernel=vmlinux
  else
    rm -f "$dest/vmlinux"
  fi
fi
if [ "$kernel" = vmlinux ]; then
  echo "test guest: kernel is vmlinux (uncompressed PVH ELF from the bzImage's LZ4 payload)"
else
  why="no lz4"; [ -z "$lz4bin" ] || why="$lz4bin gave no ELF"
  echo "test guest: vmlinux extraction failed ($why); kernel is vmlinuz (bzImage)"
fi

# ---- initramfs ----
r="$work/root"
mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/lib/modules"
cp "$bb" "$r/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
# The cloud kernel has the ACPI button and evdev as modules (CONFIG_ACPI_BUTTON=m, INPUT_EVDEV=m).
for m in drivers/acpi/button drivers/input/evdev; do
  f=("$moddir/kernel/$m".ko*)   # .ko, or .ko.xz/.ko.zst on newer kernels
  [ -f "${f[0]}" ] || { echo "test guest: $m.ko missing from $kpkg" >&2; exit 1; }
  cp "${f[0]}" "$r/lib/modules/"
done
# The kernel's built-in initramfs already has /dev/console; these need root and are a spare.
if [ "$(id -u)" -eq 0 ]; then
  mknod -m 600 "$r/dev/console" c 5 1
  mknod -m 666 "$r/dev/null" c 1 3
fi

cat > "$r/init" <<'EOF'
#!/bin/sh
# kvm-tui test guest, PID 1. Kernel command line words like busy=1 arrive as variables.
# No set -e and no plain exec: if PID 1 exits the kernel panics.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
insmod /lib/modules/button.ko* 2>/dev/null
insmod /lib/modules/evdev.ko* 2>/dev/null
# Open the power button's event device BEFORE printing READY: its evdev client exists from then
# on, so a system_powerdown sent as soon as the marker shows up is not lost.
ev=
for d in /sys/class/input/event*; do
  if [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ]; then ev=/dev/input/${d##*/}; break; fi
done
if [ -n "$ev" ] && ! command exec 3< "$ev"; then ev=; fi
[ -n "$ev" ] || echo "KVMTUI-NO-POWERBUTTON-DEVICE"
n=$(nproc)
echo "KVMTUI-READY cpus=$n"
if [ "${busy:-0}" = 1 ]; then
  i=0
  while [ "$i" -lt "$n" ]; do
    taskset -c "$i" sh -c 'while :; do :; done' &
    i=$((i + 1))
  done
  echo "KVMTUI-BUSY loops=$n"
fi
if [ -n "$ev" ]; then
  head -c 24 <&3 >/dev/null   # blocks until the first struct input_event (24 bytes on x86-64)
  echo "KVMTUI-POWERBUTTON"
  poweroff -f
fi
while :; do sleep 3600; done
EOF
chmod 755 "$r/init"

(cd "$r" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) > "$dest/initrd.cpio"
printf '%s\nKABI=%s\nKERNEL=%s\n' "$key" "$kabi" "$kernel" > "$dest/build-info"

# Into place: the old guest (if any) moves into $tmp and goes with it.
if [ -e "$out" ]; then mv "$out" "$tmp/old"; fi
mv "$dest" "$out"
echo "test guest: built in $out ($(du -sh "$out" | cut -f1))"
