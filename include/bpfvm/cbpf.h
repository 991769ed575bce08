/* cbpf.h - classic BPF (struct sock_filter programs): checking, text formats, translation to
 * eBPF, running on the bpfvm engine, seccomp filters and a small seccomp policy language.
 *
 * Errors follow the libbpf shape: functions return 0 (or a count) or a negative errno, and
 * fill an optional caller-owned message buffer with one line naming what and where
 * ("insn 5: ..."). */
#ifndef BPFVM_CBPF_H
#define BPFVM_CBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"
#include "bpfvm/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_vm;

/* One classic instruction; same layout as Linux's struct sock_filter and libpcap's
 * struct bpf_insn. */
struct bpfvm_cbpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};

#define BPFVM_CBPF_MAXINSNS 4096
#define BPFVM_CBPF_MEMWORDS 16

/* Linux negative offsets (as uint32_t k of an absolute load). */
#define BPFVM_SKF_AD_OFF  (-0x1000)
#define BPFVM_SKF_NET_OFF (-0x100000)
#define BPFVM_SKF_LL_OFF  (-0x200000)
enum {
    BPFVM_SKF_AD_PROTOCOL = 0,
    BPFVM_SKF_AD_PKTTYPE = 4,
    BPFVM_SKF_AD_IFINDEX = 8,
    BPFVM_SKF_AD_NLATTR = 12,
    BPFVM_SKF_AD_NLATTR_NEST = 16,
    BPFVM_SKF_AD_MARK = 20,
    BPFVM_SKF_AD_QUEUE = 24,
    BPFVM_SKF_AD_HATYPE = 28,
    BPFVM_SKF_AD_RXHASH = 32,
    BPFVM_SKF_AD_CPU = 36,
    BPFVM_SKF_AD_ALU_XOR_X = 40,
    BPFVM_SKF_AD_VLAN_TAG = 44,
    BPFVM_SKF_AD_VLAN_TAG_PRESENT = 48,
    BPFVM_SKF_AD_PAY_OFFSET = 52,
    BPFVM_SKF_AD_RANDOM = 56,
    BPFVM_SKF_AD_VLAN_TPID = 60,
    BPFVM_SKF_AD_MAX = 64,
};

/* Which classic machine a program is written for.
 *  LINUX   - a socket filter (SO_ATTACH_FILTER, xt_bpf, cls_bpf): the kernel's checker, ancillary
 *            loads at SKF_AD_OFF, SKF_NET_OFF/SKF_LL_OFF offsets, a shift by X masks X to 5 bits.
 *  LIBPCAP - libpcap's bpf_filter() (what tcpdump applies to pcap files): a shift by X >= 32
 *            gives 0, negative offsets are simply out of bounds, `ld len` is the wire length.
 *  SECCOMP - a seccomp filter over struct seccomp_data: only aligned 32-bit absolute loads inside
 *            the 64-byte struct (native byte order), no packet loads. */
enum bpfvm_cbpf_flavor {
    BPFVM_CBPF_LINUX = 0,
    BPFVM_CBPF_LIBPCAP = 1,
    BPFVM_CBPF_SECCOMP = 2,
};

/* ---- checking ---------------------------------------------------------------------------- */

/* The Linux checker's rules: 1..4096 instructions, known opcodes only, forward jumps inside the
 * program, last instruction a return, M[] index < 16 and never read before written on any
 * path, no constant division/modulo by zero, no constant shift >= 32; known ancillary offsets
 * (LINUX); seccomp's restrictions (SECCOMP).  0 or -EINVAL. */
int bpfvm_cbpf_check(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                     enum bpfvm_cbpf_flavor flavor, char *msg, size_t msg_len);

/* ---- packet metadata (Linux ancillary loads, negative offsets, `ld len`) ------------------- */

struct bpfvm_cbpf_meta {
    uint32_t protocol;     /* skb->protocol in host order (0x0800 for IPv4) */
    uint32_t pkttype;      /* PACKET_HOST=0, BROADCAST=1, MULTICAST=2, OTHERHOST=3, OUTGOING=4 */
    uint32_t ifindex;
    uint32_t mark;
    uint32_t queue;        /* queue_mapping */
    uint32_t hatype;       /* dev->type, ARPHRD_ETHER=1 */
    uint32_t rxhash;
    uint32_t cpu;
    uint32_t vlan_tci;     /* valid when vlan_present */
    uint32_t vlan_present;
    uint32_t vlan_tpid;    /* host order (0x8100) */
    int32_t mac_off;       /* offset of the link-layer header in the data (SKF_LL_OFF base) */
    int32_t net_off;       /* offset of the network header (SKF_NET_OFF base), -1 = none */
    uint32_t random_seed;  /* state for SKF_AD_RANDOM (0 = use a fixed default) */
};

