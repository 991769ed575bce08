#!/usr/bin/env bash
# test_map_pinned.sh BIN - `bpfvm map ... pinned` end to end: every command is a new process, so
# the map must live in the pin, not in any one process.  BIN is the bpfvm tool.

set -u
BIN=${1:?usage: test_map_pinned.sh BIN}
export BPFVM_PIN_DIR=$(mktemp -d /dev/shm/bpfvm-clitest-XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$BPFVM_PIN_DIR"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect RC OUTPUT-SUBSTRING -- command...
expect() {
    local want_rc=$1 want_out=$2; shift 2
    local out rc
    out=$("$BIN" "$@" 2>&1); rc=$?
    if [ "$rc" != "$want_rc" ]; then bad "$* -> exit $rc (want $want_rc): $out"; return; fi
    case "$out" in *"$want_out"*) ok ;; *) bad "$* -> '$out' lacks '$want_out'" ;; esac
}
json_ok() { # the output parses as JSON
    local out; out=$("$BIN" "$@" 2>&1)
    if command -v python3 >/dev/null; then
        if printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then ok; else bad "not JSON: $* -> $out"; fi
    else ok; fi
}

expect 0 "" map create pinned tc/globals/counts type hash key 4 value 8 entries 16 name counts
expect 1 "exists" map create pinned tc/globals/counts type hash key 4 value 8 entries 16
expect 0 "" map create pinned tc/globals/counts type hash key 4 value 8 entries 16 reuse
expect 1 "has type hash, key 4, value 8, max 16" \
    map create pinned tc/globals/counts type hash key 4 value 16 entries 16 reuse
expect 0 "" map update pinned tc/globals/counts key 0x01 0x00 0 0 value 5 0 0 0 0 0 0 0
expect 0 "" map update pinned tc/globals/counts key hex 02000000 value hex 0a00000000000000 noexist
expect 1 "" map update pinned tc/globals/counts key hex 02000000 value hex 0b00000000000000 noexist
expect 0 'value: 0a 00 00 00 00 00 00 00' map lookup pinned tc/globals/counts key 2 0 0 0
expect 0 '{"key":["0x01","0x00","0x00","0x00"],"value":["0x05","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}' \
    map lookup pinned tc/globals/counts key 1 0 0 0 --json
expect 1 "no such element" map lookup pinned tc/globals/counts key 3 0 0 0
expect 2 "expected 4 bytes, got 3" map lookup pinned tc/globals/counts key 1 0 0
expect 2 "not a byte" map lookup pinned tc/globals/counts key 1 0 0 256
expect 0 "Found 2 elements" map dump pinned tc/globals/counts
expect 0 '"value":["0x0a",' map dump pinned tc/globals/counts --json
json_ok map dump pinned tc/globals/counts --json
expect 0 "" map delete pinned tc/globals/counts key 1 0 0 0
expect 1 "no such element" map delete pinned tc/globals/counts key 1 0 0 0
expect 0 "Found 1 element" map dump pinned tc/globals/counts
expect 0 "tc/globals/counts" map list
expect 0 '"type":"hash","name":"counts"' map list --json
json_ok map list --json
expect 0 "key 4B  value 8B  max_entries 16" map show pinned tc/globals/counts
json_ok map show pinned tc/globals/counts --json
# per-CPU values are written to every slot and dumped per CPU, like bpftool
expect 0 "" map create pinned pc type percpu_hash key 4 value 4 entries 4
expect 0 "" map update pinned pc key 1 0 0 0 value 7 0 0 0
expect 0 '"values":[{"cpu":0,"value":["0x07","0x00","0x00","0x00"]}' map dump pinned pc -j
json_ok map dump pinned pc -j
# queue: update pushes, lookup peeks, delete pops
expect 0 "" map create pinned q type queue key 0 value 4 entries 4
expect 0 "" map update pinned q value 1 0 0 0
expect 0 "" map update pinned q value 2 0 0 0
expect 0 '{"value":["0x01","0x00","0x00","0x00"]}' map delete pinned q --json
expect 0 "value: 02 00 00 00" map lookup pinned q
# freeze is seen by the next process
expect 0 "" map create pinned arr type array key 4 value 4 entries 2
expect 0 "" map freeze pinned arr
expect 1 "" map update pinned arr key 0 0 0 0 value 1 0 0 0
expect 0 "frozen" map show pinned arr
# what cannot be pinned, and bad input
expect 2 "cannot be pinned" map create pinned pa type prog_array key 4 value 4 entries 4
expect 2 "unknown map type" map create pinned x type nosuch key 4 value 4 entries 4
expect 2 "No such file" map dump pinned nothere
printf 'hello, not a map, %04096d' 0 > "$BPFVM_PIN_DIR/junk"
expect 2 "not a bpfvm pinned map" map dump pinned junk
expect 2 "not a bpfvm pinned map" map unpin pinned junk
expect 2 ".." map dump pinned ../etc/passwd
# unpin
expect 0 "" map unpin pinned tc/globals/counts
expect 2 "No such file" map dump pinned tc/globals/counts
# --pin-dir overrides the environment
other=$(mktemp -d)
expect 0 "" map create pinned m2 type array key 4 value 4 entries 1 --pin-dir "$other"
expect 0 "$other/m2" map list --pin-dir "$other"
rm -rf "$other"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
