#!/usr/bin/env bash
# deps.sh - install what building and testing bpfvm needs on Debian 12 (run as root).
# Skips apt entirely when everything is already there.
set -euo pipefail
pkgs=(build-essential cmake clang llvm libpcap-dev tcpdump libelf-dev zlib1g-dev pkg-config gcc-bpf binutils libbpf-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
