#!/usr/bin/env bash
# Runs kvm-tui from a clone: installs the npm dev dependencies on first use, builds the one-file
# bundle when a source is newer than it, then starts it with the given arguments (none = wizard).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -lt 20 ]; then
  echo "kvm-tui needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
bundle="$here/dist/kvm-tui.js"
if [ ! -f "$bundle" ] || [ -n "$(find "$here/src" "$here/components" "$here/presets" "$here/package.json" -newer "$bundle" -print -quit)" ]; then
  (cd "$here" && node scripts/build.mjs) >&2
fi
exec node "$bundle" "$@"
