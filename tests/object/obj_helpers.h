/* obj_helpers.h - helpers for the object tests: the standard set when the helpers module
 * exists (bpfvm/helpers.h), else a minimal map_lookup/update/delete + tail_call of our own. */
#ifndef OBJ_TEST_HELPERS_H
#define OBJ_TEST_HELPERS_H
#include "bpfvm/vm.h"
int obj_test_add_helpers(struct bpfvm_vm *vm);
#endif
