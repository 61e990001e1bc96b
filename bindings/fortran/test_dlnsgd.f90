!> Test of the Fortran binding against the real library.
!>   test_dlnsgd VECTOR.txt ...   replay each shared SGD vector (explicit
!>                                batches via dln_step_batch) and compare
!>                                expect_W, loss_before/after, svals_A to 1e-10;
!>                                a record `checkpoint_at t` saves the state after
!>                                t batches, destroys the handle and loads it back
!>                                (through the raw layer dlnsgd_c) before going on
!>   test_dlnsgd --api            constants, names, errors, a few observables
!> Prints "N passed, N failed" and exits non-zero on any failure.
program test_dlnsgd
  use, intrinsic :: iso_c_binding
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
  use dlnsgd
  implicit none
  integer :: passed = 0, failed = 0, i, nargs
  character(len=4096) :: arg

  nargs = command_argument_count()
  if (nargs == 0) then
    write (*, '(a)') "usage: test_dlnsgd --api | VECTOR.txt ..."
    error stop 2
  end if
  do i = 1, nargs
    call get_command_argument(i, arg)
    if (trim(arg) == "--api") then
      call api_tests()
      call api_more()
      call api_refusals()
    else
      call replay(trim(arg))
    end if
  end do
  write (*, '(i0, a, i0, a)') passed, " passed, ", failed, " failed"
  if (failed > 0 .or. passed == 0) error stop 1

