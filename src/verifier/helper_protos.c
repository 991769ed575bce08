/* helper_protos.c - TEMPORARY: the verifier's own table of helper prototypes (argument and
 * return types by Linux helper id) until src/helpers/helpers.h lands; then this file becomes
 * an adapter from that table.  Only helpers bpfvm implements or is about to. */
#include <stddef.h>

#include "verifier/verifier.h"

#define A VARG_ANYTHING
static const struct vhelper_proto protos[] = {
    {1, "bpf_map_lookup_elem", VRET_PTR_TO_MAP_VALUE_OR_NULL, {VARG_CONST_MAP_PTR, VARG_PTR_TO_MAP_KEY}, true, false, false, false},
    {2, "bpf_map_update_elem", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_MAP_KEY, VARG_PTR_TO_MAP_VALUE, A}, true, false, false, false},
    {3, "bpf_map_delete_elem", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_MAP_KEY}, true, false, false, false},
    {5, "bpf_ktime_get_ns", VRET_INTEGER, {0}, false, false, false, false},
    {6, "bpf_trace_printk", VRET_INTEGER, {VARG_PTR_TO_MEM, VARG_CONST_SIZE, 0}, false, false, true, true},
    {7, "bpf_get_prandom_u32", VRET_INTEGER, {0}, false, false, false, false},
    {8, "bpf_get_smp_processor_id", VRET_INTEGER, {0}, false, false, false, false},
    {12, "bpf_tail_call", VRET_INTEGER, {VARG_PTR_TO_CTX, VARG_CONST_MAP_PTR, A}, false, false, false, false},
    {25, "bpf_perf_event_output", VRET_INTEGER, {VARG_PTR_TO_CTX, VARG_CONST_MAP_PTR, A, VARG_PTR_TO_MEM, VARG_CONST_SIZE_OR_ZERO}, true, false, false, true},
    {26, "bpf_skb_load_bytes", VRET_INTEGER, {VARG_PTR_TO_CTX, A, VARG_PTR_TO_UNINIT_MEM, VARG_CONST_SIZE}, false, false, false, false},
    {44, "bpf_xdp_adjust_head", VRET_INTEGER, {VARG_PTR_TO_CTX, A}, false, true, false, false},
    {54, "bpf_xdp_adjust_meta", VRET_INTEGER, {VARG_PTR_TO_CTX, A}, false, true, false, false},
    {65, "bpf_xdp_adjust_tail", VRET_INTEGER, {VARG_PTR_TO_CTX, A}, false, true, false, false},
    {87, "bpf_map_push_elem", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_MAP_VALUE, A}, false, false, false, false},
    {88, "bpf_map_pop_elem", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_UNINIT_MEM}, false, false, false, false},
    {89, "bpf_map_peek_elem", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_UNINIT_MEM}, false, false, false, false},
    {125, "bpf_ktime_get_boot_ns", VRET_INTEGER, {0}, false, false, false, false},
    {130, "bpf_ringbuf_output", VRET_INTEGER, {VARG_CONST_MAP_PTR, VARG_PTR_TO_MEM, VARG_CONST_SIZE_OR_ZERO, A}, true, false, false, false},
    {131, "bpf_ringbuf_reserve", VRET_PTR_TO_RINGBUF_MEM_OR_NULL, {VARG_CONST_MAP_PTR, VARG_CONST_ALLOC_SIZE_OR_ZERO, A}, false, false, false, false},
    {132, "bpf_ringbuf_submit", VRET_VOID, {VARG_PTR_TO_RINGBUF_MEM, A}, false, false, false, false},
    {133, "bpf_ringbuf_discard", VRET_VOID, {VARG_PTR_TO_RINGBUF_MEM, A}, false, false, false, false},
    {134, "bpf_ringbuf_query", VRET_INTEGER, {VARG_CONST_MAP_PTR, A}, false, false, false, false},
    {181, "bpf_loop", VRET_INTEGER, {A, VARG_PTR_TO_FUNC, VARG_PTR_TO_STACK_OR_NULL, A}, false, false, true, false},
};
#undef A

const struct vhelper_proto *verifier_helper_proto(uint32_t id)
{
    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
        if (protos[i].id == id)
            return &protos[i];
    return NULL;
}
