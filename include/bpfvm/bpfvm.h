/* bpfvm.h - umbrella header for the bpfvm library. */
#ifndef BPFVM_H
#define BPFVM_H

#include "bpfvm/insn.h"
#include "bpfvm/vm.h"
#include "bpfvm/asm.h"

#define BPFVM_VERSION "0.1.0"

#endif
