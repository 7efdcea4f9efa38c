#!/usr/bin/env bash
# One command for all tests on a fresh Debian/Ubuntu machine (run as root, or with sudo):
# installs the system packages the real-component tests need (QEMU, libvirt, xmllint), the npm
# dev dependencies, starts virtlogd + libvirtd when they are not running (no systemd needed),
# mounts hugetlbfs, builds the tiny test guest, runs the whole suite, then undoes what it
# started or mounted.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  libxml2-utils util-linux iproute2 tmux procps ovmf swtpm swtpm-tools)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-all: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The tiny direct-boot guest the real-QEMU tests boot (cached: rebuilt only when apt's kernel or
# busybox changes, or the builder does).
bash scripts/build-test-guest.sh "$PWD/.test-guest"
export KVM_TUI_TEST_GUEST="$PWD/.test-guest"

cleanup=()
on_exit() { for ((i=${#cleanup[@]}-1; i>=0; i--)); do eval "${cleanup[$i]}" || true; done; }
trap on_exit EXIT

# hugetlbfs must be mounted before libvirtd starts (it looks only at startup).
if ! grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
  as_root mkdir -p /dev/hugepages
  as_root mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages
  cleanup+=("as_root umount /dev/hugepages")
fi

# libvirt without systemd (see README "Tests").
if ! pgrep -x libvirtd >/dev/null; then
  getent group libvirt-qemu >/dev/null || as_root groupadd --system libvirt-qemu
  id libvirt-qemu >/dev/null 2>&1 || as_root useradd --system -g libvirt-qemu -d /var/lib/libvirt -M -s /usr/sbin/nologin libvirt-qemu
  # Without udev, /dev/kvm stays root:root 0600. libvirtd probes QEMU as root (KVM works), then
  # finds KVM unusable for the libvirt-qemu user, declares its capability cache stale and
  # re-probes on every define (~30 s each here). Do what Debian's udev rule does
  # (GROUP="kvm", MODE="0660") for the test run, and put it back afterwards.
  if [ -c /dev/kvm ] && ! as_root runuser -u libvirt-qemu -- test -r /dev/kvm -a -w /dev/kvm 2>/dev/null; then
    kvm_owner=$(stat -c '%U:%G' /dev/kvm); kvm_mode=$(stat -c '%a' /dev/kvm)
    echo "test-all: /dev/kvm is $kvm_owner $kvm_mode (no udev): group kvm, mode 0660 for this run, as udev would set it"
    getent group kvm >/dev/null || as_root groupadd --system kvm
    id -nG libvirt-qemu | tr ' ' '\n' | grep -qx kvm || as_root usermod -aG kvm libvirt-qemu
    as_root chgrp kvm /dev/kvm && as_root chmod 0660 /dev/kvm
    cleanup+=("as_root chown $kvm_owner /dev/kvm; as_root chmod $kvm_mode /dev/kvm")
  fi
  # libvirt-daemon-system ships /var/log/libvirt/qemu; without it (packages installed with
  # --no-install-recommends, no systemd) a domain with a serial log file does not start.
  as_root mkdir -p /var/log/libvirt/qemu
  pgrep -x virtlogd >/dev/null || { as_root virtlogd -d; cleanup+=("as_root pkill -x virtlogd"); }
  as_root libvirtd -d
  cleanup+=("as_root pkill -x libvirtd")
fi
# The first connection may block while libvirt probes QEMU: wait for it, with a limit.
timeout 90 bash -c 'until virsh -c qemu:///system version >/dev/null 2>&1; do sleep 0.5; done' \
  || { echo "test-all: libvirtd did not answer within 90 s" >&2; exit 1; }

export KVM_TUI_TEST_LIBVIRT=qemu:///system
echo "test-all: type check (tsc --noEmit)"
npm run --silent typecheck
echo "test-all: fast suite (npm test)"
npm test
echo "test-all: real QEMU / libvirt suite (npm run test:real)"
npm run test:real