contains

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (ok) then
      passed = passed + 1
    else
      failed = failed + 1
      write (*, '(a, a)') "FAIL: ", what
    end if
  end subroutine

  !> The call succeeded; otherwise report the status name and message.
  subroutine check_ok(status, model, what)
    integer(c_int), intent(in) :: status
    type(dln_model), intent(in) :: model
    character(len=*), intent(in) :: what
    if (status /= DLN_OK) then
      write (*, '(a, a, a, a, a, a)') "FAIL: ", what, ": ", dln_status_name(status), ": ", &
        dln_last_error(model)
      failed = failed + 1
    else
      passed = passed + 1
    end if
  end subroutine

  !> |a - e| <= rtol * |e| entry by entry, or rtol * scale when scale > 0
  !> (spectra are compared relative to sigma_1).
  logical function rel_close(a, e, rtol, scale)
    real(c_double), intent(in) :: a(:), e(:), rtol, scale
    if (size(a) /= size(e)) then
      rel_close = .false.
    else if (scale > 0) then
      rel_close = all(abs(a - e) <= rtol * scale)
    else
      rel_close = all(abs(a - e) <= rtol * abs(e))
    end if
  end function

  ! ------------------------------------------------------ vector reader
  subroutine read_line(unit, line, ios)
    integer, intent(in) :: unit
    character(len=:), allocatable, intent(out) :: line
    integer, intent(out) :: ios
    character(len=512) :: chunk
    integer :: n
    line = ""
    do
      read (unit, '(a)', advance='no', iostat=ios, size=n) chunk
      line = line//chunk(1:n)
      if (ios /= 0) exit
    end do
    if (is_iostat_eor(ios)) ios = 0
  end subroutine

  !> Next line that is neither blank nor a comment.
  subroutine next_record(unit, line, ios)
    integer, intent(in) :: unit
    character(len=:), allocatable, intent(out) :: line
    integer, intent(out) :: ios
    do
      call read_line(unit, line, ios)
      if (ios /= 0) return
      line = adjustl(line)
      if (len_trim(line) > 0 .and. line(1:1) /= "#") return
    end do
  end subroutine

  subroutine replay(path)
    character(len=*), intent(in) :: path
    integer :: unit, ios, depth, layer, r, c, k, t, steps, nobs, j, checkpoint_at
    character(len=:), allocatable :: line
    character(len=32) :: key
    integer(c_int64_t), allocatable :: widths(:), rows(:), cols(:), batch(:)
    real(c_double), allocatable :: values(:), w(:, :), got(:, :), svals(:), s(:)
    real(c_double) :: eta, lambda, expect_loss, data_cost, ridge_term
    integer(c_int64_t) :: b, count, step
    type(dln_model) :: model
    integer(c_int) :: status

    write (*, '(a, a)') "vector ", path
    depth = -1
    steps = 0
    checkpoint_at = -1
    open (newunit=unit, file=path, status='old', action='read', iostat=ios)
    if (ios /= 0) then
      call check(.false., "cannot open "//path)
      return
    end if
    do
      call next_record(unit, line, ios)
      if (ios /= 0) exit
      read (line, *) key
      select case (trim(key))
      case ("depth")
        read (line, *) key, depth
      case ("widths")
        allocate (widths(depth + 1))
        read (line, *) key, widths
        status = dln_create(model, widths, 7_c_int64_t)
        call check_ok(status, model, "dln_create")
        if (status /= DLN_OK) exit
      case ("eta")
        read (line, *) key, eta
        call check_ok(dln_set_param(model, DLN_PARAM_LEARNING_RATE, eta), model, "eta")
      case ("lambda")
        read (line, *) key, lambda
        call check_ok(dln_set_param(model, DLN_PARAM_RIDGE, lambda), model, "lambda")
      case ("W", "expect_W")
        read (line, *) key, layer, r, c
        allocate (w(r, c))
        do j = 1, r
          call next_record(unit, line, ios)
          read (line, *) w(j, :)
        end do
        if (trim(key) == "W") then
          call check_ok(dln_set_weights(model, int(layer, c_int64_t), w), model, "dln_set_weights")
        else
          call check_ok(dln_get_weights(model, int(layer, c_int64_t), got), model, "dln_get_weights")
          if (allocated(got)) then
            call check(all(shape(got) == shape(w)), path//": shape of expect_W")
            if (all(shape(got) == shape(w))) &
              call check(rel_close(reshape(got, [size(got)]), reshape(w, [size(w)]), 1d-10, 0d0), &
                         path//": expect_W "//key)
          end if
        end if
        deallocate (w)
      case ("obs")
        read (line, *) key, nobs
        allocate (rows(nobs), cols(nobs), values(nobs))
        do j = 1, nobs
          call next_record(unit, line, ios)
          read (line, *) rows(j), cols(j), values(j)
        end do
        call check_ok(dln_set_observations(model, rows, cols, values), model, "dln_set_observations")
        call check_ok(dln_get_observation_count(model, count), model, "dln_get_observation_count")
        call check(count == nobs, path//": observation count")
      case ("loss_before", "loss_after")
        read (line, *) key, expect_loss
        call check_ok(dln_loss(model, data_cost, ridge_term), model, "dln_loss")
        call check(rel_close([data_cost + ridge_term], [expect_loss], 1d-10, 0d0), path//": "//trim(key))
      case ("checkpoint_at")
        read (line, *) key, checkpoint_at
      case ("steps")
        read (line, *) key, steps
        call check(checkpoint_at <= steps, path//": checkpoint_at beyond the steps")
        if (checkpoint_at == 0) call checkpoint_round_trip(model, path, 0)
        do t = 1, steps
          call next_record(unit, line, ios)
          read (line, *) key, b
          allocate (batch(b))
          read (line, *) key, b, batch
          status = dln_step_batch(model, batch)
          if (status /= DLN_OK) call check_ok(status, model, "dln_step_batch")
          deallocate (batch)
          if (t == checkpoint_at) call checkpoint_round_trip(model, path, t)
        end do
        call check_ok(dln_get_step_count(model, step), model, "dln_get_step_count")
        call check(step == steps, path//": step count")
      case ("svals_A")
        read (line, *) key, k
        allocate (svals(k))
        read (line, *) key, k, svals
        call check_ok(dln_singular_values(model, s), model, "dln_singular_values")
        ! k = min_l n_l values from the library; the vector lists all
        ! min(n, m) of the dense A, the extra ones zero up to rounding.
        call check(size(s) == minval(widths), path//": number of singular values")
        if (size(s) == minval(widths) .and. size(s) <= k) then
          call check(rel_close(s, svals(1:size(s)), 1d-10, svals(1)), path//": svals_A")
          if (k > size(s)) call check(rel_close(0 * svals(size(s) + 1:), svals(size(s) + 1:), &
                                                1d-10, svals(1)), path//": zero svals_A")
        end if
      case default
        call check(.false., path//": unknown record "//trim(key))
      end select
    end do
    close (unit)
    call check(depth >= 1 .and. steps >= 1, path//": vector read")
    call dln_destroy(model)
  end subroutine

  !> dln_save to a file, dln_destroy, dln_load: the run goes on from the
  !> loaded handle, which must be at step t. Calls the generated raw layer
  !> (c_dln_*) directly, so that it is exercised as the header declares it.
  subroutine checkpoint_round_trip(model, vector, t)
    type(dln_model), intent(inout) :: model
    character(len=*), intent(in) :: vector
    integer, intent(in) :: t
    character(kind=c_char), allocatable, target :: cpath(:)
    character(len=:), allocatable :: file
    type(c_ptr), target :: loaded
    integer(c_int64_t), target :: step
    integer :: i, unit
    file = "dlnsgd_fortran_ckpt_"//vector(index(vector, "/", back=.true.) + 1:)//".bin"
    allocate (cpath(len(file) + 1))
    do i = 1, len(file)
      cpath(i) = file(i:i)
    end do
    cpath(size(cpath)) = c_null_char
    call check_ok(c_dln_save(model%ptr, c_loc(cpath)), model, "c_dln_save")
    call c_dln_destroy(model%ptr)
    model%ptr = c_null_ptr
    loaded = c_null_ptr
    call check_ok(c_dln_load(c_loc(cpath), c_loc(loaded)), model, "c_dln_load")
    model%ptr = loaded
    call check(c_associated(model%ptr), vector//": loaded handle")
    call check_ok(c_dln_get_step_count(model%ptr, c_loc(step)), model, "c_dln_get_step_count")
    call check(step == t, vector//": step count of the loaded checkpoint")
    open (newunit=unit, file=file, status='old')
    close (unit, status='delete')
  end subroutine

  ! -------------------------------------------------------------- API
  subroutine expect_status(status, want, model, what)
    integer(c_int), intent(in) :: status, want
    type(dln_model), intent(in) :: model
    character(len=*), intent(in) :: what
    character(len=:), allocatable :: msg
    msg = dln_last_error(model)
    call check(status == want, what//": got "//dln_status_name(status)//", want "//dln_status_name(want))
    call check(len(msg) > 0, what//": empty dln_last_error")
  end subroutine

  subroutine api_tests()
    integer(c_int) :: s, codes(13), params(8)
    character(len=32) :: names(13), pnames(8)
    type(dln_model) :: model, copy, none
    integer(c_int64_t) :: depth, step, seed, rank, count
    integer(c_int64_t), allocatable :: widths(:), ranks(:)
    real(c_double), allocatable :: w1(:, :), w2(:, :), w1b(:, :), sv(:), norms(:)
    real(c_double) :: v, lo, hi, data_cost, ridge_term, norm2, nan, report(0:DLN_BR_REPORT_SIZE - 1)
    logical :: inside
    integer :: j
    character(len=16) :: vs
    character(len=128) :: create_message

    codes = [DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_INVALID_ARGUMENT, DLN_ERR_OUT_OF_RANGE, &
             DLN_ERR_NOT_FINITE, DLN_ERR_UNKNOWN_PARAM, DLN_ERR_STATE, DLN_ERR_DIVERGED, &
             DLN_ERR_NOMEM, DLN_ERR_LAPACK, DLN_ERR_IO, DLN_ERR_FORMAT, DLN_ERR_INTERNAL]
    names = [character(len=32) :: "DLN_OK", "DLN_ERR_NULL_POINTER", "DLN_ERR_INVALID_ARGUMENT", &
             "DLN_ERR_OUT_OF_RANGE", "DLN_ERR_NOT_FINITE", "DLN_ERR_UNKNOWN_PARAM", &
             "DLN_ERR_STATE", "DLN_ERR_DIVERGED", "DLN_ERR_NOMEM", "DLN_ERR_LAPACK", &
             "DLN_ERR_IO", "DLN_ERR_FORMAT", "DLN_ERR_INTERNAL"]
    do j = 1, size(codes)
      call check(dln_status_name(codes(j)) == trim(names(j)), "status constant "//trim(names(j)))
      call check(len(dln_status_string(codes(j))) > 0, "status string "//trim(names(j)))
    end do
    params = [DLN_PARAM_LEARNING_RATE, DLN_PARAM_RIDGE, DLN_PARAM_BATCH_SIZE, DLN_PARAM_SAMPLER, &
              DLN_PARAM_THREADS, DLN_PARAM_JUMP_INTERVAL, DLN_PARAM_JUMP_RTOL, DLN_PARAM_RANK_ATOL]
    pnames = [character(len=32) :: "DLN_PARAM_LEARNING_RATE", "DLN_PARAM_RIDGE", &
              "DLN_PARAM_BATCH_SIZE", "DLN_PARAM_SAMPLER", "DLN_PARAM_THREADS", &
              "DLN_PARAM_JUMP_INTERVAL", "DLN_PARAM_JUMP_RTOL", "DLN_PARAM_RANK_ATOL"]
    do j = 1, size(params)
      call check(dln_param_name(params(j)) == trim(pnames(j)), "param constant "//trim(pnames(j)))
      call check(dln_param_bounds(params(j), lo, hi) == DLN_OK .and. lo <= hi, "bounds "//trim(pnames(j)))
    end do
    call check(dln_param_name(99_c_int) == "", "unknown param name")
    write (vs, '(i0, ".", i0, ".", i0)') DLN_VERSION_MAJOR, DLN_VERSION_MINOR, DLN_VERSION_PATCH
    call check(dln_version_string() == trim(vs), "version string "//dln_version_string())
    call check(dln_version_number() == DLN_VERSION_MAJOR * 10000 + DLN_VERSION_MINOR * 100 &
               + DLN_VERSION_PATCH, "version number")

    ! lifecycle and shape
    call check_ok(dln_create(model, [4_c_int64_t, 3_c_int64_t, 5_c_int64_t], -1_c_int64_t), model, "create")
    call check_ok(dln_get_depth(model, depth), model, "get_depth")
    call check(depth == 2, "depth")
    call check_ok(dln_get_widths(model, widths), model, "get_widths")
    call check(all(widths == [4, 3, 5]), "widths")
    call check_ok(dln_get_seed(model, seed), model, "get_seed")
    call check(seed == -1_c_int64_t, "uint64 seed carried bit for bit")
    call check_ok(dln_set_step_count(model, 9_c_int64_t), model, "set_step_count")
    call check_ok(dln_get_step_count(model, step), model, "get_step_count")
    call check(step == 9, "step count")
    call check_ok(dln_set_param(model, DLN_PARAM_LEARNING_RATE, 0.05d0), model, "set eta")
    call check_ok(dln_set_param(model, DLN_PARAM_RIDGE, 0.01d0), model, "set lambda")
    call check_ok(dln_get_param(model, DLN_PARAM_LEARNING_RATE, v), model, "get eta")
    call check(v == 0.05d0, "eta round trip")

    ! weights: Fortran W(n_l, n_(l-1)) both ways
    w1 = reshape([(0.1d0 * j - 0.55d0, j = 1, 12)], [3, 4])
    w2 = reshape([(0.05d0 * j - 0.4d0, j = 1, 15)], [5, 3])
    call check_ok(dln_set_weights(model, 1_c_int64_t, w1), model, "set_weights 1")
    call check_ok(dln_set_weights(model, 2_c_int64_t, w2), model, "set_weights 2")
    call check_ok(dln_get_weights(model, 1_c_int64_t, w1b), model, "get_weights 1")
    call check(all(w1b == w1), "weights round trip (layout)")
    call check_ok(dln_weight_norm2(model, norm2), model, "weight_norm2")
    call check(abs(norm2 - (sum(w1**2) + sum(w2**2))) <= 1d-12 * norm2, "weight_norm2 value")
    call check_ok(dln_singular_values(model, sv), model, "singular_values")
    call check(size(sv) == 3, "number of singular values")
    call check_ok(dln_output_column_norms(model, norms), model, "output_column_norms")
    call check(rel_close(norms, sqrt(sum(w2**2, dim=1)), 1d-12, 0d0), "output column norms")
    call check_ok(dln_input_row_norms(model, norms), model, "input_row_norms")
    call check(rel_close(norms, sqrt(sum(w1**2, dim=2)), 1d-12, 0d0), "input row norms")
    call check_ok(dln_bottleneck_ranks(model, 0d0, 1d-12, ranks), model, "bottleneck_ranks")
    call check(size(ranks) == 1, "bottleneck ranks size")
    call check_ok(dln_jump_count(model, count), model, "jump_count")
    call check(count == 0, "no jumps")

    ! observations and a step on a clone
    call check_ok(dln_set_observations(model, [0_c_int64_t, 4_c_int64_t], [3_c_int64_t, 0_c_int64_t], &
                                       [1d0, -1d0]), model, "set_observations")
    call check_ok(dln_loss(model, data_cost, ridge_term), model, "loss")
    call check(abs(ridge_term - 0.01d0 * norm2) <= 1d-12 * ridge_term, "ridge term")
    call check_ok(dln_Br_report(model, 1_c_int64_t, -1d0, -1d0, -1d0, report), model, "Br_report")
    call check(abs(report(DLN_BR_NORM2) - norm2) <= 1d-12 * norm2, "Br report norm2")
    call check_ok(dln_in_Br(model, 1_c_int64_t, -1d0, -1d0, -1d0, inside), model, "in_Br")
    call check(inside .eqv. (report(DLN_BR_INSIDE) == 1d0), "in_Br agrees with the report")
    call check_ok(dln_query_absorbed_rank(model, rank), model, "query_absorbed_rank")
    call check_ok(dln_clone(model, copy), model, "clone")
    call check_ok(dln_step_batch(copy, [1_c_int64_t]), copy, "step_batch on the clone")
    call check_ok(dln_get_weights(model, 1_c_int64_t, w1b), model, "get_weights after clone step")
    call check(all(w1b == w1), "clone is independent")
    call dln_destroy(copy)

    ! errors: status name plus message, state kept
    nan = ieee_value(nan, ieee_quiet_nan)
    call expect_status(dln_set_param(model, DLN_PARAM_LEARNING_RATE, nan), DLN_ERR_NOT_FINITE, model, &
                       "NaN learning rate")
    call expect_status(dln_set_param(model, 99_c_int, 1d0), DLN_ERR_UNKNOWN_PARAM, model, "unknown param")
    call expect_status(dln_get_weights(model, 3_c_int64_t, w1b), DLN_ERR_OUT_OF_RANGE, model, "layer 3 of 2")
    call expect_status(dln_set_weights(model, 0_c_int64_t, w1), DLN_ERR_OUT_OF_RANGE, model, "layer 0")
    call expect_status(dln_step_batch(model, [2_c_int64_t]), DLN_ERR_OUT_OF_RANGE, model, "batch index 2 of 2")
    call expect_status(dln_set_observations(model, [5_c_int64_t], [0_c_int64_t], [1d0]), &
                       DLN_ERR_OUT_OF_RANGE, model, "row 5 of 5")
    call expect_status(dln_test_error(model, v), DLN_ERR_STATE, model, "test error without a test set")
    call check_ok(dln_get_step_count(model, step), model, "step count after errors")
    call check(step == 9, "errors changed no state")
    call check_ok(dln_get_weights(model, 1_c_int64_t, w1b), model, "weights after errors")
    call check(all(w1b == w1), "errors changed no weights")
    call expect_status(dln_loss(none, data_cost, ridge_term), DLN_ERR_NULL_POINTER, none, "null handle")
    call expect_status(dln_create(copy, [3_c_int64_t, 0_c_int64_t, 2_c_int64_t], 0_c_int64_t), &
                       DLN_ERR_INVALID_ARGUMENT, none, "zero width")
    call check(.not. c_associated(copy%ptr), "failed create leaves the handle null")
    s = dln_create(copy, [3_c_int64_t, 0_c_int64_t, 2_c_int64_t], 0_c_int64_t, message=create_message)
    call check(trim(create_message) == "dln_create: widths[1]=0 must be in [1, 2^40]", &
               "dln_create explains itself: "//trim(create_message))

    call dln_destroy(model)
    call check(.not. c_associated(model%ptr), "destroy nulls the handle")
    call dln_destroy(model) ! no-op
    s = DLN_OK
    call check(s == 0, "DLN_OK is 0")
  end subroutine

  !> The wrappers not used above: layouts, allocatable outputs, strings.
  subroutine api_more()
    type(dln_model) :: m, back, none
    real(c_double) :: a0(5, 4), truth(5, 4), v, rank_f, lo, hi, cost, resid
    real(c_double), allocatable :: w1(:, :), w2(:, :), wb(:, :), sv(:), a(:, :), svl(:)
    real(c_double), allocatable :: trace(:, :), changes(:, :), grad_layers(:)
    real(c_double) :: grad(0:DLN_GRAD_REPORT_SIZE - 1)
    integer(c_int64_t), allocatable :: rec(:, :)
    integer(c_int8_t), allocatable :: bytes(:)
    integer(c_int64_t) :: rank, count, step, seed
    character(len=*), parameter :: path = "dlnsgd_fortran_test.ckpt"
    integer :: i, j

    do j = 1, 4
      do i = 1, 5
        a0(i, j) = (0.3d0 * i - 0.8d0) * (0.5d0 * j - 1.1d0) + (0.1d0 * i * i - 1d0) * (0.2d0 * j)
      end do
    end do
    call check_ok(dln_create(m, [4_c_int64_t, 3_c_int64_t, 5_c_int64_t], 11_c_int64_t), m, "create")
    call check_ok(dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.1d0), m, "eta")
    call check_ok(dln_set_param(m, DLN_PARAM_RIDGE, 0.02d0), m, "lambda")
    ! balanced factorisation of a rank-2 A0(5, 4): the product must give A0
    call check_ok(dln_init_balanced(m, a0), m, "init_balanced")
    call check_ok(dln_get_weights(m, 1_c_int64_t, w1), m, "W1")
    call check_ok(dln_get_weights(m, 2_c_int64_t, w2), m, "W2")
    call check(all(shape(w1) == [3, 4]) .and. all(shape(w2) == [5, 3]), "weight shapes")
    a = matmul(w2, w1)
    call check(maxval(abs(a - a0)) <= 1d-12 * maxval(abs(a0)), "init_balanced reproduces A0")
    call check_ok(dln_balancedness(m, resid), m, "balancedness")
    call check(resid <= 1d-10, "balanced")
    call check_ok(dln_singular_values(m, sv), m, "singular values")
    call check_ok(dln_representation_cost(m, cost), m, "representation cost")
    call check(abs(cost - 2 * sum(sv)) <= 1d-10 * cost, "representation cost = L sum sigma^(2/L)")
    call check_ok(dln_layer_singular_values(m, 2_c_int64_t, svl), m, "layer singular values")
    call check(size(svl) == 3, "layer 2 has 3 singular values")
    call check_ok(dln_bottleneck_singular_values(m, 1_c_int64_t, svl), m, "bottleneck singular values")
    call check(size(svl) == 3, "M_1 has n_1 = 3 singular values")
    call check_ok(dln_query_rank(m, 1d-8, rank), m, "query_rank")
    call check(rank == 2, "rank of a rank-2 A0")
    call check_ok(dln_rank(m, 0_c_int64_t, DLN_RANK_STABLE, 0d0, 0d0, rank_f), m, "rank")
    call check(abs(rank_f - sum(sv**2) / sv(1)**2) <= 1d-10 * rank_f, "stable rank")
    call check_ok(dln_rank_of_spectrum([1d0, 3d0, 0d0], DLN_RANK_NUMERICAL, 0d0, 0.5d0, rank_f), m, &
                  "rank_of_spectrum")
    call check(rank_f == 1d0, "numerical rank of {1, 3, 0} at rtol 0.5")
    ! data, test data, ground truth
    call check_ok(dln_set_observations(m, [0_c_int64_t, 1_c_int64_t, 4_c_int64_t], &
                  [0_c_int64_t, 3_c_int64_t, 2_c_int64_t], [1d0, 0.5d0, -1d0]), m, "observations")
    call check_ok(dln_set_test_observations(m, [2_c_int64_t], [1_c_int64_t], [0.25d0]), m, "test set")
    call check_ok(dln_test_error(m, v), m, "test error (held-out)")
    call check(abs(v - (a(3, 2) - 0.25d0)**2) <= 1d-12 * max(v, 1d-300), "held-out error, 0-based (2, 1)")
    truth = 0.5d0
    call check_ok(dln_set_ground_truth(m, truth), m, "ground truth")
    call check_ok(dln_test_error(m, v), m, "test error (truth)")
    call check(abs(v - sum((a - truth)**2) / 20) <= 1d-12 * v, "ground-truth error")
    call check_ok(dln_set_ground_truth(m), m, "clear ground truth")
    call check_ok(dln_set_sample_subset(m, [1_c_int64_t]), m, "sample subset")
    call check_ok(dln_set_param(m, DLN_PARAM_SAMPLER, real(DLN_SAMPLER_SUBSET, c_double)), m, "sampler")
    ! schedules
    call check_ok(dln_set_schedule(m, DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_EXPONENTIAL, [0.5d0]), m, &
                  "schedule")
    call check_ok(dln_schedule_value(m, DLN_PARAM_LEARNING_RATE, 3_c_int64_t, v), m, "schedule value")
    call check(abs(v - 0.1d0 * 0.125d0) <= 1d-15, "exponential schedule")
    call check_ok(dln_set_schedule(m, DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_CONSTANT), m, "constant")
    call check_ok(dln_param_bounds(DLN_PARAM_THREADS, lo, hi), m, "bounds")
    ! steps, jumps, checkpoints
    call check_ok(dln_set_param(m, DLN_PARAM_JUMP_INTERVAL, 1d0), m, "jump interval")
    call check_ok(dln_step(m, 4_c_int64_t), m, "step")
    call check_ok(dln_jump_count(m, count), m, "jump count")
    call check_ok(dln_get_jumps(m, 0_c_int64_t, count, rec), m, "get_jumps")
    call check(size(rec, 1) == DLN_JUMP_RECORD_SIZE .and. size(rec, 2) == count, "jump records shape")
    call check_ok(dln_clear_jumps(m), m, "clear_jumps")
    call check_ok(dln_set_seed(m, 99_c_int64_t), m, "set_seed")
    call check_ok(dln_save_buffer(m, bytes), m, "save_buffer")
    call check(size(bytes) > 0, "checkpoint bytes")
    call check_ok(dln_load_buffer(bytes, back), back, "load_buffer")
    call check_ok(dln_get_weights(back, 2_c_int64_t, wb), back, "weights of the loaded copy")
    call check_ok(dln_get_weights(m, 2_c_int64_t, w2), m, "weights")
    call check(all(wb == w2), "buffer checkpoint round trip")
    call check_ok(dln_get_seed(back, seed), back, "seed of the loaded copy")
    call check(seed == 99, "seed in the checkpoint")
    call dln_destroy(back)
    call check_ok(dln_save(m, path), m, "save")
    call check_ok(dln_load(path, back), back, "load")
    call check_ok(dln_get_step_count(back, step), back, "step count of the loaded copy")
    call check(step == 4, "file checkpoint round trip")
    ! the rank-change log, the trace and the gradient as arrays
    call check_ok(dln_set_param(m, DLN_PARAM_TRACE_INTERVAL, 2d0), m, "trace interval")
    call check_ok(dln_set_step_count(m, 0_c_int64_t), m, "step count 0")
    call check_ok(dln_step(m, 6_c_int64_t), m, "traced steps")
    call check_ok(dln_get_trace(m, trace), m, "get_trace")
    call check(size(trace, 1) == DLN_TRACE_RECORD_SIZE .and. size(trace, 2) == 3, "trace shape")
    call check(all(trace(DLN_TRACE_STEP, :) == [2d0, 4d0, 6d0]), "trace rows at steps 2, 4, 6")
    call check_ok(dln_get_rank_changes(m, changes), m, "get_rank_changes")
    call check(size(changes, 1) == DLN_CHANGE_RECORD_SIZE, "rank-change records shape")
    call check_ok(dln_gradient_norm(m, grad, grad_layers), m, "gradient_norm")
    call check(size(grad_layers) == 2, "gradient per layer")
    call check(abs(sqrt(sum(grad_layers**2)) - grad(DLN_GRAD_NORM)) <= 1d-12 * grad(DLN_GRAD_NORM), &
               "gradient total = norm of the layers")
    call check(trace(DLN_TRACE_GRADIENT_NORM, 3) == grad(DLN_GRAD_NORM), "trace holds the gradient norm")
    call check_ok(dln_clear_trace(m), m, "clear_trace")
    call check_ok(dln_get_trace(m, trace), m, "empty trace")
    call check(size(trace, 2) == 0, "trace cleared")
    ! no handle: the message is dln_last_error(NULL)'s static text
    call expect_status(dln_load(path//".missing", none), DLN_ERR_IO, none, "load a missing file")
    call check(.not. c_associated(none%ptr), "failed load leaves the handle null")
    call expect_status(dln_load_buffer(bytes(1:8), none), DLN_ERR_FORMAT, none, "load a truncated buffer")
    open (newunit=i, file=path, status='old')
    close (i, status='delete')
    call dln_destroy(back)
    call dln_destroy(m)
  end subroutine

  !> The binding's own refusals answer a status and a message and change
  !> nothing (a library never stops its caller); the _ex forms explain.
  subroutine api_refusals()
    type(dln_model) :: m, back
    real(c_double), allocatable :: w1(:, :), wb(:, :)
    real(c_double) :: lo, hi, rank_f, wrong(4, 3), a0(3, 3)
    integer(c_int8_t), allocatable :: before(:), after(:)
    integer(c_int) :: s
    character(len=256) :: msg
    character(len=64) :: padded
    character(len=*), parameter :: path = "dlnsgd_fortran_refusals.ckpt"
    logical :: exists
    integer :: u, j

    call check_ok(dln_create(m, [4_c_int64_t, 3_c_int64_t, 5_c_int64_t], 5_c_int64_t), m, "create")
    call check_ok(dln_init_weights(m, DLN_INIT_GAUSSIAN, [0.5d0]), m, "init weights")
    call check_ok(dln_set_observations(m, [0_c_int64_t, 4_c_int64_t], [3_c_int64_t, 0_c_int64_t], [1d0, -1d0]), &
                  m, "observations")
    call check_ok(dln_get_weights(m, 1_c_int64_t, w1), m, "W1")
    call check_ok(dln_save_buffer(m, before), m, "state before")

    ! size mismatches: a status and a message, never a stop; nothing changes
    wrong = 1
    s = dln_set_weights(m, 1_c_int64_t, wrong, message=msg)
    call check(s == DLN_ERR_OUT_OF_RANGE, "set_weights of a (4, 3) array for W1(3, 4): "//dln_status_name(s))
    call check(trim(msg) == "dln_set_weights: w has shape (4, 3), the call needs (3, 4)", &
               "set_weights explains: "//trim(msg))
    s = dln_set_observations(m, [0_c_int64_t, 1_c_int64_t], [0_c_int64_t, 1_c_int64_t, 2_c_int64_t], &
                             [1d0, 2d0, 3d0], message=msg)
    call check(s == DLN_ERR_OUT_OF_RANGE, "observations with 2 rows for 3 values: "//dln_status_name(s))
    call check(trim(msg) == "dln_set_observations: rows has shape (2), the call needs (3)", &
               "set_observations explains: "//trim(msg))
    s = dln_set_test_observations(m, [0_c_int64_t], [0_c_int64_t, 1_c_int64_t], [1d0], message=msg)
    call check(s == DLN_ERR_OUT_OF_RANGE .and. &
               trim(msg) == "dln_set_test_observations: cols has shape (2), the call needs (1)", &
               "test observations with 2 cols for 1 value: "//trim(msg))
    s = dln_set_ground_truth(m, wrong)
    call check(s == DLN_ERR_OUT_OF_RANGE, "ground truth (4, 3) for A(5, 4), no message asked: "//dln_status_name(s))
    a0 = 1
    s = dln_init_balanced(m, a0, message=msg)
    call check(s == DLN_ERR_OUT_OF_RANGE .and. &
               trim(msg) == "dln_init_balanced: a0 has shape (3, 3), the call needs (5, 4)", &
               "init_balanced of a (3, 3) a0: "//trim(msg))
    ! a failure of the library itself comes back in message too
    s = dln_set_weights(m, 7_c_int64_t, wrong, message=msg)
    call check(s == DLN_ERR_OUT_OF_RANGE .and. trim(msg) == dln_last_error(m) .and. &
               index(msg, "dln_set_weights: ") == 1, "the library's own refusal in message: "//trim(msg))
    call check_ok(dln_set_weights(m, 1_c_int64_t, w1, message=msg), m, "set_weights of the right shape")
    call check(trim(msg) == "", "message is empty on success")
    call check_ok(dln_save_buffer(m, after), m, "state after")
    call check(size(after) == size(before), "refusals kept the state size")
    if (size(after) == size(before)) call check(all(after == before), "refusals changed no state")

    ! a NUL inside a path is refused, never cut short at it
    open (newunit=u, file=path, status='old', iostat=j)
    if (j == 0) close (u, status='delete')
    s = dln_save(m, path//achar(0)//".more", message=msg)
    call check(s == DLN_ERR_INVALID_ARGUMENT, "save to a path holding a NUL: "//dln_status_name(s))
    call check(index(msg, "dln_save: path holds a NUL character (char(0)) at position 29") == 1, &
               "save explains the NUL: "//trim(msg))
    inquire (file=path, exist=exists)
    call check(.not. exists, "no file written at the part before the NUL")
    call check_ok(dln_save(m, path), m, "save")
    s = dln_load(path//achar(0)//"x", back, message=msg)
    call check(s == DLN_ERR_INVALID_ARGUMENT, "load of an existing file's name plus a NUL: "//dln_status_name(s))
    call check(index(msg, "dln_load: path holds a NUL character") == 1, "load explains the NUL: "//trim(msg))
    call check(.not. c_associated(back%ptr), "the refused load leaves the handle null")
    ! trailing blanks are not part of a name (as for OPEN's FILE=)
    padded = path
    call check_ok(dln_load(padded, back, message=msg), back, "load of a blank-padded name")
    call check(trim(msg) == "", "load's message is empty on success")
    call check_ok(dln_get_weights(back, 1_c_int64_t, wb), back, "weights of the loaded copy")
    call check(all(wb == w1), "the blank-padded name named the saved file")
    call dln_destroy(back)
    s = dln_load(path//".missing", back, message=msg)
    call check(s == DLN_ERR_IO .and. index(msg, "dln_load: ") == 1, "load of a missing file explains: "//trim(msg))
    open (newunit=u, file=path, status='old')
    close (u, status='delete')

    ! the handle-free calls through their _ex forms
    s = dln_param_bounds(99_c_int, lo, hi, message=msg)
    call check(s == DLN_ERR_UNKNOWN_PARAM .and. &
               trim(msg) == "dln_param_bounds: param=99 is not a DLN_PARAM_* id", "param_bounds explains: "//trim(msg))
    call check_ok(dln_param_bounds(DLN_PARAM_THREADS, lo, hi, message=msg), m, "param_bounds")
    call check(trim(msg) == "" .and. lo >= 1, "param_bounds: empty message on success")
    s = dln_rank_of_spectrum([1d0, -2d0], DLN_RANK_NUMERICAL, 0d0, 0d0, rank_f, message=msg)
    call check(s == DLN_ERR_INVALID_ARGUMENT .and. &
               trim(msg) == "dln_rank_of_spectrum: sigma[1]=-2 is negative", "rank_of_spectrum explains: "//trim(msg))
    call check_ok(dln_rank_of_spectrum([1d0, 3d0, 0d0], DLN_RANK_NUMERICAL, 0d0, 0.5d0, rank_f, message=msg), m, &
                  "rank_of_spectrum")
    call check(rank_f == 1d0 .and. trim(msg) == "", "rank_of_spectrum: value, empty message")
    call dln_destroy(m)
  end subroutine

end program test_dlnsgd
