// src/kernels_fused_batch.cpp and src/kernels.cpp once more, in namespace
// dln_narrow and with their AVX-512 forms turned off, so that
// test_kernel_forms.cpp can hold the AVX2 forms against the ones this CPU
// runs (on a CPU without AVX-512 both are the AVX2 ones).
#define DLN_KERNELS_NARROW_ONLY
#define dln dln_narrow
#include "../src/kernels_fused_batch.cpp"
#include "../src/kernels.cpp"