/* Link types used by the helpers below (pcap LINKTYPE_* values). */
#define BPFVM_LINKTYPE_ETHERNET  1
#define BPFVM_LINKTYPE_RAW       101
#define BPFVM_LINKTYPE_LINUX_SLL 113

/* Fill `meta` from a captured packet of pcap link type `linktype` the way the kernel would see
 * it on a packet socket: protocol from the EtherType (or IP version), mac_off = 0, net_off after
 * the link header, hatype ARPHRD_*, pkttype from the SLL header or the destination MAC. */
void bpfvm_cbpf_meta_from_packet(struct bpfvm_cbpf_meta *meta, int linktype,
                                 const uint8_t *pkt, uint32_t caplen);

/* ---- reference interpreter --------------------------------------------------------------- */

/* Run a checked classic program directly (no translation) over `pkt` (caplen bytes captured,
 * wirelen on the wire).  `meta` may be NULL (all zero).  Returns the filter's return value. */
uint32_t bpfvm_cbpf_interp(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                           enum bpfvm_cbpf_flavor flavor, const uint8_t *pkt, uint32_t caplen,
                           uint32_t wirelen, const struct bpfvm_cbpf_meta *meta);

/* ---- translation to eBPF ----------------------------------------------------------------- */

/* Translate a checked classic program into eBPF.  Calling convention of the result:
 *   r1 = packet (or struct seccomp_data) pointer, r2 = captured length, r3 = wire length;
 *   r0 = the classic return value (32 bits, zero-extended).
 * A lives in r7, X in r8, M[] on the stack.  Out-of-bounds loads and division by X == 0
 * return 0.  Ancillary loads and negative offsets (LINUX) call the helpers registered by
 * bpfvm_cbpf_register_helpers(), which read the run context (bpfvm_exec_user).
 * *out is malloc'ed (free()).  Returns 0 or negative errno. */
int bpfvm_cbpf_translate(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                         enum bpfvm_cbpf_flavor flavor, struct bpfvm_insn **out,
                         size_t *out_cnt, char *msg, size_t msg_len);

/* Helper ids used by translated programs (a private range below 65536). */
#define BPFVM_CBPF_HELPER_ANC     0xcb00 /* (ad_offset, A, X) -> value */
#define BPFVM_CBPF_HELPER_LOADNEG 0xcb01 /* (offset, size) -> value, or >= 2^32 when OOB */
int bpfvm_cbpf_register_helpers(struct bpfvm_vm *vm);

/* The run context translated programs' helpers read through bpfvm_exec_user(). */
struct bpfvm_cbpf_run_ctx {
    const uint8_t *pkt;
    uint32_t caplen;
    uint32_t wirelen;
    const struct bpfvm_cbpf_meta *meta; /* may be NULL */
    uint32_t rand_state;
};

/* A classic program checked, translated and loaded into a vm. */
struct bpfvm_cbpf_prog;

struct bpfvm_cbpf_load_opts {
    size_t sz;
    enum bpfvm_cbpf_flavor flavor;
    bool checked;        /* load the eBPF in checked mode (every access tested at run time) */
    int engine;          /* enum bpfvm_engine; 0 = default */
};

/* Check + translate + load.  `vm` may be NULL: the program then owns a private vm.  The cbpf
 * helpers are registered in the vm.  0 or negative errno. */
int bpfvm_cbpf_load(struct bpfvm_vm *vm, const struct bpfvm_cbpf_insn *insns, size_t cnt,
                    const struct bpfvm_cbpf_load_opts *opts, struct bpfvm_cbpf_prog **out,
                    char *msg, size_t msg_len);
void bpfvm_cbpf_prog_free(struct bpfvm_cbpf_prog *prog);
const struct bpfvm_insn *bpfvm_cbpf_prog_ebpf(const struct bpfvm_cbpf_prog *prog, size_t *cnt);

/* Run the loaded program over one packet.  0 and the return value in *ret, or negative errno
 * when the engine failed (should not happen for checked programs). */
int bpfvm_cbpf_prog_run(const struct bpfvm_cbpf_prog *prog, const uint8_t *pkt,
                        uint32_t caplen, uint32_t wirelen, const struct bpfvm_cbpf_meta *meta,
                        uint32_t *ret);

/* The filter as a native function, for hot loops: fn(packet, caplen, wirelen, 0, 0) returns
 * what bpfvm_cbpf_prog_run would put in *ret.  Only for JIT-compiled filters that need no run
 * state (no Linux ancillary or negative-offset loads, no loops, not checked); NULL otherwise.
 * The packet pointer must be valid (not NULL). */
