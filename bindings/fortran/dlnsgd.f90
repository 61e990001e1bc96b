!> Fortran 2003 binding of libdlnsgd (include/dlnsgd.h), over iso_c_binding.
!>
!> Private bind(C) interfaces (c_dln_*) sit behind public wrappers named as
!> the C functions. Every wrapper that can fail is an integer(c_int) function
!> returning the C status unchanged (DLN_OK or a negative DLN_ERR_* value);
!> dln_last_error(model) and dln_status_name(status) give the details.
!>
!> Translations, and nothing else:
!>  - the handle is type(dln_model), holding the C pointer (no finalizer:
!>    call dln_destroy, which also nulls it);
!>  - matrices are ordinary Fortran arrays W(n_l, n_(l-1)), A(n, m): the
!>    wrappers copy them to and from the C library's row-major layout;
!>  - array outputs are allocatable and allocated by the wrapper;
!>  - indices passed through (observation rows, columns and indices) keep
!>    the C library's 0-based values; layers are 1..L as in C;
!>  - index-like results use integer(c_int64_t), values real(c_double);
!>  - the uint64_t seed is carried bit for bit in an integer(c_int64_t);
!>  - C strings come back as character(len=:), allocatable;
!>  - dln_in_Br's int result is a logical;
!>  - report and record fields are 0-based arrays indexed by the DLN_BR_* and
!>    DLN_JUMP_* constants, as in C.
!> An array argument whose size does not match what the C call reads is a
!> programming error: the wrapper stops with a message (error stop) instead
!> of letting the library read past its end.
module dlnsgd
  use, intrinsic :: iso_c_binding
  implicit none
  private

  ! ---------------------------------------------------------------- version
  integer(c_int), parameter, public :: DLN_VERSION_MAJOR = 0
  integer(c_int), parameter, public :: DLN_VERSION_MINOR = 1
  integer(c_int), parameter, public :: DLN_VERSION_PATCH = 0

  ! ------------------------------------------------------------ status codes
  integer(c_int), parameter, public :: DLN_OK = 0
  integer(c_int), parameter, public :: DLN_ERR_NULL_POINTER = -1
  integer(c_int), parameter, public :: DLN_ERR_INVALID_ARGUMENT = -2
  integer(c_int), parameter, public :: DLN_ERR_OUT_OF_RANGE = -3
  integer(c_int), parameter, public :: DLN_ERR_NOT_FINITE = -4
  integer(c_int), parameter, public :: DLN_ERR_UNKNOWN_PARAM = -5
  integer(c_int), parameter, public :: DLN_ERR_STATE = -6
  integer(c_int), parameter, public :: DLN_ERR_DIVERGED = -7
  integer(c_int), parameter, public :: DLN_ERR_NOMEM = -8
  integer(c_int), parameter, public :: DLN_ERR_LAPACK = -9
  integer(c_int), parameter, public :: DLN_ERR_IO = -10
  integer(c_int), parameter, public :: DLN_ERR_FORMAT = -11
  integer(c_int), parameter, public :: DLN_ERR_INTERNAL = -12

  ! ----------------------------------------------------------------- params
  integer(c_int), parameter, public :: DLN_PARAM_LEARNING_RATE = 1
  integer(c_int), parameter, public :: DLN_PARAM_RIDGE = 2
  integer(c_int), parameter, public :: DLN_PARAM_BATCH_SIZE = 3
  integer(c_int), parameter, public :: DLN_PARAM_SAMPLER = 4
  integer(c_int), parameter, public :: DLN_PARAM_THREADS = 5
  integer(c_int), parameter, public :: DLN_PARAM_JUMP_INTERVAL = 6
  integer(c_int), parameter, public :: DLN_PARAM_JUMP_RTOL = 7
  integer(c_int), parameter, public :: DLN_PARAM_RANK_ATOL = 8

  integer(c_int), parameter, public :: DLN_SAMPLER_WITH_REPLACEMENT = 0
  integer(c_int), parameter, public :: DLN_SAMPLER_WITHOUT_REPLACEMENT = 1
  integer(c_int), parameter, public :: DLN_SAMPLER_SUBSET = 2
  integer(c_int), parameter, public :: DLN_SAMPLER_FULL_BATCH = 3

  integer(c_int), parameter, public :: DLN_SCHEDULE_CONSTANT = 0
  integer(c_int), parameter, public :: DLN_SCHEDULE_STEP_DECAY = 1
  integer(c_int), parameter, public :: DLN_SCHEDULE_EXPONENTIAL = 2
  integer(c_int), parameter, public :: DLN_SCHEDULE_COSINE = 3
  integer(c_int), parameter, public :: DLN_SCHEDULE_CYCLIC_TRIANGULAR = 4
  integer(c_int), parameter, public :: DLN_SCHEDULE_CYCLIC_COSINE = 5
  integer(c_int), parameter, public :: DLN_SCHEDULE_PIECEWISE = 6

  integer(c_int), parameter, public :: DLN_INIT_GAUSSIAN = 0
  integer(c_int), parameter, public :: DLN_INIT_END_TO_END = 1
  integer(c_int), parameter, public :: DLN_INIT_ORTHOGONAL = 2
  integer(c_int), parameter, public :: DLN_INIT_IDENTITY = 3

  integer(c_int), parameter, public :: DLN_RANK_NUMERICAL = 0
  integer(c_int), parameter, public :: DLN_RANK_EFFECTIVE = 1
  integer(c_int), parameter, public :: DLN_RANK_STABLE = 2

  integer(c_int), parameter, public :: DLN_BR_NORM2 = 0
  integer(c_int), parameter, public :: DLN_BR_C = 1
  integer(c_int), parameter, public :: DLN_BR_SIGMA = 2
  integer(c_int), parameter, public :: DLN_BR_EPS = 3
  integer(c_int), parameter, public :: DLN_BR_BALANCE = 4
  integer(c_int), parameter, public :: DLN_BR_DELTA = 5
  integer(c_int), parameter, public :: DLN_BR_RHO = 6
  integer(c_int), parameter, public :: DLN_BR_INSIDE = 7
  integer(c_int), parameter, public :: DLN_BR_REPORT_SIZE = 11

  integer(c_int), parameter, public :: DLN_JUMP_ABSORBED = 1
  integer(c_int), parameter, public :: DLN_JUMP_NUMERICAL = 2
  integer(c_int), parameter, public :: DLN_JUMP_STEP = 0
  integer(c_int), parameter, public :: DLN_JUMP_KIND = 1
  integer(c_int), parameter, public :: DLN_JUMP_BEFORE = 2
  integer(c_int), parameter, public :: DLN_JUMP_AFTER = 3
  integer(c_int), parameter, public :: DLN_JUMP_RECORD_SIZE = 4

  !> The handle: an opaque dln_model pointer (c_null_ptr when not created).
  type, public :: dln_model
    type(c_ptr) :: ptr = c_null_ptr
  end type dln_model

  public :: dln_status_string, dln_status_name, dln_last_error
  public :: dln_version_number, dln_version_string
  public :: dln_set_param, dln_get_param, dln_param_bounds, dln_param_name
  public :: dln_create, dln_destroy, dln_clone, dln_get_depth, dln_get_widths
  public :: dln_get_seed, dln_set_seed, dln_get_step_count, dln_set_step_count
  public :: dln_set_observations, dln_get_observation_count, dln_set_test_observations
  public :: dln_set_ground_truth, dln_set_sample_subset
  public :: dln_set_schedule, dln_schedule_value
  public :: dln_set_weights, dln_get_weights, dln_init_weights, dln_init_balanced
  public :: dln_step, dln_step_batch
  public :: dln_loss, dln_weight_norm2, dln_test_error
  public :: dln_singular_values, dln_layer_singular_values, dln_bottleneck_singular_values
  public :: dln_query_rank, dln_rank_of_spectrum, dln_rank, dln_bottleneck_ranks
  public :: dln_balancedness, dln_representation_cost
  public :: dln_output_column_norms, dln_input_row_norms
  public :: dln_in_Br, dln_query_absorbed_rank, dln_Br_report
  public :: dln_jump_count, dln_get_jumps, dln_clear_jumps
  public :: dln_save, dln_load, dln_save_buffer, dln_load_buffer

  ! ---------------------------------------------------- the C functions
  interface
    function c_strlen(s) bind(C, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: c_strlen
    end function
    function c_dln_status_string(status) bind(C, name="dln_status_string")
      import :: c_int, c_ptr
      integer(c_int), value :: status
      type(c_ptr) :: c_dln_status_string
    end function
    function c_dln_status_name(status) bind(C, name="dln_status_name")
      import :: c_int, c_ptr
      integer(c_int), value :: status
      type(c_ptr) :: c_dln_status_name
    end function
    function c_dln_last_error(model) bind(C, name="dln_last_error")
      import :: c_ptr
      type(c_ptr), value :: model
      type(c_ptr) :: c_dln_last_error
    end function
    function c_dln_version_number() bind(C, name="dln_version_number")
      import :: c_int
      integer(c_int) :: c_dln_version_number
    end function
    function c_dln_version_string() bind(C, name="dln_version_string")
      import :: c_ptr
      type(c_ptr) :: c_dln_version_string
    end function
    function c_dln_set_param(model, param, value) bind(C, name="dln_set_param")
      import :: c_ptr, c_int, c_double
      type(c_ptr), value :: model
      integer(c_int), value :: param
      real(c_double), value :: value
      integer(c_int) :: c_dln_set_param
    end function
    function c_dln_get_param(model, param, value) bind(C, name="dln_get_param")
      import :: c_ptr, c_int, c_double
      type(c_ptr), value :: model
      integer(c_int), value :: param
      real(c_double), intent(out) :: value
      integer(c_int) :: c_dln_get_param
    end function
    function c_dln_param_bounds(param, min_value, max_value) bind(C, name="dln_param_bounds")
      import :: c_int, c_double
      integer(c_int), value :: param
      real(c_double), intent(out) :: min_value, max_value
      integer(c_int) :: c_dln_param_bounds
    end function
    function c_dln_param_name(param) bind(C, name="dln_param_name")
      import :: c_int, c_ptr
      integer(c_int), value :: param
      type(c_ptr) :: c_dln_param_name
    end function
    function c_dln_create(depth, widths, seed, out) bind(C, name="dln_create")
      import :: c_int64_t, c_ptr, c_int
      integer(c_int64_t), value :: depth
      integer(c_int64_t), intent(in) :: widths(*)
      integer(c_int64_t), value :: seed
      type(c_ptr), intent(out) :: out
      integer(c_int) :: c_dln_create
    end function
    function c_dln_create_ex(depth, widths, seed, out, message, capacity) bind(C, name="dln_create_ex")
      import :: c_int64_t, c_ptr, c_int, c_char
      integer(c_int64_t), value :: depth
      integer(c_int64_t), intent(in) :: widths(*)
      integer(c_int64_t), value :: seed
      type(c_ptr), intent(out) :: out
      character(kind=c_char), intent(out) :: message(*)
      integer(c_int64_t), value :: capacity
      integer(c_int) :: c_dln_create_ex
    end function
    subroutine c_dln_destroy(model) bind(C, name="dln_destroy")
      import :: c_ptr
      type(c_ptr), value :: model
    end subroutine
    function c_dln_clone(model, out) bind(C, name="dln_clone")
      import :: c_ptr, c_int
      type(c_ptr), value :: model
      type(c_ptr), intent(out) :: out
      integer(c_int) :: c_dln_clone
    end function
    function c_dln_get_depth(model, depth) bind(C, name="dln_get_depth")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: depth
      integer(c_int) :: c_dln_get_depth
    end function
    function c_dln_get_widths(model, widths, capacity) bind(C, name="dln_get_widths")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: widths(*)
      integer(c_int64_t), value :: capacity
      integer(c_int) :: c_dln_get_widths
    end function
    function c_dln_get_seed(model, seed) bind(C, name="dln_get_seed")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: seed
      integer(c_int) :: c_dln_get_seed
    end function
    function c_dln_set_seed(model, seed) bind(C, name="dln_set_seed")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: seed
      integer(c_int) :: c_dln_set_seed
    end function
    function c_dln_get_step_count(model, step) bind(C, name="dln_get_step_count")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: step
      integer(c_int) :: c_dln_get_step_count
    end function
    function c_dln_set_step_count(model, step) bind(C, name="dln_set_step_count")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: step
      integer(c_int) :: c_dln_set_step_count
    end function
    function c_dln_set_observations(model, count, rows, cols, values) &
        bind(C, name="dln_set_observations")
      import :: c_ptr, c_int64_t, c_double, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: count
      integer(c_int64_t), intent(in) :: rows(*), cols(*)
      real(c_double), intent(in) :: values(*)
      integer(c_int) :: c_dln_set_observations
    end function
    function c_dln_get_observation_count(model, count) bind(C, name="dln_get_observation_count")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: count
      integer(c_int) :: c_dln_get_observation_count
    end function
    function c_dln_set_test_observations(model, count, rows, cols, values) &
        bind(C, name="dln_set_test_observations")
      import :: c_ptr, c_int64_t, c_double, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: count
      integer(c_int64_t), intent(in) :: rows(*), cols(*)
      real(c_double), intent(in) :: values(*)
      integer(c_int) :: c_dln_set_test_observations
    end function
    function c_dln_set_ground_truth(model, truth) bind(C, name="dln_set_ground_truth")
      import :: c_ptr, c_int
      type(c_ptr), value :: model
      type(c_ptr), value :: truth
      integer(c_int) :: c_dln_set_ground_truth
    end function
    function c_dln_set_sample_subset(model, count, indices) bind(C, name="dln_set_sample_subset")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: count
      integer(c_int64_t), intent(in) :: indices(*)
      integer(c_int) :: c_dln_set_sample_subset
    end function
    function c_dln_set_schedule(model, param, kind, nargs, args) bind(C, name="dln_set_schedule")
      import :: c_ptr, c_int, c_int64_t, c_double
      type(c_ptr), value :: model
      integer(c_int), value :: param, kind
      integer(c_int64_t), value :: nargs
      real(c_double), intent(in) :: args(*)
      integer(c_int) :: c_dln_set_schedule
    end function
    function c_dln_schedule_value(model, param, step, value) bind(C, name="dln_schedule_value")
      import :: c_ptr, c_int, c_int64_t, c_double
      type(c_ptr), value :: model
      integer(c_int), value :: param
      integer(c_int64_t), value :: step
      real(c_double), intent(out) :: value
      integer(c_int) :: c_dln_schedule_value
    end function
    function c_dln_set_weights(model, layer, w) bind(C, name="dln_set_weights")
      import :: c_ptr, c_int64_t, c_double, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: layer
      real(c_double), intent(in) :: w(*)
      integer(c_int) :: c_dln_set_weights
    end function
    function c_dln_get_weights(model, layer, w) bind(C, name="dln_get_weights")
      import :: c_ptr, c_int64_t, c_double, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: layer
      real(c_double), intent(inout) :: w(*)
      integer(c_int) :: c_dln_get_weights
    end function
    function c_dln_init_weights(model, kind, nargs, args) bind(C, name="dln_init_weights")
      import :: c_ptr, c_int, c_int64_t, c_double
      type(c_ptr), value :: model
      integer(c_int), value :: kind
      integer(c_int64_t), value :: nargs
      real(c_double), intent(in) :: args(*)
      integer(c_int) :: c_dln_init_weights
    end function
    function c_dln_init_balanced(model, a0) bind(C, name="dln_init_balanced")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(in) :: a0(*)
      integer(c_int) :: c_dln_init_balanced
    end function
    function c_dln_step(model, steps) bind(C, name="dln_step")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: steps
      integer(c_int) :: c_dln_step
    end function
    function c_dln_step_batch(model, b, indices) bind(C, name="dln_step_batch")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: b
      integer(c_int64_t), intent(in) :: indices(*)
      integer(c_int) :: c_dln_step_batch
    end function
    function c_dln_loss(model, data_cost, ridge_term) bind(C, name="dln_loss")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(out) :: data_cost, ridge_term
      integer(c_int) :: c_dln_loss
    end function
    function c_dln_weight_norm2(model, norm2) bind(C, name="dln_weight_norm2")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(out) :: norm2
      integer(c_int) :: c_dln_weight_norm2
    end function
    function c_dln_test_error(model, error) bind(C, name="dln_test_error")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(out) :: error
      integer(c_int) :: c_dln_test_error
    end function
    function c_dln_singular_values(model, out, capacity, count) bind(C, name="dln_singular_values")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      real(c_double), intent(inout) :: out(*)
      integer(c_int64_t), value :: capacity
      integer(c_int64_t), intent(out) :: count
      integer(c_int) :: c_dln_singular_values
    end function
    function c_dln_layer_singular_values(model, layer, out, capacity, count) &
        bind(C, name="dln_layer_singular_values")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: layer
      real(c_double), intent(inout) :: out(*)
      integer(c_int64_t), value :: capacity
      integer(c_int64_t), intent(out) :: count
      integer(c_int) :: c_dln_layer_singular_values
    end function
    function c_dln_bottleneck_singular_values(model, k, out, capacity, count) &
        bind(C, name="dln_bottleneck_singular_values")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: k
      real(c_double), intent(inout) :: out(*)
      integer(c_int64_t), value :: capacity
      integer(c_int64_t), intent(out) :: count
      integer(c_int) :: c_dln_bottleneck_singular_values
    end function
    function c_dln_query_rank(model, rtol, rank) bind(C, name="dln_query_rank")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      real(c_double), value :: rtol
      integer(c_int64_t), intent(out) :: rank
      integer(c_int) :: c_dln_query_rank
    end function
    function c_dln_rank_of_spectrum(sigma, count, measure, atol, rtol, rank) &
        bind(C, name="dln_rank_of_spectrum")
      import :: c_double, c_int64_t, c_int
      real(c_double), intent(in) :: sigma(*)
      integer(c_int64_t), value :: count
      integer(c_int), value :: measure
      real(c_double), value :: atol, rtol
      real(c_double), intent(out) :: rank
      integer(c_int) :: c_dln_rank_of_spectrum
    end function
    function c_dln_rank(model, target, measure, atol, rtol, rank) bind(C, name="dln_rank")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: target
      integer(c_int), value :: measure
      real(c_double), value :: atol, rtol
      real(c_double), intent(out) :: rank
      integer(c_int) :: c_dln_rank
    end function
    function c_dln_bottleneck_ranks(model, atol, rtol, ranks, capacity) &
        bind(C, name="dln_bottleneck_ranks")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      real(c_double), value :: atol, rtol
      integer(c_int64_t), intent(inout) :: ranks(*)
      integer(c_int64_t), value :: capacity
      integer(c_int) :: c_dln_bottleneck_ranks
    end function
    function c_dln_balancedness(model, residual) bind(C, name="dln_balancedness")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(out) :: residual
      integer(c_int) :: c_dln_balancedness
    end function
    function c_dln_representation_cost(model, cost) bind(C, name="dln_representation_cost")
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: model
      real(c_double), intent(out) :: cost
      integer(c_int) :: c_dln_representation_cost
    end function
    function c_dln_output_column_norms(model, out, capacity) bind(C, name="dln_output_column_norms")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      real(c_double), intent(inout) :: out(*)
      integer(c_int64_t), value :: capacity
      integer(c_int) :: c_dln_output_column_norms
    end function
    function c_dln_input_row_norms(model, out, capacity) bind(C, name="dln_input_row_norms")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      real(c_double), intent(inout) :: out(*)
      integer(c_int64_t), value :: capacity
      integer(c_int) :: c_dln_input_row_norms
    end function
    function c_dln_in_Br(model, r, eps, delta, bound_c, inside) bind(C, name="dln_in_Br")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: r
      real(c_double), value :: eps, delta, bound_c
      integer(c_int), intent(out) :: inside
      integer(c_int) :: c_dln_in_Br
    end function
    function c_dln_query_absorbed_rank(model, rank) bind(C, name="dln_query_absorbed_rank")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: rank
      integer(c_int) :: c_dln_query_absorbed_rank
    end function
    function c_dln_Br_report(model, r, eps, delta, bound_c, report) bind(C, name="dln_Br_report")
      import :: c_ptr, c_double, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: r
      real(c_double), value :: eps, delta, bound_c
      real(c_double), intent(inout) :: report(*)
      integer(c_int) :: c_dln_Br_report
    end function
    function c_dln_jump_count(model, count) bind(C, name="dln_jump_count")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), intent(out) :: count
      integer(c_int) :: c_dln_jump_count
    end function
    function c_dln_get_jumps(model, first, count, records) bind(C, name="dln_get_jumps")
      import :: c_ptr, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int64_t), value :: first, count
      integer(c_int64_t), intent(inout) :: records(*)
      integer(c_int) :: c_dln_get_jumps
    end function
    function c_dln_clear_jumps(model) bind(C, name="dln_clear_jumps")
      import :: c_ptr, c_int
      type(c_ptr), value :: model
      integer(c_int) :: c_dln_clear_jumps
    end function
    function c_dln_save(model, path) bind(C, name="dln_save")
      import :: c_ptr, c_char, c_int
      type(c_ptr), value :: model
      character(kind=c_char), intent(in) :: path(*)
      integer(c_int) :: c_dln_save
    end function
    function c_dln_load(path, out) bind(C, name="dln_load")
      import :: c_ptr, c_char, c_int
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), intent(out) :: out
      integer(c_int) :: c_dln_load
    end function
    function c_dln_save_buffer(model, buffer, capacity, size) bind(C, name="dln_save_buffer")
      import :: c_ptr, c_int8_t, c_int64_t, c_int
      type(c_ptr), value :: model
      integer(c_int8_t), intent(inout) :: buffer(*)
      integer(c_int64_t), value :: capacity
      integer(c_int64_t), intent(out) :: size
      integer(c_int) :: c_dln_save_buffer
    end function
    function c_dln_load_buffer(buffer, size, out) bind(C, name="dln_load_buffer")
      import :: c_ptr, c_int8_t, c_int64_t, c_int
      integer(c_int8_t), intent(in) :: buffer(*)
      integer(c_int64_t), value :: size
      type(c_ptr), intent(out) :: out
      integer(c_int) :: c_dln_load_buffer
    end function
  end interface

