/* kc_stub.c - stands in for the kernel comparison when the build has no libbpf or clang. */
#include <stdio.h>

int main(void)
{
    printf("SKIP: kcompare was built without libbpf or clang (apt-get install libbpf-dev clang)\n");
    return 77;
}