bpfvm_direct_fn bpfvm_cbpf_prog_direct_entry(const struct bpfvm_cbpf_prog *p);

/* ---- text formats ------------------------------------------------------------------------ */

enum bpfvm_cbpf_format {
    BPFVM_CBPF_FMT_AUTO = 0,
    BPFVM_CBPF_FMT_IMAGE,    /* tcpdump -d:   "(000) ldh      [12]" */
    BPFVM_CBPF_FMT_C,        /* tcpdump -dd:  "{ 0x28, 0, 0, 0x0000000c }," */
    BPFVM_CBPF_FMT_DECIMAL,  /* tcpdump -ddd: count line, then "40 0 0 12" lines */
    BPFVM_CBPF_FMT_BYTECODE, /* xt_bpf / tc:  "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" */
    BPFVM_CBPF_FMT_ASM,      /* bpf_asm language with labels */
};

/* Write a program in `fmt` (not AUTO) into a malloc'ed NUL-terminated string (*out). */
int bpfvm_cbpf_format(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                      enum bpfvm_cbpf_format fmt, char **out);

/* The tcpdump -d line for one instruction (no newline), as libpcap's bpf_image() prints it. */
void bpfvm_cbpf_image(const struct bpfvm_cbpf_insn *insn, int pc, char *buf, size_t len);

/* Parse text in `fmt` (AUTO guesses: "(NNN)" lines = IMAGE, "{" = C, numbers only =
 * DECIMAL/BYTECODE, otherwise ASM).  *out is malloc'ed.  The result is NOT checked.
 * Errors name the line ("line 3: unknown mnemonic 'lod'"). */
int bpfvm_cbpf_parse(const char *text, enum bpfvm_cbpf_format fmt,
                     struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len);

/* ---- seccomp ----------------------------------------------------------------------------- */

struct bpfvm_seccomp_data {
    int32_t nr;
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t args[6];
};

#define BPFVM_SECCOMP_RET_KILL_PROCESS 0x80000000u
#define BPFVM_SECCOMP_RET_KILL_THREAD  0x00000000u
#define BPFVM_SECCOMP_RET_TRAP         0x00030000u
#define BPFVM_SECCOMP_RET_ERRNO        0x00050000u
#define BPFVM_SECCOMP_RET_USER_NOTIF   0x7fc00000u
#define BPFVM_SECCOMP_RET_TRACE        0x7ff00000u
#define BPFVM_SECCOMP_RET_LOG          0x7ffc0000u
#define BPFVM_SECCOMP_RET_ALLOW        0x7fff0000u
#define BPFVM_SECCOMP_RET_ACTION_FULL  0xffff0000u
#define BPFVM_SECCOMP_RET_DATA         0x0000ffffu

/* AUDIT_ARCH_* of the host (0 when unknown). */
uint32_t bpfvm_seccomp_host_arch(void);

/* Run one filter over `sd`; the kernel's rules (checked as SECCOMP). */
uint32_t bpfvm_seccomp_run(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                           const struct bpfvm_seccomp_data *sd);

/* Combine the results of several filters the way the kernel does: the action with the highest
 * precedence wins (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW;
 * the kernel compares (ret & ACTION_FULL) as signed values, smallest wins; an unknown action
 * that wins acts as KILL_PROCESS), the first filter wins on ties. */
uint32_t bpfvm_seccomp_combine(const uint32_t *results, size_t cnt);

/* Name of an action ("allow", "errno(1)", "kill_process"...) into buf. */
void bpfvm_seccomp_action_str(uint32_t ret, char *buf, size_t len);

/* Syscall names for the host architecture: number or -1; name or NULL. */
long bpfvm_syscall_nr(const char *name);
const char *bpfvm_syscall_name(long nr);

/* Install `insns` in the calling thread (PR_SET_NO_NEW_PRIVS, then seccomp(2) or prctl).
 * 0 or negative errno. */
int bpfvm_seccomp_install(const struct bpfvm_cbpf_insn *insns, size_t cnt, char *msg,
                          size_t msg_len);

/* Policy text -> classic seccomp filter for the host arch.  Syntax (docs/cbpf.md):
 *   default kill|kill_thread|trap|log|allow|errno N|trace N
 *   allow read write
 *   deny  ptrace                 (kill_process)
 *   errno EPERM open openat
 *   allow socket if arg0 == 1    (==, !=, <, <=, >, >=, & MASK ==)
 * *out malloc'ed; errors name the line. */
int bpfvm_seccomp_policy_compile(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt,
                                 char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
