#!/usr/bin/env bash
# demo.sh - build bpfvm and run the seed's "drop TCP port 22" tc program on two packets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target bpfvm >/dev/null
bpfvm=build/bpfvm
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Two Ethernet/IPv4/TCP packets: one to port 22 (ssh), one to port 80.
eth='\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00'
ip='\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
tcp_rest='\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x00\x00\x00\x00'
printf "$eth$ip"'\x30\x39\x00\x16'"$tcp_rest" > "$out/ssh.pkt"
printf "$eth$ip"'\x30\x39\x00\x50'"$tcp_rest" > "$out/http.pkt"

echo "== the program (examples/drop_tcp22.s), assembled and disassembled =="
$bpfvm asm examples/drop_tcp22.s -o "$out/drop_tcp22.bin"
$bpfvm disasm "$out/drop_tcp22.bin"
echo
echo "== TCP packet to port 22: expect retval 2 (TC_ACT_SHOT) =="
$bpfvm prog run "$out/drop_tcp22.bin" --type tc --data-in "$out/ssh.pkt" --repeat 1000
echo
echo "== TCP packet to port 80: expect retval 0 (TC_ACT_OK), as JSON =="
$bpfvm prog run "$out/drop_tcp22.bin" --type tc --data-in "$out/http.pkt" --json
echo
echo "== the same filter as tcpdump writes it, byte-for-byte like 'tcpdump -d' =="
$bpfvm filter -d 'tcp dst port 22'
