/* cbpf_tool.h - pieces shared by the classic BPF subcommands (filter, seccomp): compiling
 * tcpdump expressions through libpcap, and reading a classic program from any text form. */
#ifndef BPFVM_CBPF_TOOL_H
#define BPFVM_CBPF_TOOL_H

#include <stddef.h>
#include "bpfvm/cbpf.h"

/* pcap LINKTYPE_* from a name ("EN10MB", "RAW", "LINUX_SLL", or a number); -1 if unknown. */
int cbpf_tool_linktype(const char *name);

/* Compile a tcpdump expression for `linktype` (LINKTYPE_* value) and `snaplen` with libpcap.
 * 0 or -1 with libpcap's message. */
int cbpf_tool_compile(const char *expr, int linktype, int snaplen, int optimize,
                      struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len);

/* A program from the command line: an existing file (any classic text form, or a tcpdump
 * expression inside), a bytecode string, bpf_asm text, or a tcpdump expression.
 * 0, or -1 with a message. */
int cbpf_tool_program(const char *arg, int is_file, int linktype, int snaplen, int optimize,
                      struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len);

#endif
