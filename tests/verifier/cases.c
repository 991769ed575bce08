/* cases.c - the verifier's hand-written test set: one or more programs per rule of issue 6.
 * Every verdict is compared with the running kernel's in test_verifier_kernel.c. */
#include <stddef.h>

#include "cases.h"

#define SKF 1
#define TC 3
#define XDP 6
#define HASH48 {{1, 4, 8, 16}}
/* hash of struct { struct bpf_spin_lock l; u32 x; } */
#define LOCKMAP {{1, 4, 8, 16, 1}}
/* map 0: an 8-byte ARRAY (the inner template), map 1: outer map of type T holding it */
#define MIM(T) {{2, 4, 8, 4}, {T, 4, 4, 2, 0, 1}}
#define ARRAY48 {{2, 4, 8, 4}}
#define RINGBUF {{27, 0, 0, 4096}}

/* XDP prologue: r2 = data, r3 = data_end */
#define XP "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\n"
/* map lookup of key 0 in map 0 -> r0 */
#define LOOKUP "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\n"
#define LOOKUP_OUTER "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:1] ll\ncall 1\n"
#define LOOKUP_K1 "r1 = 1\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\n"

const struct vcase vcases[] = {
    /* ---- structure ---- */
    {"exit without r0", SKF, 'R', "R0 !read_ok", "exit\n"},
    {"minimal", SKF, 'A', NULL, "r0 = 0\nexit\n"},
    {"unreachable insn", SKF, 'R', "unreachable insn 2", "r0 = 0\nexit\nr0 = 1\nexit\n"},
    {"fall off the end", SKF, 'R', "last insn is not an exit or jmp", "r0 = 0\nr0 += 1\n"},
    {"jump out of range", SKF, 'R', "jump out of range", "r0 = 0\ngoto +5\nexit\n"},
    {"infinite loop", SKF, 'R', "infinite loop detected", "r0 = 0\nl: if r0 == 0 goto l\nexit\n"},
    {"bounded loop", SKF, 'A', NULL, "r0 = 0\nr1 = 0\nl: r1 += 1\nr0 += r1\nif r1 < 10 goto l\nexit\n"},
    {"loop too long", SKF, 'R', "too large", "r0 = 0\nr1 = 0\nl: r1 += 1\nif r1 != 0 goto l\nexit\n"},
    {"div by imm zero", SKF, 'R', "div by zero", "r0 = 1\nr0 /= 0\nexit\n"},
    {"div by reg zero", SKF, 'A', NULL, "r0 = 1\nr1 = 0\nr0 /= r1\nexit\n"},
    {"mod by reg maybe zero", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr0 = 7\nr0 %= r1\nexit\n"},
    {"shift 64", SKF, 'R', "invalid shift 64", "r0 = 1\nr0 <<= 64\nexit\n"},
    {"shift32 by 32", SKF, 'R', "invalid shift 32", "w0 = 1\nw0 <<= 32\nexit\n"},
    {"uninit register", SKF, 'R', "R2 !read_ok", "r0 = r2\nexit\n"},
    {"uninit cond", SKF, 'R', "R3 !read_ok", "r0 = 0\nif r3 > 1 goto +0\nexit\n"},
    /* ---- stack ---- */
    {"stack spill fill scalar", SKF, 'A', NULL, "r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n"},
    {"stack out of bounds", SKF, 'R', "invalid write to stack R10 off=-520 size=8", "r0 = 0\n*(u64 *)(r10 - 520) = r0\nexit\n"},
    {"stack above fp", SKF, 'R', "stack", "r0 = 0\n*(u64 *)(r10 + 0) = r0\nexit\n"},
    {"stack misaligned", SKF, 'R', "misaligned stack access", "r0 = 0\n*(u64 *)(r10 - 12) = r0\nexit\n"},
    {"stack uninit read (root)", SKF, 'A', NULL, "r0 = *(u64 *)(r10 - 8)\nexit\n"},
    {"spill ctx fill and use", SKF, 'A', NULL, "*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r2 + 0)\nexit\n"},
    {"partial fill of pointer", SKF, 'R', "invalid size of register fill", "*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit\n"},
    {"partial spill of pointer", SKF, 'R', "invalid size of register spill", "*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit\n"},
    {"stack zero bytes read as 0", SKF, 'A', NULL, "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr0 = *(u32 *)(r10 - 4)\nexit\n"},
    {"fp arithmetic then access", SKF, 'A', NULL, "r2 = r10\nr2 += -16\nr3 = 1\n*(u64 *)(r2 + 8) = r3\nr0 = *(u64 *)(r10 - 8)\nexit\n"},
    /* ---- context ---- */
    {"xdp data/data_end", XDP, 'A', NULL, XP "r0 = 2\nexit\n"},
    {"xdp ctx out of range", XDP, 'R', "invalid bpf_context access off=24 size=4", "r0 = *(u32 *)(r1 + 24)\nexit\n"},
    {"xdp narrow data", XDP, 'R', "invalid bpf_context access", "r0 = *(u16 *)(r1 + 0)\nexit\n"},
    {"xdp ctx write", XDP, 'R', "invalid bpf_context access", "r2 = 0\n*(u32 *)(r1 + 12) = r2\nr0 = 0\nexit\n"},
    {"skf len", SKF, 'A', NULL, "r0 = *(u32 *)(r1 + 0)\nexit\n"},
    {"skf narrow len", SKF, 'A', NULL, "r0 = *(u8 *)(r1 + 0)\nexit\n"},
    {"skf data not allowed", SKF, 'R', "invalid bpf_context access", "r0 = *(u32 *)(r1 + 76)\nexit\n"},
    {"skf write cb", SKF, 'A', NULL, "r2 = 1\n*(u32 *)(r1 + 48) = r2\nr0 = 0\nexit\n"},
    {"skf write mark", SKF, 'R', "invalid bpf_context access", "r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit\n"},
    {"tc write mark", TC, 'A', NULL, "r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit\n"},
    {"st imm into ctx", SKF, 'A', NULL, "*(u32 *)(r1 + 48) = 1\nr0 = 0\nexit\n"},
    {"modified ctx pointer", SKF, 'R', "dereference of modified ctx ptr", "r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit\n"},
    {"ld_abs in skf", SKF, 'A', NULL, "r6 = r1\nr0 = *(u8 *)skb[12]\nexit\n"},
    {"ld_abs in xdp", XDP, 'R', "BPF_LD_[ABS|IND] instructions not allowed", "r6 = r1\nr0 = *(u8 *)skb[12]\nexit\n"},
    {"ld_abs clobbers r1", SKF, 'R', "R1 !read_ok", "r6 = r1\nr0 = *(u8 *)skb[12]\nr0 = r1\nexit\n"},
    /* ---- packet ---- */
    {"pkt read unchecked", XDP, 'R', "invalid access to packet", XP "r0 = *(u8 *)(r2 + 0)\nexit\n"},
    {"pkt read checked", XDP, 'A', NULL, XP "r4 = r2\nr4 += 14\nif r4 > r3 goto out\nr0 = *(u8 *)(r2 + 13)\nexit\nout: r0 = 2\nexit\n"},
    {"pkt read one past", XDP, 'R', "invalid access to packet, off=14 size=1", XP "r4 = r2\nr4 += 14\nif r4 > r3 goto out\nr0 = *(u8 *)(r2 + 14)\nexit\nout: r0 = 2\nexit\n"},
    {"pkt lt form right-open", XDP, 'A', NULL, XP "r4 = r2\nr4 += 14\nif r4 < r3 goto ok\nr0 = 2\nexit\nok: r0 = *(u8 *)(r2 + 14)\nexit\n"},
    {"pkt end on the left", XDP, 'A', NULL, XP "r4 = r2\nr4 += 14\nif r3 < r4 goto out\nr0 = *(u16 *)(r2 + 12)\nexit\nout: r0 = 2\nexit\n"},
    {"pkt wrong branch", XDP, 'R', "invalid access to packet", XP "r4 = r2\nr4 += 14\nif r4 > r3 goto bad\nr0 = 2\nexit\nbad: r0 = *(u8 *)(r2 + 0)\nexit\n"},
    {"pkt write", XDP, 'A', NULL, XP "r4 = r2\nr4 += 4\nif r4 > r3 goto out\nr5 = 7\n*(u32 *)(r2 + 0) = r5\nout: r0 = 2\nexit\n"},
    {"pkt variable offset", XDP, 'A', NULL, XP "r4 = r2\nr4 += 1\nif r4 > r3 goto out\nr5 = *(u8 *)(r2 + 0)\nr5 &= 15\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr0 = *(u32 *)(r2 + 0)\nexit\nout: r0 = 2\nexit\n"},
    {"pkt plus unbounded", XDP, 'R', NULL, "r6 = r1\ncall 7\nr2 = *(u32 *)(r6 + 0)\nr0 <<= 32\nr0 s>>= 32\nr2 += r0\nr0 = 2\nexit\n"},
    {"pkt_end arithmetic", XDP, 'R', "pointer arithmetic on pkt_end prohibited", XP "r3 += 1\nr0 = 2\nexit\n"},
    {"pkt_end deref", XDP, 'R', "R3 invalid mem access 'pkt_end'", XP "r0 = *(u8 *)(r3 + 0)\nexit\n"},
    {"pkt meta checked", XDP, 'A', NULL, XP "r4 = *(u32 *)(r1 + 8)\nr5 = r4\nr5 += 4\nif r5 > r2 goto out\nr0 = *(u32 *)(r4 + 0)\nexit\nout: r0 = 2\nexit\n"},
    {"tc pkt read checked", TC, 'A', NULL, "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 2\nif r4 > r3 goto out\nr0 = *(u16 *)(r2 + 0)\nexit\nout: r0 = 0\nexit\n"},
    {"pkt loop bounded", XDP, 'A', NULL, XP "r0 = 0\nr6 = 0\nl: r4 = r2\nr4 += r6\nr5 = r4\nr5 += 1\nif r5 > r3 goto out\nr7 = *(u8 *)(r4 + 0)\nr0 += r7\nr6 += 1\nif r6 < 8 goto l\nout: exit\n"},
    {"adjust_head invalidates", XDP, 'R', "invalid mem access 'scalar'", XP "r6 = r2\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr2 = 0\ncall 44\nr0 = *(u8 *)(r6 + 0)\nexit\nout: r0 = 2\nexit\n"},
    /* ---- maps ---- */
    {"lookup null-checked", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\nout: exit\n", HASH48},
    {"lookup unchecked", SKF, 'R', "R0 invalid mem access 'map_value_or_null'", LOOKUP "r0 = *(u64 *)(r0 + 0)\nexit\n", HASH48},
    {"lookup past value", SKF, 'R', "invalid access to map value, value_size=8 off=8 size=4", LOOKUP "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 8)\nout: exit\n", HASH48},
    {"lookup uninit key (root)", SKF, 'A', NULL, "r2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit\n", HASH48},
    {"lookup key outside stack", SKF, 'R', "stack", "r2 = r10\nr2 += -2\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit\n", HASH48},
    {"update from stack", SKF, 'A', NULL, "r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nexit\n", HASH48},
    {"update value too short", SKF, 'R', "stack", "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -4\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nexit\n", HASH48},
    {"map ptr as key", SKF, 'R', "R2 type=map_ptr", "r1 = map[idx:0] ll\nr2 = r1\ncall 1\nr0 = 0\nexit\n", HASH48},
    {"lookup scalar as map", SKF, 'R', "R1 type=scalar expected=map_ptr", "r1 = 0\nr2 = r10\nr2 += -8\n*(u64 *)(r10 - 8) = r1\ncall 1\nr0 = 0\nexit\n"},
    {"array const key 0 non-null", SKF, 'A', NULL, LOOKUP "r0 = *(u64 *)(r0 + 0)\nexit\n", ARRAY48},
    {"array key 1 still nullable", SKF, 'R', "map_value_or_null", LOOKUP_K1 "r0 = *(u64 *)(r0 + 0)\nexit\n", {{2, 4, 8, 1}}},
    {"null check on copy", SKF, 'A', NULL, LOOKUP "r6 = r0\nif r0 == 0 goto out\nr0 = *(u64 *)(r6 + 0)\nout: r0 = 0\nexit\n", HASH48},
    {"null check jne", SKF, 'A', NULL, LOOKUP "if r0 != 0 goto ok\nexit\nok: r0 = *(u64 *)(r0 + 0)\nexit\n", HASH48},
    {"null branch is null", SKF, 'R', "invalid mem access 'scalar'", LOOKUP "if r0 != 0 goto ok\nr0 = *(u64 *)(r0 + 0)\nexit\nok: r0 = 0\nexit\n", HASH48},
    {"map value masked index", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nr1 &= 7\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value unbounded index", SKF, 'R', "unbounded memory access", LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value checked index", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nif r1 > 7 goto out\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value index off by one", SKF, 'R', "invalid access to map value", LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nif r1 > 8 goto out\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value jmp32 index", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nw1 = *(u32 *)(r0 + 0)\nif w1 > 4 goto out\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value signed index", SKF, 'R', "unbounded min value is not allowed", LOOKUP "if r0 == 0 goto out\nr1 = *(u64 *)(r0 + 0)\nif r1 s> 4 goto out\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"map value signed index nonneg", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nif r1 s> 4 goto out\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"linked scalar copy", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\nr2 = r1\nif r1 > 4 goto out\nr0 += r2\nr0 = *(u8 *)(r0 + 0)\nout: exit\n", HASH48},
    {"ringbuf map lookup", SKF, 'R', "invalid zero-sized read", LOOKUP "r0 = 0\nexit\n", RINGBUF},
    {"pointer into map value", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\n*(u64 *)(r0 + 0) = r10\nout: r0 = 0\nexit\n", HASH48},
    {"map value write", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr1 = 3\n*(u64 *)(r0 + 0) = r1\nlock *(u64 *)(r0 + 0) += r1\nout: r0 = 0\nexit\n", HASH48},
    {"direct array value", SKF, 'A', NULL, "r1 = map[idx:0][0]+4 ll\nr0 = *(u32 *)(r1 + 0)\nexit\n", {{2, 4, 8, 1}}},
    /* ---- helpers ---- */
    {"unknown helper", SKF, 'R', "invalid func unknown#9999", "call 9999\nr0 = 0\nexit\n"},
    {"args clobbered", SKF, 'R', "R1 !read_ok", "r1 = 1\ncall 7\nr0 = r1\nexit\n"},
    {"skb_load_bytes", SKF, 'A', NULL, "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = *(u64 *)(r10 - 8)\nexit\n"},
    {"skb_load_bytes zero len", SKF, 'R', "R4", "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 0\ncall 26\nr0 = 0\nexit\n"},
    {"skb_load_bytes unbounded", SKF, 'R', "R4", "r6 = r1\ncall 7\nr4 = r0\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\ncall 26\nr0 = 0\nexit\n"},
    {"skb_load_bytes bounded len", SKF, 'A', NULL, "r6 = r1\ncall 7\nr4 = r0\nr4 &= 7\nr4 += 1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\ncall 26\nr0 = 0\nexit\n"},
    {"xdp cannot skb_load_bytes", XDP, 'R', "cannot use helper", "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = 0\nexit\n"},
    /* ---- ring buffer references ---- */
    {"ringbuf reserve submit", SKF, 'A', NULL, "r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 5\n*(u64 *)(r0 + 0) = r1\nr1 = r0\nr2 = 0\ncall 132\nout: r0 = 0\nexit\n", RINGBUF},
    {"ringbuf leak", SKF, 'R', "Unreleased reference", "r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nout: r0 = 0\nexit\n", RINGBUF},
    {"ringbuf past record", SKF, 'R', "invalid access to memory", "r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 5\n*(u64 *)(r0 + 4) = r1\nr1 = r0\nr2 = 0\ncall 133\nout: r0 = 0\nexit\n", RINGBUF},
    {"ringbuf submit unchecked", SKF, 'R', "R1 type=ringbuf_mem_or_null", "r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit\n", RINGBUF},
    {"ringbuf use after submit", SKF, 'R', "invalid mem access 'scalar'", "r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\nr2 = 0\ncall 132\nr0 = *(u64 *)(r6 + 0)\nout: r0 = 0\nexit\n", RINGBUF},
    /* ---- bpf-to-bpf calls ---- */
    {"call subprog", SKF, 'A', NULL, "r1 = 1\ncall f\nexit\nf: r0 = r1\nexit\n"},
    {"callee reads r6", SKF, 'R', "R6 !read_ok", "r6 = 1\ncall f\nexit\nf: r0 = r6\nexit\n"},
    {"callee returns its stack", SKF, 'R', "cannot return stack pointer", "call f\nexit\nf: r0 = r10\nr0 += -8\nexit\n"},
    {"callee writes caller stack", SKF, 'A', NULL, "r1 = r10\nr1 += -8\ncall f\nr0 = *(u64 *)(r10 - 8)\nexit\nf: r2 = 7\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit\n"},
    {"caller r6 survives", SKF, 'A', NULL, "r6 = 3\ncall f\nr0 = r6\nexit\nf: r0 = 0\nexit\n"},
    {"r1 gone after call", SKF, 'R', "R1 !read_ok", "r1 = 3\ncall f\nr0 = r1\nexit\nf: r0 = 0\nexit\n"},
    {"recursion", SKF, 'R', NULL, "call f\nexit\nf: call f\nr0 = 0\nexit\n"},
    {"combined stack too large", SKF, 'R', "combined stack size", "r1 = 0\n*(u64 *)(r10 - 304) = r1\ncall f\nexit\nf: r1 = 0\n*(u64 *)(r10 - 304) = r1\nr0 = 0\nexit\n"},
    {"subprog unreachable", SKF, 'R', "unreachable insn", "r0 = 0\nexit\nf: r0 = 1\nexit\n"},
    {"jump across subprog", SKF, 'R', "jump out of range", "r0 = 0\ncall f\nif r0 == 0 goto g\nexit\nf: r0 = 1\ng: exit\n"},
    /* ---- loops and callbacks ---- */
    {"bpf_loop callback", SKF, 'A', NULL, "r1 = 10\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb: r0 = 0\nexit\n", {{0}}, 0,
     "Linux needs BTF func_info for callbacks (missing btf func_info); bpfvm verifies them without BTF"},
    {"bpf_loop callback bad return", SKF, 'R', "should have been in [0, 1]", "r1 = 10\nr2 = func[cb] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb: r0 = 2\nexit\n"},
    {"bpf_loop callback ctx on stack", SKF, 'A', NULL, "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = 4\nr2 = func[cb] ll\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\nr0 = *(u64 *)(r10 - 8)\nexit\ncb: r3 = *(u64 *)(r2 + 0)\nr3 += 1\n*(u64 *)(r2 + 0) = r3\nr0 = 0\nexit\n", {{0}}, 0,
     "Linux needs BTF func_info for callbacks; bpfvm verifies them without BTF"},
    {"nested loops", SKF, 'A', NULL, "r0 = 0\nr1 = 0\no: r2 = 0\ni: r0 += 1\nr2 += 1\nif r2 < 5 goto i\nr1 += 1\nif r1 < 5 goto o\nexit\n"},
    {"dead branch not explored", SKF, 'A', NULL, "r1 = 5\nif r1 > 10 goto bad\nr0 = 0\nexit\nbad: r0 = *(u64 *)(r9 + 0)\nexit\n"},
    {"range decides branch", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 15\nif r1 > 20 goto bad\nr0 = 0\nexit\nbad: r0 = *(u64 *)(r9 + 0)\nexit\n"},
    {"jset known bits", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 6\nif r1 & 1 goto bad\nr0 = 0\nexit\nbad: r0 = *(u64 *)(r9 + 0)\nexit\n"},
    {"jmp32 signed", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nif w1 s< 0 goto out\nif w1 s> 3 goto out\nr2 = r10\nr2 += -8\nr3 = 0\n*(u64 *)(r10 - 8) = r3\nr0 = 0\nout: r0 = 0\nexit\n"},
    /* ---- spin locks (a hash whose value is struct { struct bpf_spin_lock l; u32 x; }) ---- */
    {"spin lock and unlock", TC, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\ncall 93\nr1 = *(u32 *)(r6 + 4)\nr1 += 1\n*(u32 *)(r6 + 4) = r1\nr1 = r6\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock held at exit", TC, 'R', "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region", LOOKUP "if r0 == 0 goto out\nr1 = r0\ncall 93\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock twice", TC, 'R', "function calls are not allowed while holding a lock", LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\ncall 93\nr1 = r6\ncall 93\nr1 = r6\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin unlock without lock", TC, 'R', "bpf_spin_unlock without taking a lock", LOOKUP "if r0 == 0 goto out\nr1 = r0\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock wrong offset", TC, 'R', "off 4 doesn't point to 'struct bpf_spin_lock' that is at 0", LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\nr1 += 4\ncall 93\nr1 = r6\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock read directly", TC, 'R', "bpf_spin_lock cannot be accessed directly by load/store", LOOKUP "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 0)\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock without BTF lock", TC, 'R', "has to have BTF in order to use bpf_spin_lock", LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\ncall 93\nr1 = r6\ncall 94\nout: r0 = 0\nexit\n", HASH48},
    {"helper call under spin lock", TC, 'R', "function calls are not allowed while holding a lock", LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\ncall 93\ncall 5\nr1 = r6\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin unlock of another value", TC, 'R', "bpf_spin_unlock of different lock", LOOKUP "if r0 == 0 goto out\nr6 = r0\n" LOOKUP_K1 "if r0 == 0 goto out\nr7 = r0\nr1 = r6\ncall 93\nr1 = r7\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock and LD_ABS", SKF, 'R', "inside bpf_spin_lock-ed region", "r6 = r1\n" LOOKUP "if r0 == 0 goto out\nr7 = r0\nr1 = r7\ncall 93\nr0 = *(u8 *)skb[0]\nr1 = r7\ncall 94\nout: r0 = 0\nexit\n", LOCKMAP},
    {"spin lock in array, both branches unlock", TC, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr6 = r0\nr1 = r6\ncall 93\nr1 = *(u32 *)(r6 + 4)\nif r1 > 5 goto big\nr1 = r6\ncall 94\nr0 = 1\nexit\nbig: r1 = r6\ncall 94\nr0 = 2\nexit\nout: r0 = 0\nexit\n", {{2, 4, 8, 4, 1}}},
    /* ---- map in map (outer ARRAY_OF_MAPS / HASH_OF_MAPS of 8-byte ARRAYs) ---- */
    {"map in map lookup", XDP, 'A', NULL, LOOKUP_OUTER "if r0 == 0 goto out\nr1 = r0\nr2 = 0\n*(u32 *)(r10 - 8) = r2\nr2 = r10\nr2 += -8\ncall 1\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\nr0 &= 3\nexit\nout: r0 = 2\nexit\n", MIM(12)},
    {"map in map hash lookup", XDP, 'A', NULL, LOOKUP_OUTER "if r0 == 0 goto out\nr1 = r0\nr2 = 0\n*(u32 *)(r10 - 8) = r2\nr2 = r10\nr2 += -8\ncall 1\nif r0 == 0 goto out\nr1 = 7\n*(u64 *)(r0 + 0) = r1\nout: r0 = 2\nexit\n", MIM(13)},
    {"map in map unchecked inner", XDP, 'R', "expected=map_ptr", LOOKUP_OUTER "r1 = r0\nr2 = r10\nr2 += -4\ncall 1\nr0 = 2\nexit\n", MIM(12)},
    {"map in map inner value bounds", XDP, 'R', "invalid access to map value, value_size=8 off=8 size=8", LOOKUP_OUTER "if r0 == 0 goto out\nr1 = r0\nr2 = r10\nr2 += -4\ncall 1\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 8)\nout: r0 = 2\nexit\n", MIM(12)},
    {"map in map update from program", XDP, 'R', "cannot pass map_type 12 into func bpf_map_update_elem#2", "r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -8\nr4 = 0\nr1 = map[idx:1] ll\ncall 2\nr0 = 2\nexit\n", MIM(12)},
    {"map in map value used as memory", XDP, 'R', "invalid mem access 'map_ptr'", LOOKUP_OUTER "if r0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\nout: r0 = 2\nexit\n", MIM(12), 0,
     "Linux lets programs read struct bpf_map's fields through a map pointer (BTF); bpfvm has no such struct to show"},
    /* ---- array lookups with a constant key cannot fail (Linux 6.14+) ---- */
    {"array key spilled at slot start", SKF, 'A', NULL, "r1 = 1\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit\n", {{2, 4, 8, 4}}},
    {"array key stored imm at slot start", SKF, 'A', NULL, "*(u32 *)(r10 - 8) = 3\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit\n", {{2, 4, 8, 4}}},
    {"array key out of range", SKF, 'R', "map_value_or_null", "*(u32 *)(r10 - 8) = 4\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit\n", {{2, 4, 8, 4}}},
    {"array key 8-byte spill, u32 key", SKF, 'R', "map_value_or_null", "r1 = 1\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit\n", {{2, 4, 8, 4}}},
    {"narrow spill fill keeps bounds", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 7\n*(u32 *)(r10 - 8) = r1\nr2 = *(u32 *)(r10 - 8)\nr3 = r10\nr3 += -16\nr3 += r2\nr0 = 0\n*(u8 *)(r3 + 0) = r0\nexit\n"},
    /* ---- variable stack offsets (privileged) ---- */
    {"var-off stack write and read", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 7\nr2 = 0\n*(u64 *)(r10 - 16) = r2\nr3 = r10\nr3 += -16\nr3 += r1\n*(u8 *)(r3 + 0) = r2\nr0 = *(u8 *)(r3 + 0)\nexit\n"},
    {"var-off stack out of frame", SKF, 'R', "invalid variable-offset write to stack", "r1 = *(u32 *)(r1 + 0)\nr1 &= 15\nr2 = 0\nr3 = r10\nr3 += -8\nr3 += r1\n*(u8 *)(r3 + 0) = r2\nr0 = 0\nexit\n"},
    {"var-off stack misaligned", SKF, 'R', "misaligned stack access", "r1 = *(u32 *)(r1 + 0)\nr1 &= 7\nr2 = 0\nr3 = r10\nr3 += -16\nr3 += r1\n*(u32 *)(r3 + 0) = r2\nr0 = 0\nexit\n"},
    {"var-off pointer store", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 8\nr3 = r10\nr3 += -16\nr3 += r1\n*(u64 *)(r3 + 0) = r10\nr0 = 0\nexit\n"},
    {"var-off read of unwritten stack (root)", SKF, 'A', NULL, "r1 = *(u32 *)(r1 + 0)\nr1 &= 7\nr3 = r10\nr3 += -16\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit\n"},
    {"var-off spill is lost", SKF, 'R', "invalid mem access 'scalar'", "r6 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r1\nr6 &= 7\nr3 = r10\nr3 += -8\nr3 += r6\nr2 = 0\n*(u8 *)(r3 + 0) = r2\nr1 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r1 + 0)\nexit\n"},
    {"var-off helper key", SKF, 'A', NULL, "r6 = *(u32 *)(r1 + 0)\nr6 &= 4\nr1 = 0\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nr2 += r6\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit\n", HASH48},
    /* ---- pointer rules (privileged) ---- */
    {"pointer bitwise", SKF, 'R', "bitwise operator &= on pointer prohibited", "r1 &= 4\nr0 = 0\nexit\n"},
    {"pointer mul", SKF, 'R', "pointer arithmetic with *= operator prohibited", "r1 *= 4\nr0 = 0\nexit\n"},
    {"pointer 32-bit add", SKF, 'R', "32-bit pointer arithmetic prohibited", "w1 += 4\nr0 = 0\nexit\n"},
    {"scalar minus pointer", SKF, 'R', "tried to subtract pointer from scalar", "r0 = 0\nr0 -= r1\nexit\n"},
    {"pointer minus pointer (root)", XDP, 'A', NULL, XP "r3 -= r2\nr0 = r3\nexit\n"},
    {"return pointer (root)", SKF, 'A', NULL, "r0 = r1\nexit\n"},
    {"map_or_null arithmetic", SKF, 'R', "null-check it first", LOOKUP "r0 += 4\nr0 = 0\nexit\n", HASH48},
    {"pointer compare (root)", SKF, 'A', NULL, "r2 = r10\nif r1 > r2 goto +0\nr0 = 0\nexit\n"},
    /* ---- XDP redirect maps: redirect_map targets, lookups, program writes ---- */
    {"redirect_map devmap", XDP, 'A', NULL, "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{14, 4, 8, 4}}},
    {"redirect_map devmap_hash", XDP, 'A', NULL, "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{25, 4, 4, 4}}},
    {"redirect_map cpumap", XDP, 'A', NULL, "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{16, 4, 8, 4}}},
    {"redirect_map xskmap", XDP, 'A', NULL, "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{17, 4, 4, 4}}},
    {"redirect_map array", XDP, 'R', "cannot pass map_type 2 into func bpf_redirect_map", "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{2, 4, 8, 4}}},
    {"redirect_map from tc", TC, 'R', "cannot use helper bpf_redirect_map", "r1 = map[idx:0] ll\nr2 = 0\nr3 = 2\ncall 51\nexit\n", {{14, 4, 8, 4}}},
    {"devmap lookup read", XDP, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 4)\nout: r0 = 2\nexit\n", {{14, 4, 8, 4}}},
    {"devmap lookup from tc", TC, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 0)\nout: r0 = 0\nexit\n", {{14, 4, 8, 4}}},
    {"devmap lookup write", XDP, 'R', "write into map forbidden", LOOKUP "if r0 == 0 goto out\nr1 = 1\n*(u32 *)(r0 + 0) = r1\nout: r0 = 2\nexit\n", {{14, 4, 8, 4}}},
    {"devmap_hash lookup write", XDP, 'R', "write into map forbidden", LOOKUP "if r0 == 0 goto out\nr1 = 1\n*(u32 *)(r0 + 0) = r1\nout: r0 = 2\nexit\n", {{25, 4, 4, 4}}},
    /* the kernel rejects with "write into map forbidden" (EACCES, devmaps are RDONLY_PROG) */
    {"devmap delete", XDP, 'R', "map_type 14", "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 3\nr0 = 2\nexit\n", {{14, 4, 8, 4}}},
    {"cpumap lookup", XDP, 'R', "cannot pass map_type 16 into func bpf_map_lookup_elem", LOOKUP "r0 = 2\nexit\n", {{16, 4, 8, 4}}},
    {"xskmap lookup read", XDP, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 0)\nout: r0 = 2\nexit\n", {{17, 4, 4, 4}}},
    {"xskmap lookup write", XDP, 'R', "write into map forbidden", LOOKUP "if r0 == 0 goto out\nr1 = 1\n*(u32 *)(r0 + 0) = r1\nout: r0 = 2\nexit\n", {{17, 4, 4, 4}}},
    {"xskmap update", XDP, 'R', "cannot pass map_type 17 into func bpf_map_update_elem", "r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -8\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 2\nexit\n", {{17, 4, 4, 4}}},
    /* ---- unprivileged (bpfvm only: unprivileged bpf() is disabled on this kernel) ---- */
    {"unpriv return pointer", SKF, 'R', "R0 leaks addr as return value", "r0 = r1\nexit\n", {{0}}, 1},
    {"unpriv pointer compare", SKF, 'R', "pointer comparison prohibited", "r2 = r10\nif r1 > r2 goto +0\nr0 = 0\nexit\n", {{0}}, 1},
    {"unpriv back-edge", SKF, 'R', "back-edge", "r0 = 0\nr1 = 0\nl: r1 += 1\nif r1 < 10 goto l\nexit\n", {{0}}, 1},
    {"unpriv leak into map", SKF, 'R', "leaks addr into map", LOOKUP "if r0 == 0 goto out\n*(u64 *)(r0 + 0) = r10\nout: r0 = 0\nexit\n", HASH48, 1},
    {"unpriv uninit stack", SKF, 'R', "invalid read from stack", "r0 = *(u64 *)(r10 - 8)\nexit\n", {{0}}, 1},
    {"unpriv ok program", SKF, 'A', NULL, LOOKUP "if r0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\nout: exit\n", HASH48, 1},
    {"unpriv xdp", XDP, 'R', "needs privileges", "r0 = 2\nexit\n", {{0}}, 1},
    {"unpriv bpf call", SKF, 'R', "CAP_BPF", "call f\nexit\nf: r0 = 0\nexit\n", {{0}}, 1},
};

const int vcase_count = (int)(sizeof(vcases) / sizeof(vcases[0]));