contains

  ! ------------------------------------------------------------- helpers
  !> A NUL-terminated C string as a Fortran string ("" for NULL).
  function c_to_f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ""
      return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function

  function f_to_c_string(s) result(c)
    character(len=*), intent(in) :: s
    character(kind=c_char, len=:), allocatable :: c
    c = trim(s)//c_null_char
  end function

  subroutine size_error(fn, what, got, need)
    character(len=*), intent(in) :: fn, what
    integer(c_int64_t), intent(in) :: got, need
    character(len=32) :: g, n
    write (g, '(i0)') got
    write (n, '(i0)') need
    error stop "dlnsgd: "//fn//": "//what//" holds "//trim(g)//" values, the call needs "//trim(n)
  end subroutine

  !> The widths of a handle, or a zero-size array if it has none.
  function widths_of(model) result(w)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), allocatable :: w(:)
    integer(c_int64_t) :: depth
    if (c_dln_get_depth(model%ptr, depth) /= DLN_OK) then
      allocate (w(0))
      return
    end if
    allocate (w(depth + 1))
    if (c_dln_get_widths(model%ptr, w, depth + 1) /= DLN_OK) then
      deallocate (w)
      allocate (w(0))
    end if
  end function

  !> Row-major (C) copy of a Fortran matrix.
  function row_major(a) result(v)
    real(c_double), intent(in) :: a(:, :)
    real(c_double), allocatable :: v(:)
    v = reshape(transpose(a), [size(a)])
  end function

  ! ---------------------------------------------- status and version
  function dln_status_string(status) result(s)
    integer(c_int), intent(in) :: status
    character(len=:), allocatable :: s
    s = c_to_f_string(c_dln_status_string(status))
  end function

  function dln_status_name(status) result(s)
    integer(c_int), intent(in) :: status
    character(len=:), allocatable :: s
    s = c_to_f_string(c_dln_status_name(status))
  end function

  !> Detail of the last error on this handle ("" if none); for a model that
  !> is not created (null handle), the library's static message.
  function dln_last_error(model) result(s)
    type(dln_model), intent(in) :: model
    character(len=:), allocatable :: s
    s = c_to_f_string(c_dln_last_error(model%ptr))
  end function

  function dln_version_number() result(v)
    integer(c_int) :: v
    v = c_dln_version_number()
  end function

  function dln_version_string() result(s)
    character(len=:), allocatable :: s
    s = c_to_f_string(c_dln_version_string())
  end function

  ! ------------------------------------------------------------ options
  integer(c_int) function dln_set_param(model, param, value) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param
    real(c_double), intent(in) :: value
    status = c_dln_set_param(model%ptr, param, value)
  end function

  integer(c_int) function dln_get_param(model, param, value) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param
    real(c_double), intent(out) :: value
    status = c_dln_get_param(model%ptr, param, value)
  end function

  integer(c_int) function dln_param_bounds(param, min_value, max_value) result(status)
    integer(c_int), intent(in) :: param
    real(c_double), intent(out) :: min_value, max_value
    status = c_dln_param_bounds(param, min_value, max_value)
  end function

  !> "DLN_PARAM_...", or "" for an unknown id (C returns NULL).
  function dln_param_name(param) result(s)
    integer(c_int), intent(in) :: param
    character(len=:), allocatable :: s
    s = c_to_f_string(c_dln_param_name(param))
  end function

  ! ------------------------------------------------- lifecycle and shape
  !> widths = [n_0 = m, ..., n_L = n]; depth is size(widths) - 1.
  !> On failure, the optional message receives dln_create_ex's detail
  !> (there is no handle to hold it).
  integer(c_int) function dln_create(model, widths, seed, message) result(status)
    type(dln_model), intent(inout) :: model
    integer(c_int64_t), intent(in) :: widths(:)
    integer(c_int64_t), intent(in) :: seed
    character(len=*), intent(out), optional :: message
    integer(c_int64_t) :: w(max(size(widths), 1))
    character(kind=c_char) :: buffer(512)
    type(c_ptr) :: out
    integer :: i
    w = 0
    w(1:size(widths)) = widths
    status = c_dln_create_ex(int(size(widths), c_int64_t) - 1, w, seed, out, buffer, &
                             int(size(buffer), c_int64_t))
    if (status == DLN_OK) model%ptr = out
    if (present(message)) then
      message = ''
      do i = 1, min(len(message), size(buffer))
        if (buffer(i) == c_null_char) exit
        message(i:i) = buffer(i)
      end do
    end if
  end function

  !> dln_destroy, then the handle is null (a null handle is a no-op).
  subroutine dln_destroy(model)
    type(dln_model), intent(inout) :: model
    call c_dln_destroy(model%ptr)
    model%ptr = c_null_ptr
  end subroutine

  integer(c_int) function dln_clone(model, out) result(status)
    type(dln_model), intent(in) :: model
    type(dln_model), intent(inout) :: out
    type(c_ptr) :: p
    status = c_dln_clone(model%ptr, p)
    if (status == DLN_OK) out%ptr = p
  end function

  integer(c_int) function dln_get_depth(model, depth) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: depth
    status = c_dln_get_depth(model%ptr, depth)
  end function

  !> Allocates widths(depth + 1).
  integer(c_int) function dln_get_widths(model, widths) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), allocatable, intent(out) :: widths(:)
    integer(c_int64_t) :: depth
    status = c_dln_get_depth(model%ptr, depth)
    if (status /= DLN_OK) return
    allocate (widths(depth + 1))
    status = c_dln_get_widths(model%ptr, widths, depth + 1)
  end function

  integer(c_int) function dln_get_seed(model, seed) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: seed
    status = c_dln_get_seed(model%ptr, seed)
  end function

  integer(c_int) function dln_set_seed(model, seed) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: seed
    status = c_dln_set_seed(model%ptr, seed)
  end function

  integer(c_int) function dln_get_step_count(model, step) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: step
    status = c_dln_get_step_count(model%ptr, step)
  end function

  integer(c_int) function dln_set_step_count(model, step) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: step
    status = c_dln_set_step_count(model%ptr, step)
  end function

  ! --------------------------------------------------------------- data
  !> rows(k), cols(k) are 0-based as in C; count = size(values).
  integer(c_int) function dln_set_observations(model, rows, cols, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: rows(:), cols(:)
    real(c_double), intent(in) :: values(:)
    integer(c_int64_t) :: n
    n = size(values)
    if (size(rows) /= n) call size_error("dln_set_observations", "rows", int(size(rows), c_int64_t), n)
    if (size(cols) /= n) call size_error("dln_set_observations", "cols", int(size(cols), c_int64_t), n)
    block
      integer(c_int64_t) :: r(max(n, 1_c_int64_t)), c(max(n, 1_c_int64_t))
      real(c_double) :: v(max(n, 1_c_int64_t))
      r = 0; c = 0; v = 0
      r(1:n) = rows; c(1:n) = cols; v(1:n) = values
      status = c_dln_set_observations(model%ptr, n, r, c, v)
    end block
  end function

  integer(c_int) function dln_get_observation_count(model, count) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: count
    status = c_dln_get_observation_count(model%ptr, count)
  end function

  !> Held-out set; zero-size arrays clear it.
  integer(c_int) function dln_set_test_observations(model, rows, cols, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: rows(:), cols(:)
    real(c_double), intent(in) :: values(:)
    integer(c_int64_t) :: n
    n = size(values)
    if (size(rows) /= n) call size_error("dln_set_test_observations", "rows", int(size(rows), c_int64_t), n)
    if (size(cols) /= n) call size_error("dln_set_test_observations", "cols", int(size(cols), c_int64_t), n)
    block
      integer(c_int64_t) :: r(max(n, 1_c_int64_t)), c(max(n, 1_c_int64_t))
      real(c_double) :: v(max(n, 1_c_int64_t))
      r = 0; c = 0; v = 0
      r(1:n) = rows; c(1:n) = cols; v(1:n) = values
      status = c_dln_set_test_observations(model%ptr, n, r, c, v)
    end block
  end function

  !> truth(n, m); without it the ground truth is cleared (C: NULL).
  integer(c_int) function dln_set_ground_truth(model, truth) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in), optional :: truth(:, :)
    real(c_double), allocatable, target :: v(:)
    integer(c_int64_t), allocatable :: w(:)
    if (.not. present(truth)) then
      status = c_dln_set_ground_truth(model%ptr, c_null_ptr)
      return
    end if
    w = widths_of(model)
    if (size(w) > 0) then
      if (size(truth, 1) /= w(size(w)) .or. size(truth, 2) /= w(1)) &
        call size_error("dln_set_ground_truth", "truth", int(size(truth), c_int64_t), w(1) * w(size(w)))
    end if
    v = row_major(truth)
    if (size(v) == 0) v = [0.0_c_double]
    status = c_dln_set_ground_truth(model%ptr, c_loc(v))
  end function

  !> Pool of 0-based observation indices; a zero-size array clears it.
  integer(c_int) function dln_set_sample_subset(model, indices) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: indices(:)
    integer(c_int64_t) :: buf(max(size(indices), 1))
    buf = 0
    buf(1:size(indices)) = indices
    status = c_dln_set_sample_subset(model%ptr, int(size(indices), c_int64_t), buf)
  end function

  ! ----------------------------------------------------------- schedules
  integer(c_int) function dln_set_schedule(model, param, kind, args) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param, kind
    real(c_double), intent(in), optional :: args(:)
    real(c_double) :: none(1)
    none = 0
    if (present(args)) then
      if (size(args) > 0) then
        status = c_dln_set_schedule(model%ptr, param, kind, int(size(args), c_int64_t), args)
        return
      end if
    end if
    status = c_dln_set_schedule(model%ptr, param, kind, 0_c_int64_t, none)
  end function

  integer(c_int) function dln_schedule_value(model, param, step, value) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param
    integer(c_int64_t), intent(in) :: step
    real(c_double), intent(out) :: value
    status = c_dln_schedule_value(model%ptr, param, step, value)
  end function

  ! -------------------------------------------------------------- weights
  !> w(n_layer, n_(layer-1)), layer 1..L.
  integer(c_int) function dln_set_weights(model, layer, w) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), intent(in) :: w(:, :)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double) :: dummy(1)
    wd = widths_of(model)
    if (layer >= 1 .and. layer < size(wd)) then
      if (size(w, 1) /= wd(layer + 1) .or. size(w, 2) /= wd(layer)) &
        call size_error("dln_set_weights", "w", int(size(w), c_int64_t), wd(layer + 1) * wd(layer))
      status = c_dln_set_weights(model%ptr, layer, row_major(w))
    else
      dummy = 0 ! bad layer or handle: the library reports it
      status = c_dln_set_weights(model%ptr, layer, dummy)
    end if
  end function

  !> Allocates w(n_layer, n_(layer-1)).
  integer(c_int) function dln_get_weights(model, layer, w) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), allocatable, intent(out) :: w(:, :)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double), allocatable :: buf(:)
    real(c_double) :: dummy(1)
    wd = widths_of(model)
    if (layer >= 1 .and. layer < size(wd)) then
      allocate (buf(wd(layer + 1) * wd(layer)))
      status = c_dln_get_weights(model%ptr, layer, buf)
      if (status == DLN_OK) w = transpose(reshape(buf, [wd(layer), wd(layer + 1)]))
    else
      status = c_dln_get_weights(model%ptr, layer, dummy)
    end if
  end function

  integer(c_int) function dln_init_weights(model, kind, args) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: kind
    real(c_double), intent(in), optional :: args(:)
    real(c_double) :: none(1)
    none = 0
    if (present(args)) then
      if (size(args) > 0) then
        status = c_dln_init_weights(model%ptr, kind, int(size(args), c_int64_t), args)
        return
      end if
    end if
    status = c_dln_init_weights(model%ptr, kind, 0_c_int64_t, none)
  end function

  !> a0(n, m).
  integer(c_int) function dln_init_balanced(model, a0) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: a0(:, :)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double) :: dummy(1)
    wd = widths_of(model)
    if (size(wd) > 0) then
      if (size(a0, 1) /= wd(size(wd)) .or. size(a0, 2) /= wd(1)) &
        call size_error("dln_init_balanced", "a0", int(size(a0), c_int64_t), wd(1) * wd(size(wd)))
      status = c_dln_init_balanced(model%ptr, row_major(a0))
    else
      dummy = 0
      status = c_dln_init_balanced(model%ptr, dummy)
    end if
  end function

  ! ------------------------------------------------------------- stepping
  integer(c_int) function dln_step(model, steps) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: steps
    status = c_dln_step(model%ptr, steps)
  end function

  !> One step on the batch indices(:) (0-based observation indices).
  integer(c_int) function dln_step_batch(model, indices) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: indices(:)
    integer(c_int64_t) :: buf(max(size(indices), 1))
    buf = 0
    buf(1:size(indices)) = indices
    status = c_dln_step_batch(model%ptr, int(size(indices), c_int64_t), buf)
  end function

  ! ---------------------------------------------------------- observables
  integer(c_int) function dln_loss(model, data_cost, ridge_term) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out) :: data_cost, ridge_term
    status = c_dln_loss(model%ptr, data_cost, ridge_term)
  end function

  integer(c_int) function dln_weight_norm2(model, norm2) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out) :: norm2
    status = c_dln_weight_norm2(model%ptr, norm2)
  end function

  integer(c_int) function dln_test_error(model, error) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out) :: error
    status = c_dln_test_error(model%ptr, error)
  end function

  !> Allocates values(k), all k = min_l n_l singular values of A (descending).
  integer(c_int) function dln_singular_values(model, values) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: values(:)
    real(c_double) :: probe(1)
    integer(c_int64_t) :: count, cap
    status = c_dln_singular_values(model%ptr, probe, 0_c_int64_t, count)
    if (status /= DLN_OK) return
    cap = count
    allocate (values(max(count, 1_c_int64_t)))
    status = c_dln_singular_values(model%ptr, values, cap, count)
    if (status == DLN_OK) values = values(1:min(count, cap))
  end function

  integer(c_int) function dln_layer_singular_values(model, layer, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), allocatable, intent(out) :: values(:)
    real(c_double) :: probe(1)
    integer(c_int64_t) :: count, cap
    status = c_dln_layer_singular_values(model%ptr, layer, probe, 0_c_int64_t, count)
    if (status /= DLN_OK) return
    cap = count
    allocate (values(max(count, 1_c_int64_t)))
    status = c_dln_layer_singular_values(model%ptr, layer, values, cap, count)
    if (status == DLN_OK) values = values(1:min(count, cap))
  end function

  integer(c_int) function dln_bottleneck_singular_values(model, k, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: k
    real(c_double), allocatable, intent(out) :: values(:)
    real(c_double) :: probe(1)
    integer(c_int64_t) :: count, cap
    status = c_dln_bottleneck_singular_values(model%ptr, k, probe, 0_c_int64_t, count)
    if (status /= DLN_OK) return
    cap = count
    allocate (values(max(count, 1_c_int64_t)))
    status = c_dln_bottleneck_singular_values(model%ptr, k, values, cap, count)
    if (status == DLN_OK) values = values(1:min(count, cap))
  end function

  integer(c_int) function dln_query_rank(model, rtol, rank) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: rtol
    integer(c_int64_t), intent(out) :: rank
    status = c_dln_query_rank(model%ptr, rtol, rank)
  end function

  integer(c_int) function dln_rank_of_spectrum(sigma, measure, atol, rtol, rank) result(status)
    real(c_double), intent(in) :: sigma(:)
    integer(c_int), intent(in) :: measure
    real(c_double), intent(in) :: atol, rtol
    real(c_double), intent(out) :: rank
    real(c_double) :: buf(max(size(sigma), 1))
    buf = 0
    buf(1:size(sigma)) = sigma
    status = c_dln_rank_of_spectrum(buf, int(size(sigma), c_int64_t), measure, atol, rtol, rank)
  end function

  !> target 0 = A, 1..L = W_target.
  integer(c_int) function dln_rank(model, target, measure, atol, rtol, rank) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: target
    integer(c_int), intent(in) :: measure
    real(c_double), intent(in) :: atol, rtol
    real(c_double), intent(out) :: rank
    status = c_dln_rank(model%ptr, target, measure, atol, rtol, rank)
  end function

  !> Allocates ranks(max(L-1, 1)).
  integer(c_int) function dln_bottleneck_ranks(model, atol, rtol, ranks) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: atol, rtol
    integer(c_int64_t), allocatable, intent(out) :: ranks(:)
    integer(c_int64_t) :: depth
    status = c_dln_get_depth(model%ptr, depth)
    if (status /= DLN_OK) return
    allocate (ranks(max(depth - 1, 1_c_int64_t)))
    status = c_dln_bottleneck_ranks(model%ptr, atol, rtol, ranks, int(size(ranks), c_int64_t))
  end function

  integer(c_int) function dln_balancedness(model, residual) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out) :: residual
    status = c_dln_balancedness(model%ptr, residual)
  end function

  integer(c_int) function dln_representation_cost(model, cost) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out) :: cost
    status = c_dln_representation_cost(model%ptr, cost)
  end function

  !> Allocates norms(n_(L-1)): the column norms of W_L.
  integer(c_int) function dln_output_column_norms(model, norms) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: norms(:)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double) :: dummy(1)
    wd = widths_of(model)
    if (size(wd) < 2) then
      status = c_dln_output_column_norms(model%ptr, dummy, 0_c_int64_t)
      return
    end if
    allocate (norms(wd(size(wd) - 1)))
    status = c_dln_output_column_norms(model%ptr, norms, int(size(norms), c_int64_t))
  end function

  !> Allocates norms(n_1): the row norms of W_1.
  integer(c_int) function dln_input_row_norms(model, norms) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: norms(:)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double) :: dummy(1)
    wd = widths_of(model)
    if (size(wd) < 2) then
      status = c_dln_input_row_norms(model%ptr, dummy, 0_c_int64_t)
      return
    end if
    allocate (norms(wd(2)))
    status = c_dln_input_row_norms(model%ptr, norms, int(size(norms), c_int64_t))
  end function

  ! ------------------------------------------------------- absorbing sets
  !> A negative eps, delta or bound_c means the default of SPEC §6.
  integer(c_int) function dln_in_Br(model, r, eps, delta, bound_c, inside) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: r
    real(c_double), intent(in) :: eps, delta, bound_c
    logical, intent(out) :: inside
    integer(c_int) :: flag
    flag = 0
    status = c_dln_in_Br(model%ptr, r, eps, delta, bound_c, flag)
    inside = flag /= 0
  end function

  integer(c_int) function dln_query_absorbed_rank(model, rank) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: rank
    status = c_dln_query_absorbed_rank(model%ptr, rank)
  end function

  !> report(0:DLN_BR_REPORT_SIZE-1), indexed by the DLN_BR_* constants.
  integer(c_int) function dln_Br_report(model, r, eps, delta, bound_c, report) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: r
    real(c_double), intent(in) :: eps, delta, bound_c
    real(c_double), intent(out) :: report(0:DLN_BR_REPORT_SIZE - 1)
    status = c_dln_Br_report(model%ptr, r, eps, delta, bound_c, report)
  end function

  ! ------------------------------------------------------------ jump log
  integer(c_int) function dln_jump_count(model, count) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out) :: count
    status = c_dln_jump_count(model%ptr, count)
  end function

  !> Allocates records(0:DLN_JUMP_RECORD_SIZE-1, count): record i of the C
  !> log (first + i - 1) is records(:, i), fields by DLN_JUMP_* constants.
  integer(c_int) function dln_get_jumps(model, first, count, records) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: first, count
    integer(c_int64_t), allocatable, intent(out) :: records(:, :)
    integer(c_int64_t), allocatable :: buf(:)
    allocate (buf(DLN_JUMP_RECORD_SIZE * max(count, 1_c_int64_t)))
    status = c_dln_get_jumps(model%ptr, first, count, buf)
    if (status == DLN_OK) then
      allocate (records(0:DLN_JUMP_RECORD_SIZE - 1, max(count, 0_c_int64_t)))
      records = reshape(buf(1:size(records)), shape(records))
    end if
  end function

  integer(c_int) function dln_clear_jumps(model) result(status)
    type(dln_model), intent(in) :: model
    status = c_dln_clear_jumps(model%ptr)
  end function

  ! ----------------------------------------------------------- checkpoints
  !> path is trimmed of trailing blanks.
  integer(c_int) function dln_save(model, path) result(status)
    type(dln_model), intent(in) :: model
    character(len=*), intent(in) :: path
    status = c_dln_save(model%ptr, f_to_c_string(path))
  end function

  integer(c_int) function dln_load(path, model) result(status)
    character(len=*), intent(in) :: path
    type(dln_model), intent(inout) :: model
    type(c_ptr) :: p
    status = c_dln_load(f_to_c_string(path), p)
    if (status == DLN_OK) model%ptr = p
  end function

  !> Allocates buffer(size) with the checkpoint bytes.
  integer(c_int) function dln_save_buffer(model, buffer) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int8_t), allocatable, intent(out) :: buffer(:)
    integer(c_int8_t) :: probe(1)
    integer(c_int64_t) :: n, cap
    status = c_dln_save_buffer(model%ptr, probe, 0_c_int64_t, n)
    if (status /= DLN_OK) return
    cap = n
    allocate (buffer(max(n, 1_c_int64_t)))
    status = c_dln_save_buffer(model%ptr, buffer, cap, n)
    if (status == DLN_OK) buffer = buffer(1:min(n, cap))
  end function

  integer(c_int) function dln_load_buffer(buffer, model) result(status)
    integer(c_int8_t), intent(in) :: buffer(:)
    type(dln_model), intent(inout) :: model
    integer(c_int8_t) :: buf(max(size(buffer), 1))
    type(c_ptr) :: p
    buf = 0
    buf(1:size(buffer)) = buffer
    status = c_dln_load_buffer(buf, int(size(buffer), c_int64_t), p)
    if (status == DLN_OK) model%ptr = p
  end function

end module dlnsgd
