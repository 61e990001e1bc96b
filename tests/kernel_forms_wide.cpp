// src/kernels_fused_batch.cpp and src/kernels.cpp once more, in namespace
// dln_wide, as the library runs them on this CPU (test_kernel_forms.cpp).
#define dln dln_wide
#include "../src/kernels_fused_batch.cpp"
#include "../src/kernels.cpp"
