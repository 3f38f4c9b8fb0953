#!/usr/bin/env bash
# Install everything hmmci needs on Debian 12: the system packages (as root, or through sudo when
# run as another user) and, unless --system-only, the npm dependencies (npm ci also compiles the
# TypeScript). The package list is the one `hmmci doctor` checks (src/common/tools.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  qemu-system-x86 linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev
  busybox-static cpio kmod ccache git xz-utils
  b4
)
if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi

export DEBIAN_FRONTEND=noninteractive
echo "hmmci setup: apt-get install ${packages[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

if [ "${1:-}" != --system-only ]; then
  echo "hmmci setup: npm ci" >&2
  npm ci
fi
