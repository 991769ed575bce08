/* helpers/table.c - the registry: every standard helper's id, kernel name, implementation
 * and prototype (modelled on the kernel's bpf_func_proto for each helper), the lookup the
 * verifier uses, and bpfvm_vm_add_std_helpers. */
#include "helpers/helpers.h"

#include <string.h>

#define A_ANY HELPER_ARG_ANYTHING
#define A_MAP HELPER_ARG_CONST_MAP_PTR
#define A_KEY HELPER_ARG_PTR_TO_MAP_KEY
#define A_VAL HELPER_ARG_PTR_TO_MAP_VALUE
#define A_MEM HELPER_ARG_PTR_TO_MEM
#define A_RO HELPER_ARG_RDONLY
#define A_UNINIT HELPER_ARG_UNINIT
#define A_NULL HELPER_ARG_MAYBE_NULL
#define A_SZ HELPER_ARG_CONST_SIZE
#define A_SZ0 HELPER_ARG_CONST_SIZE_OR_ZERO
#define A_CTX HELPER_ARG_PTR_TO_CTX
#define A_FUNC HELPER_ARG_PTR_TO_FUNC
#define A_STACK_NULL (HELPER_ARG_PTR_TO_STACK | HELPER_ARG_MAYBE_NULL)
#define R_INT HELPER_RET_INTEGER
#define R_VOID HELPER_RET_VOID
#define GPL HELPER_F_GPL_ONLY
#define PKT HELPER_F_PKT_ACCESS
#define CAPB HELPER_F_CAP_BPF
#define PERFMON (HELPER_F_CAP_BPF | HELPER_F_CAP_PERFMON)
#define CHG HELPER_F_CHANGES_PKT
/* program types with a struct __sk_buff context, and with a packet to rewrite */
#define T_SKB (HELPER_PROGT(BPFVM_PROG_TYPE_SOCKET_FILTER) | HELPER_PROGT(BPFVM_PROG_TYPE_SCHED_CLS) | \
               HELPER_PROGT(BPFVM_PROG_TYPE_SCHED_ACT) | HELPER_PROGT(BPFVM_PROG_TYPE_CGROUP_SKB))
#define T_TC (HELPER_PROGT(BPFVM_PROG_TYPE_SCHED_CLS) | HELPER_PROGT(BPFVM_PROG_TYPE_SCHED_ACT))
#define T_XDP HELPER_PROGT(BPFVM_PROG_TYPE_XDP)

#define P(ID, NAME, RET, FLAGS, ...)                                                           \
    {.id = ID, .name = "bpf_" #NAME, .fn = helper_##NAME, .ret = RET, .flags = FLAGS,          \
     __VA_ARGS__}

