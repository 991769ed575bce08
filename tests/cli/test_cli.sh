#!/usr/bin/env bash
# test_cli.sh BPFVM SRCDIR - the bpfvm command as a user drives it: raw and typed runs, the
# seed examples, trace output, classic BPF, seccomp, and the exit-status convention
# (0 ok, 1 the program failed or was rejected, 2 bad usage or input).
set -u
BIN=${1:?usage: test_cli.sh BPFVM SRCDIR}
SRC=${2:?usage: test_cli.sh BPFVM SRCDIR}
T=$(mktemp -d)
export BPFVM_PIN_DIR=$T/pins
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect RC SUBSTRING command... : exit status and a substring of stdout+stderr
expect() {
    local want_rc=$1 want_out=$2; shift 2
    local out rc
    out=$("$BIN" "$@" 2>&1); rc=$?
    if [ "$rc" != "$want_rc" ]; then bad "$* -> exit $rc (want $want_rc): $out"; return; fi
    case "$out" in *"$want_out"*) ok ;; *) bad "$* -> '$out' lacks '$want_out'" ;; esac
}

# packets: IPv4/TCP to port 22 and to port 80
eth='\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00'
ip='\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
rest='\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x00\x00\x00\x00'
printf "$eth$ip"'\x30\x39\x00\x16'"$rest" > $T/ssh.pkt
printf "$eth$ip"'\x30\x39\x00\x50'"$rest" > $T/http.pkt

# the seed's tc program, typed and raw
expect 0 "retval: 2 " prog run $SRC/examples/drop_tcp22.s --type tc --data-in $T/ssh.pkt
expect 0 '"retval":0' prog run $SRC/examples/drop_tcp22.s --type tc --data-in $T/http.pkt --json
expect 0 '"retval":0' prog run $SRC/examples/drop_tcp22.s --type tc --data-in $T/http.pkt --json --interp
expect 1 "invalid read" prog run $SRC/examples/drop_tcp22.s --data-in $T/ssh.pkt
expect 2 "unknown program type" prog run $SRC/examples/drop_tcp22.s --type nosuch
expect 2 "cannot open" prog run $T/missing.s
expect 2 "unknown option" prog run $SRC/examples/drop_tcp22.s --bogus

# the verifier: typed programs are verified when loaded; bpfvm verify reports in the kernel's words
printf 'r2 = *(u32 *)(r1 + 76)\nr0 = *(u8 *)(r2 + 0)\nexit\n' > $T/unsafe.s
expect 1 "invalid access to packet" prog run $T/unsafe.s --type tc --data-in $T/ssh.pkt
expect 0 "retval: 0" prog run $T/unsafe.s --type tc --data-in $T/ssh.pkt --no-verify
expect 1 "invalid access to packet, off=0 size=1" verify $T/unsafe.s --type tc
expect 0 "" verify $SRC/examples/drop_tcp22.s --type tc
printf 'r0 = *(u32 *)(r1 + 200)\nexit\n' > $T/badctx.s
expect 1 "invalid bpf_context access off=200 size=4" verify $T/badctx.s --type xdp
expect 1 "processed" verify $T/badctx.s --type xdp --log-level 2

# assemble, disassemble, run the bytecode
expect 0 "" asm $SRC/examples/drop_tcp22.s -o $T/p.bin
expect 0 "if r5 != 5632 goto +2" disasm $T/p.bin
expect 0 "retval: 2 " prog run $T/p.bin --type tc --data-in $T/ssh.pkt
expect 0 "bytes of x86-64" disasm $T/p.bin --jited
expect 0 "separate copy" disasm $T/p.bin --jited --unchecked
expect 0 "   0: r2 = *(u32 *)(r1 + 76)" disasm $T/p.bin --direct --unchecked
expect 0 "(direct-entry copy)" disasm $T/p.bin --direct --unchecked
expect 1 "no direct-entry copy" disasm $T/p.bin --direct
printf 'r0 = 1\nbogus\n' > $T/bad.s
expect 1 "line 2" asm $T/bad.s -o $T/bad.bin
head -c 12 $T/p.bin > $T/trunc.bin
expect 2 "not a whole number of 8-byte instructions" prog run $T/trunc.bin

# trace: bpf_trace_printk("hi %d\n", 7, 42) through helper 6, read back with bpfvm trace
cat > $T/trace.s <<'ASM'
        r1 = 0xa6425206968 ll
        *(u64 *)(r10 - 8) = r1
        r1 = r10
        r1 += -8
        r2 = 7
        r3 = 42
        call 6
        r0 = 0
        exit
ASM
expect 0 "retval: 0" prog run $T/trace.s
expect 0 "bpf_trace_printk: hi 42" trace
out=$("$BIN" trace); [ -z "$out" ] && ok || bad "trace did not consume its lines: $out"

# classic BPF: the seed's tcpdump -d example, an xt_bpf bytecode string, filtering
expect 0 "(012) ldh      [x + 16]" filter -d 'tcp dst port 22'
expect 0 "(001) jeq      #0x6             jt 2	jf 3" filter -d '4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0'
expect 2 "" filter -d 'tcp dst port'

# seccomp: the seed's "allow only read" policy
printf 'default kill\nallow read\n' > $T/readonly.policy
printf 'read(3, "x", 1) = 1\nwrite(1, "x", 1) = 1\n' > $T/calls.txt
expect 0 "write(1, 0, 1) -> kill_process" seccomp check $T/readonly.policy --syscalls $T/calls.txt
expect 0 "read(3, 0, 1) -> allow" seccomp check $T/readonly.policy --syscalls $T/calls.txt

# usage
expect 2 "unknown command" frobnicate
expect 0 "commands:" --help

echo "$pass passed, $fail failed"
[ $fail = 0 ]
