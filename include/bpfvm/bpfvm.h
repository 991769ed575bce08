/* bpfvm.h - umbrella header for the bpfvm library. */
#ifndef BPFVM_H
#define BPFVM_H

#include "bpfvm/insn.h"
#include "bpfvm/vm.h"
#include "bpfvm/asm.h"
#include "bpfvm/map.h"
#include "bpfvm/helpers.h"
#include "bpfvm/progtype.h"
#include "bpfvm/object.h"
#include "bpfvm/cbpf.h"

#define BPFVM_VERSION "0.1.0"

#endif