static const struct helper_proto helper_protos[] = {
    P(1, map_lookup_elem, HELPER_RET_PTR_TO_MAP_VALUE_OR_NULL, PKT, .arg = {A_MAP, A_KEY},
      .map_types = HELPERS_MAPS_LOOKUP),
    P(2, map_update_elem, R_INT, PKT, .arg = {A_MAP, A_KEY, A_VAL, A_ANY},
      .map_types = HELPERS_MAPS_KV),
    P(3, map_delete_elem, R_INT, PKT, .arg = {A_MAP, A_KEY}, .map_types = HELPERS_MAPS_KV),
    P(5, ktime_get_ns, R_INT, 0, .arg = {0}),
    P(6, trace_printk, R_INT, GPL | PERFMON, .arg = {A_MEM | A_RO, A_SZ}),
    P(7, get_prandom_u32, R_INT, 0, .arg = {0}),
    P(8, get_smp_processor_id, R_INT, 0, .arg = {0}),
    /* packet helpers: none may take packet pointers (no pkt_access in the kernel) */
    P(9, skb_store_bytes, R_INT, CHG, .arg = {A_CTX, A_ANY, A_MEM | A_RO, A_SZ, A_ANY},
      .prog_types = T_TC),
    P(10, l3_csum_replace, R_INT, CHG, .arg = {A_CTX, A_ANY, A_ANY, A_ANY, A_ANY},
      .prog_types = T_TC),
    P(11, l4_csum_replace, R_INT, CHG, .arg = {A_CTX, A_ANY, A_ANY, A_ANY, A_ANY},
      .prog_types = T_TC),
    /* the kernel's proto says void: a failed tail call just continues; bpfvm sets r0 */
    P(12, tail_call, R_VOID, 0, .arg = {A_CTX, A_MAP, A_ANY},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_PROG_ARRAY)),
    P(14, get_current_pid_tgid, R_INT, 0, .arg = {0}),
    P(15, get_current_uid_gid, R_INT, 0, .arg = {0}),
    P(16, get_current_comm, R_INT, PERFMON, .arg = {A_MEM | A_UNINIT, A_SZ}),
    P(23, redirect, R_INT, 0, .arg = {A_ANY, A_ANY}, .prog_types = T_TC | T_XDP),
    P(25, perf_event_output, R_INT, GPL, .arg = {A_CTX, A_MAP, A_ANY, A_MEM | A_RO, A_SZ0},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY)),
    P(26, skb_load_bytes, R_INT, 0, .arg = {A_CTX, A_ANY, A_MEM | A_UNINIT, A_SZ},
      .prog_types = T_SKB),
    P(28, csum_diff, R_INT, PKT, .arg = {A_MEM | A_RO | A_NULL, A_SZ0, A_MEM | A_RO | A_NULL, A_SZ0, A_ANY},
      .prog_types = T_TC | T_XDP),
    P(38, skb_change_tail, R_INT, CHG, .arg = {A_CTX, A_ANY, A_ANY}, .prog_types = T_TC),
    P(39, skb_pull_data, R_INT, CHG, .arg = {A_CTX, A_ANY}, .prog_types = T_TC),
    P(42, get_numa_node_id, R_INT, 0, .arg = {0}),
    P(43, skb_change_head, R_INT, CHG, .arg = {A_CTX, A_ANY, A_ANY}, .prog_types = T_TC),
    P(44, xdp_adjust_head, R_INT, CHG, .arg = {A_CTX, A_ANY}, .prog_types = T_XDP),
    P(50, skb_adjust_room, R_INT, CHG, .arg = {A_CTX, A_ANY, A_ANY, A_ANY}, .prog_types = T_TC),
    P(51, redirect_map, R_INT, 0, .arg = {A_MAP, A_ANY, A_ANY}, .prog_types = T_XDP,
      .map_types = HELPERS_MAPS_REDIRECT),
    P(54, xdp_adjust_meta, R_INT, CHG, .arg = {A_CTX, A_ANY}, .prog_types = T_XDP),
    P(65, xdp_adjust_tail, R_INT, CHG, .arg = {A_CTX, A_ANY}, .prog_types = T_XDP),
    P(68, skb_load_bytes_relative, R_INT, 0,
      .arg = {A_CTX, A_ANY, A_MEM | A_UNINIT, A_SZ, A_ANY}, .prog_types = T_SKB),
    P(87, map_push_elem, R_INT, PKT, .arg = {A_MAP, A_VAL, A_ANY},
      .map_types = HELPERS_MAPS_PUSH_PEEK),
    P(88, map_pop_elem, R_INT, 0, .arg = {A_MAP, A_VAL | A_UNINIT}, .map_types = HELPERS_MAPS_QS),
    P(89, map_peek_elem, R_INT, 0, .arg = {A_MAP, A_VAL | A_UNINIT},
      .map_types = HELPERS_MAPS_PUSH_PEEK),
    P(93, spin_lock, R_VOID, CAPB, .arg = {HELPER_ARG_PTR_TO_SPIN_LOCK}),
    P(94, spin_unlock, R_VOID, CAPB, .arg = {HELPER_ARG_PTR_TO_SPIN_LOCK}),
    P(105, strtol, R_INT, 0,
      .arg = {A_MEM | A_RO, A_SZ, A_ANY,
              HELPER_ARG_PTR_TO_FIXED_SIZE_MEM | A_UNINIT | HELPER_ARG_ALIGNED},
      .arg_size = {0, 0, 0, 8}),
    P(106, strtoul, R_INT, 0,
      .arg = {A_MEM | A_RO, A_SZ, A_ANY,
              HELPER_ARG_PTR_TO_FIXED_SIZE_MEM | A_UNINIT | HELPER_ARG_ALIGNED},
      .arg_size = {0, 0, 0, 8}),
    P(118, jiffies64, R_INT, CAPB, .arg = {0}),
    P(125, ktime_get_boot_ns, R_INT, 0, .arg = {0}),
    P(130, ringbuf_output, R_INT, 0, .arg = {A_MAP, A_MEM | A_RO, A_SZ0, A_ANY},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_RINGBUF)),
    P(131, ringbuf_reserve, HELPER_RET_PTR_TO_RINGBUF_MEM_OR_NULL, HELPER_F_ACQUIRE,
      .arg = {A_MAP, HELPER_ARG_CONST_ALLOC_SIZE_OR_ZERO, A_ANY},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_RINGBUF)),
    P(132, ringbuf_submit, R_VOID, 0,
      .arg = {HELPER_ARG_PTR_TO_RINGBUF_MEM | HELPER_ARG_RELEASE, A_ANY}),
    P(133, ringbuf_discard, R_VOID, 0,
      .arg = {HELPER_ARG_PTR_TO_RINGBUF_MEM | HELPER_ARG_RELEASE, A_ANY}),
    P(134, ringbuf_query, R_INT, 0, .arg = {A_MAP, A_ANY},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_RINGBUF)),
    P(160, ktime_get_coarse_ns, R_INT, 0, .arg = {0}),
    P(164, for_each_map_elem, R_INT, CAPB, .arg = {A_MAP, A_FUNC, A_STACK_NULL, A_ANY},
      .map_types = HELPERS_MAPS_FOR_EACH, .callback = HELPER_CB_FOR_EACH_ELEM),
    P(165, snprintf, R_INT, GPL | PERFMON,
      .arg = {A_MEM | A_NULL, A_SZ0, HELPER_ARG_PTR_TO_CONST_STR, A_MEM | A_NULL | A_RO, A_SZ0}),
    P(181, loop, R_INT, CAPB, .arg = {A_ANY, A_FUNC, A_STACK_NULL, A_ANY},
      .callback = HELPER_CB_LOOP),
    P(182, strncmp, R_INT, 0, .arg = {A_MEM | A_RO, A_SZ, HELPER_ARG_PTR_TO_CONST_STR}),
    P(189, xdp_load_bytes, R_INT, 0, .arg = {A_CTX, A_ANY, A_MEM | A_UNINIT, A_SZ},
      .prog_types = T_XDP),
    P(190, xdp_store_bytes, R_INT, 0, .arg = {A_CTX, A_ANY, A_MEM | A_RO, A_SZ},
      .prog_types = T_XDP),
    P(195, map_lookup_percpu_elem, HELPER_RET_PTR_TO_MAP_VALUE_OR_NULL, 0,
      .arg = {A_MAP, A_KEY, A_ANY},
      .map_types = HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_HASH) |
                   HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_ARRAY) |
                   HELPER_MAPT(BPFVM_MAP_TYPE_LRU_PERCPU_HASH)),
    P(208, ktime_get_tai_ns, R_INT, 0, .arg = {0}),
};

#define HELPER_CNT (sizeof(helper_protos) / sizeof(helper_protos[0]))

const struct helper_proto *helper_proto_get(uint32_t id)
{
    size_t lo = 0, hi = HELPER_CNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (helper_protos[mid].id == id)
            return &helper_protos[mid];
        if (helper_protos[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct helper_proto *helper_proto_all(size_t *cnt)
{
    if (cnt)
        *cnt = HELPER_CNT;
    return helper_protos;
}

const char *bpfvm_std_helper_name(uint32_t id)
{
    const struct helper_proto *p = helper_proto_get(id);
    return p ? p->name : NULL;
}

int bpfvm_vm_add_std_helpers(struct bpfvm_vm *vm)
{
    if (!vm)
        return -EINVAL;
    for (size_t i = 0; i < HELPER_CNT; i++) {
        int err = bpfvm_vm_set_helper(vm, helper_protos[i].id, helper_protos[i].name,
                                      helper_protos[i].fn);
        if (err)
            return err;
    }
    return 0;
}
