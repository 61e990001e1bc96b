!> Example: complete a rank-one 6 x 5 matrix from 20 of its entries with a
!> depth-3 linear network, then look at the spectrum and the absorbed rank.
program dlnsgd_example
  use, intrinsic :: iso_c_binding
  use dlnsgd
  implicit none
  type(dln_model) :: net
  integer(c_int64_t) :: rows(20), cols(20), k, rank
  real(c_double) :: values(20), u(6), v(5), data_cost, ridge_term
  real(c_double), allocatable :: s(:)

  u = [1.0d0, -0.5d0, 0.8d0, 0.3d0, -1.2d0, 0.6d0]
  v = [0.9d0, -0.4d0, 1.1d0, 0.2d0, -0.7d0]
  do k = 1, 20                       ! 0-based row and column indices, as in C
    rows(k) = mod(7 * k, 6_c_int64_t)
    cols(k) = mod(3 * k + k / 6, 5_c_int64_t)
    values(k) = u(rows(k) + 1) * v(cols(k) + 1)
  end do

  call ok(dln_create(net, [5_c_int64_t, 4_c_int64_t, 4_c_int64_t, 6_c_int64_t], 42_c_int64_t))
  call ok(dln_set_param(net, DLN_PARAM_LEARNING_RATE, 0.05d0))
  call ok(dln_set_param(net, DLN_PARAM_RIDGE, 5d-3))
  call ok(dln_init_weights(net, DLN_INIT_GAUSSIAN, [0.4d0]))
  call ok(dln_set_observations(net, rows, cols, values))
  call ok(dln_step(net, 20000_c_int64_t))
  call ok(dln_loss(net, data_cost, ridge_term))
  call ok(dln_singular_values(net, s))
  call ok(dln_query_absorbed_rank(net, rank))
  write (*, '(a, es12.4, a, es12.4)') "data cost ", data_cost, "  ridge term ", ridge_term
  write (*, '(a, *(es11.3))') "singular values of A:", s
  write (*, '(a, i0)') "absorbed rank: ", rank
  call dln_destroy(net)

contains

  subroutine ok(status)
    integer(c_int), intent(in) :: status
    if (status /= DLN_OK) then
      write (*, '(a, ": ", a)') dln_status_name(status), dln_last_error(net)
      error stop 1
    end if
  end subroutine

end program dlnsgd_example
