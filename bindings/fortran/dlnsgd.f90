!> Fortran 2008 convenience layer of libdlnsgd (include/dlnsgd.h) over the
!> generated raw layer, module dlnsgd_c (dlnsgd_c.f90: every constant and
!> every C function as a bind(C) interface c_dln_*, all re-exported here).
!>
!> Public wrappers named as the C functions; every wrapper that can fail is
!> an integer(c_int) function returning the C status unchanged (DLN_OK or a
!> negative DLN_ERR_* value); dln_last_error(model) and
!> dln_status_name(status) give the details.
!>
!> Translations, and nothing else:
!>  - the handle is type(dln_model), holding the C pointer (no finalizer:
!>    call dln_destroy, which also nulls it);
!>  - matrices are ordinary Fortran arrays W(n_l, n_(l-1)), A(n, m): the
!>    wrappers copy them to and from the C library's row-major layout;
!>  - array outputs are allocatable and allocated by the wrapper; where the
!>    C call reports its size (out, capacity, *count) the size is asked
!>    first, by one helper (probe_then_fill);
!>  - indices passed through (observation rows, columns and indices) keep
!>    the C library's 0-based values; layers are 1..L as in C;
!>  - the uint64_t seed is carried bit for bit in an integer(c_int64_t);
!>  - C strings come back as character(len=:), allocatable;
!>  - dln_in_Br's int result is a logical;
!>  - report and record fields are 0-based arrays indexed by the DLN_BR_* and
!>    DLN_JUMP_* constants, as in C.
!> A C function without a wrapper here is still callable as c_dln_* (pass
!> c_loc of targets; see dlnsgd_c.f90). DLN_VERSION_NUMBER of the header is
!> DLN_HEADER_VERSION_NUMBER here (Fortran ignores case: the name is
!> dln_version_number's).
!>
!> Refusals of the binding itself (a library never stops its caller): an
!> array argument whose shape does not match what the C call reads answers
!> DLN_ERR_OUT_OF_RANGE, and a string argument holding a NUL character
!> (char(0)) DLN_ERR_INVALID_ARGUMENT, before the library is called: the
!> handle, and any file, are left as they were. dln_last_error(model) does
!> not see these refusals; the optional `message` argument of those
!> wrappers receives "function: detail" for them and the library's own
!> detail for its failures ("" on success), like dln_create's.
!>
!> Strings (paths): trailing blanks are not part of the name, as for the
!> FILE= specifier of Fortran's OPEN, so a fixed-length variable may be
!> passed as it is (a name that really ends in blanks cannot be given);
!> leading blanks are kept. The NUL that C needs is added by the wrapper:
!> pass the Fortran string itself, not trim(name)//c_null_char, since a NUL
!> inside the name would cut it short in C and is refused instead.
module dlnsgd
  use, intrinsic :: iso_c_binding, only: c_associated, c_char, c_double, c_f_pointer, c_int, &
    c_int64_t, c_int8_t, c_loc, c_null_char, c_null_ptr, c_ptr, c_size_t
  use dlnsgd_c, DLN_HEADER_VERSION_NUMBER => DLN_VERSION_NUMBER
  implicit none
  private :: c_associated, c_char, c_double, c_f_pointer, c_int, c_int64_t, c_int8_t, c_loc, &
    c_null_char, c_null_ptr, c_ptr, c_size_t
  private :: c_to_f_string, c_string, itoa, refuse, wrong_shape, explain, widths_of, row_major, pad, &
    probe_then_fill, doubles, args_of, set_triplets, layer_norms, pad_i64, &
    pad_f64, pad_i8, all_records

  !> The handle: an opaque dln_model pointer (c_null_ptr when not created).
  type, public :: dln_model
    type(c_ptr) :: ptr = c_null_ptr
  end type dln_model

  !> The C calls that report their output size: f(model, out, capacity, *count)
  !> and f(model, at, out, capacity, *count) (the raw c_dln_* interfaces);
  !> public only because gfortran will not hide a bind(C) interface.
  abstract interface
    integer(c_int) function sized_call(model, out, capacity, count) bind(C)
      import :: c_int, c_int64_t, c_ptr
      type(c_ptr), value :: model, out, count
      integer(c_int64_t), value :: capacity
    end function
    integer(c_int) function sized_call_at(model, at, out, capacity, count) bind(C)
      import :: c_int, c_int64_t, c_ptr
      type(c_ptr), value :: model, out, count
      integer(c_int64_t), value :: at, capacity
    end function
  end interface

  !> v: a copy of a possibly empty input array x with at least one element, so
  !> that c_loc is valid (the C library may refuse NULL even for count 0).
  interface pad
    module procedure pad_i64, pad_f64, pad_i8
  end interface

contains

  ! ------------------------------------------------------------- helpers
  !> A NUL-terminated C string as a Fortran string ("" for NULL).
  function c_to_f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    interface
      function c_strlen(s) bind(C, name="strlen")
        import :: c_ptr, c_size_t
        type(c_ptr), value :: s
        integer(c_size_t) :: c_strlen
      end function
    end interface
    n = 0
    if (c_associated(p)) n = int(c_strlen(p))
    allocate (character(len=n) :: s)
    if (n == 0) return
    call c_f_pointer(p, chars, [n])
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function

  !> c: the string s (trailing blanks dropped, as by OPEN's FILE=) as C
  !> characters with the terminating NUL. A NUL inside s would cut the name
  !> short in C: refused with DLN_ERR_INVALID_ARGUMENT (c is then empty).
  integer(c_int) function c_string(fn, what, s, c, message) result(status)
    character(len=*), intent(in) :: fn, what, s
    character(kind=c_char), allocatable, intent(out) :: c(:)
    character(len=*), intent(out), optional :: message
    integer :: i, n
    n = len_trim(s)
    i = index(s(1:n), achar(0))
    if (i > 0) then
      status = refuse(DLN_ERR_INVALID_ARGUMENT, fn, what//" holds a NUL character (char(0)) at position "// &
                      itoa(int(i, c_int64_t))//" (of "//itoa(int(n, c_int64_t))// &
                      "): pass the name without c_null_char", message)
      allocate (c(0))
      return
    end if
    allocate (c(n + 1))
    do i = 1, n
      c(i) = s(i:i)
    end do
    c(n + 1) = c_null_char
    status = DLN_OK
  end function

  !> i in decimal, without blanks.
  function itoa(i) result(s)
    integer(c_int64_t), intent(in) :: i
    character(len=:), allocatable :: s
    character(len=32) :: buffer
    write (buffer, '(i0)') i
    s = trim(buffer)
  end function

  !> A refusal of the binding itself: status, and "fn: detail" in message.
  integer(c_int) function refuse(code, fn, detail, message) result(status)
    integer(c_int), intent(in) :: code
    character(len=*), intent(in) :: fn, detail
    character(len=*), intent(out), optional :: message
    status = code
    if (present(message)) message = fn//": "//detail
  end function

  !> The shape check of an array argument: DLN_OK if shape(got) = need, else
  !> DLN_ERR_OUT_OF_RANGE naming both ("w has shape (4, 3), the call needs (3, 4)").
  integer(c_int) function wrong_shape(fn, what, got, need, message) result(status)
    character(len=*), intent(in) :: fn, what
    integer(c_int64_t), intent(in) :: got(:), need(:)
    character(len=*), intent(out), optional :: message
    status = DLN_OK
    if (size(got) == size(need)) then
      if (all(got == need)) return
    end if
    status = refuse(DLN_ERR_OUT_OF_RANGE, fn, what//" has shape "//shape_text(got)//", the call needs "// &
                    shape_text(need), message)
  contains
    function shape_text(n) result(t)
      integer(c_int64_t), intent(in) :: n(:)
      character(len=:), allocatable :: t
      integer :: k
      t = "("//itoa(n(1))
      do k = 2, size(n)
        t = t//", "//itoa(n(k))
      end do
      t = t//")"
    end function
  end function

  !> message (if present): "" on success, else the handle's dln_last_error.
  subroutine explain(status, model, message)
    integer(c_int), intent(in) :: status
    type(dln_model), intent(in) :: model
    character(len=*), intent(out), optional :: message
    if (.not. present(message)) return
    message = ""
    if (status /= DLN_OK) message = dln_last_error(model)
  end subroutine

  subroutine pad_i64(x, v)
    integer(c_int64_t), intent(in) :: x(:)
    integer(c_int64_t), allocatable, intent(out) :: v(:)
    allocate (v(max(size(x), 1)))
    v = 0
    v(1:size(x)) = x
  end subroutine

  subroutine pad_f64(x, v)
    real(c_double), intent(in) :: x(:)
    real(c_double), allocatable, intent(out) :: v(:)
    allocate (v(max(size(x), 1)))
    v = 0
    v(1:size(x)) = x
  end subroutine

  subroutine pad_i8(x, v)
    integer(c_int8_t), intent(in) :: x(:)
    integer(c_int8_t), allocatable, intent(out) :: v(:)
    allocate (v(max(size(x), 1)))
    v = 0
    v(1:size(x)) = x
  end subroutine

  !> The size-probe-then-fill pattern, once for every C call that reports its
  !> output size: f(model, out, capacity, *count), or f_at(model, at, ...):
  !> ask with capacity 0 (out NULL), allocate count elements of elem_size
  !> bytes, call again, keep what was written. The bytes come back in out
  !> (doubles transfers them to real(c_double)).
  integer(c_int) function probe_then_fill(model, elem_size, out, f, f_at, at) result(status)
    type(dln_model), intent(in) :: model
    integer, intent(in) :: elem_size
    integer(c_int8_t), allocatable, target, intent(out) :: out(:)
    procedure(sized_call), optional :: f
    procedure(sized_call_at), optional :: f_at
    integer(c_int64_t), intent(in), optional :: at
    integer(c_int64_t), target :: count
    integer(c_int64_t) :: capacity
    count = 0
    status = ask(c_null_ptr, 0_c_int64_t)
    if (status /= DLN_OK) return
    capacity = count
    allocate (out(max(capacity * elem_size, 1_c_int64_t)))
    status = ask(c_loc(out), capacity)
    if (status == DLN_OK) out = out(1:min(count, capacity) * elem_size)
  contains
    integer(c_int) function ask(buffer, cap)
      type(c_ptr), intent(in) :: buffer
      integer(c_int64_t), intent(in) :: cap
      if (present(f_at)) then
        ask = f_at(model%ptr, at, buffer, cap, c_loc(count))
      else
        ask = f(model%ptr, buffer, cap, c_loc(count))
      end if
    end function
  end function

  integer(c_int) function doubles(model, values, f, f_at, at) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: values(:)
    procedure(sized_call), optional :: f
    procedure(sized_call_at), optional :: f_at
    integer(c_int64_t), intent(in), optional :: at
    integer(c_int8_t), allocatable :: bytes(:)
    status = probe_then_fill(model, storage_size(1.0_c_double) / 8, bytes, f, f_at, at)
    if (status == DLN_OK) &
      values = transfer(bytes, [0.0_c_double], size(bytes) * 8 / storage_size(1.0_c_double))
  end function

  !> The optional args(:) of a call: their count and a padded copy.
  subroutine args_of(args, n, a)
    real(c_double), intent(in), optional :: args(:)
    integer(c_int64_t), intent(out) :: n
    real(c_double), allocatable, intent(out) :: a(:)
    n = 0
    if (present(args)) n = size(args)
    if (present(args)) then
      call pad(args, a)
    else
      call pad([real(c_double) ::], a)
    end if
  end subroutine

  !> w: the widths of a handle, or a zero-size array if it has none.
  subroutine widths_of(model, w)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), allocatable, intent(out) :: w(:)
    if (dln_get_widths(model, w) /= DLN_OK) allocate (w(0))
  end subroutine

  !> v: row-major (C) copy of a Fortran matrix (padded as by pad).
  subroutine row_major(a, v)
    real(c_double), intent(in) :: a(:, :)
    real(c_double), allocatable, intent(out) :: v(:)
    call pad(reshape(transpose(a), [size(a)]), v)
  end subroutine

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

  integer(c_int) function dln_version_number() result(v)
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
    real(c_double), intent(out), target :: value
    status = c_dln_get_param(model%ptr, param, c_loc(value))
  end function

  !> dln_param_bounds_ex: on failure the optional message gets its detail
  !> (there is no handle to hold it); "" on success.
  integer(c_int) function dln_param_bounds(param, min_value, max_value, message) result(status)
    integer(c_int), intent(in) :: param
    real(c_double), intent(out), target :: min_value, max_value
    character(len=*), intent(out), optional :: message
    character(kind=c_char), target :: buffer(512)
    buffer = c_null_char
    status = c_dln_param_bounds_ex(param, c_loc(min_value), c_loc(max_value), c_loc(buffer), &
                                   size(buffer, kind=c_int64_t))
    if (present(message)) message = c_to_f_string(c_loc(buffer))
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
    integer(c_int64_t), allocatable, target :: w(:)
    character(kind=c_char), target :: buffer(512)
    type(c_ptr), target :: out
    buffer = c_null_char
    call pad(widths, w)
    status = c_dln_create_ex(size(widths, kind=c_int64_t) - 1, c_loc(w), seed, c_loc(out), &
                             c_loc(buffer), size(buffer, kind=c_int64_t))
    if (status == DLN_OK) model%ptr = out
    if (present(message)) message = c_to_f_string(c_loc(buffer))
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
    type(c_ptr), target :: p
    status = c_dln_clone(model%ptr, c_loc(p))
    if (status == DLN_OK) out%ptr = p
  end function

  integer(c_int) function dln_get_depth(model, depth) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: depth
    status = c_dln_get_depth(model%ptr, c_loc(depth))
  end function

  !> Allocates widths(depth + 1).
  integer(c_int) function dln_get_widths(model, widths) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), allocatable, target, intent(out) :: widths(:)
    integer(c_int64_t) :: depth
    status = dln_get_depth(model, depth)
    if (status /= DLN_OK) return
    allocate (widths(depth + 1))
    status = c_dln_get_widths(model%ptr, c_loc(widths), depth + 1)
  end function

  integer(c_int) function dln_get_seed(model, seed) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: seed
    status = c_dln_get_seed(model%ptr, c_loc(seed))
  end function

  integer(c_int) function dln_set_seed(model, seed) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: seed
    status = c_dln_set_seed(model%ptr, seed)
  end function

  integer(c_int) function dln_get_step_count(model, step) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: step
    status = c_dln_get_step_count(model%ptr, c_loc(step))
  end function

  integer(c_int) function dln_set_step_count(model, step) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: step
    status = c_dln_set_step_count(model%ptr, step)
  end function

  ! --------------------------------------------------------------- data
  !> rows(k), cols(k) are 0-based as in C; count = size(values), and rows
  !> and cols must have that size (else DLN_ERR_OUT_OF_RANGE, nothing set).
  !> With test=.true., the held-out set (dln_set_test_observations;
  !> zero-size arrays clear it).
  integer(c_int) function set_triplets(model, rows, cols, values, test, message) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: rows(:), cols(:)
    real(c_double), intent(in) :: values(:)
    logical, intent(in) :: test
    character(len=*), intent(out), optional :: message
    integer(c_int64_t), allocatable, target :: r(:), c(:)
    real(c_double), allocatable, target :: v(:)
    character(len=*), parameter :: fn(2) = ["dln_set_observations     ", "dln_set_test_observations"]
    status = wrong_shape(trim(fn(merge(2, 1, test))), "rows", shape(rows, c_int64_t), &
                         shape(values, c_int64_t), message)
    if (status /= DLN_OK) return
    status = wrong_shape(trim(fn(merge(2, 1, test))), "cols", shape(cols, c_int64_t), &
                         shape(values, c_int64_t), message)
    if (status /= DLN_OK) return
    call pad(rows, r)
    call pad(cols, c)
    call pad(values, v)
    if (test) then
      status = c_dln_set_test_observations(model%ptr, size(values, kind=c_int64_t), c_loc(r), &
                                           c_loc(c), c_loc(v))
    else
      status = c_dln_set_observations(model%ptr, size(values, kind=c_int64_t), c_loc(r), &
                                      c_loc(c), c_loc(v))
    end if
    call explain(status, model, message)
  end function

  integer(c_int) function dln_set_observations(model, rows, cols, values, message) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: rows(:), cols(:)
    real(c_double), intent(in) :: values(:)
    character(len=*), intent(out), optional :: message
    status = set_triplets(model, rows, cols, values, .false., message)
  end function

  integer(c_int) function dln_set_test_observations(model, rows, cols, values, message) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: rows(:), cols(:)
    real(c_double), intent(in) :: values(:)
    character(len=*), intent(out), optional :: message
    status = set_triplets(model, rows, cols, values, .true., message)
  end function

  integer(c_int) function dln_get_observation_count(model, count) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: count
    status = c_dln_get_observation_count(model%ptr, c_loc(count))
  end function

  !> truth(n, m) (else DLN_ERR_OUT_OF_RANGE); without it the ground truth
  !> is cleared (C: NULL).
  integer(c_int) function dln_set_ground_truth(model, truth, message) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in), optional :: truth(:, :)
    character(len=*), intent(out), optional :: message
    real(c_double), allocatable, target :: v(:)
    integer(c_int64_t), allocatable :: w(:)
    if (.not. present(truth)) then
      status = c_dln_set_ground_truth(model%ptr, c_null_ptr)
      call explain(status, model, message)
      return
    end if
    call widths_of(model, w)
    if (size(w) > 0) then
      status = wrong_shape("dln_set_ground_truth", "truth", shape(truth, c_int64_t), [w(size(w)), w(1)], &
                           message)
      if (status /= DLN_OK) return
    end if
    call row_major(truth, v)
    status = c_dln_set_ground_truth(model%ptr, c_loc(v))
    call explain(status, model, message)
  end function

  !> Pool of 0-based observation indices; a zero-size array clears it.
  integer(c_int) function dln_set_sample_subset(model, indices) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: indices(:)
    integer(c_int64_t), allocatable, target :: buf(:)
    call pad(indices, buf)
    status = c_dln_set_sample_subset(model%ptr, size(indices, kind=c_int64_t), c_loc(buf))
  end function

  ! ----------------------------------------------------------- schedules
  integer(c_int) function dln_set_schedule(model, param, kind, args) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param, kind
    real(c_double), intent(in), optional :: args(:)
    real(c_double), allocatable, target :: a(:)
    integer(c_int64_t) :: n
    call args_of(args, n, a)
    status = c_dln_set_schedule(model%ptr, param, kind, n, c_loc(a))
  end function

  integer(c_int) function dln_schedule_value(model, param, step, value) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: param
    integer(c_int64_t), intent(in) :: step
    real(c_double), intent(out), target :: value
    status = c_dln_schedule_value(model%ptr, param, step, c_loc(value))
  end function

  ! -------------------------------------------------------------- weights
  !> w(n_layer, n_(layer-1)) (else DLN_ERR_OUT_OF_RANGE), layer 1..L.
  integer(c_int) function dln_set_weights(model, layer, w, message) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), intent(in) :: w(:, :)
    character(len=*), intent(out), optional :: message
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double), allocatable, target :: v(:)
    call widths_of(model, wd)
    if (layer >= 1 .and. layer < size(wd)) then
      status = wrong_shape("dln_set_weights", "w", shape(w, c_int64_t), [wd(layer + 1), wd(layer)], message)
      if (status /= DLN_OK) return
    end if
    call row_major(w, v) ! a bad layer or handle: the library reports it
    status = c_dln_set_weights(model%ptr, layer, c_loc(v))
    call explain(status, model, message)
  end function

  !> Allocates w(n_layer, n_(layer-1)).
  integer(c_int) function dln_get_weights(model, layer, w) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), allocatable, intent(out) :: w(:, :)
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double), allocatable, target :: buf(:)
    integer(c_int64_t) :: shape_(2)
    call widths_of(model, wd)
    shape_ = 0
    if (layer >= 1 .and. layer < size(wd)) shape_ = [wd(layer), wd(layer + 1)]
    allocate (buf(max(product(shape_), 1_c_int64_t)))
    status = c_dln_get_weights(model%ptr, layer, c_loc(buf))
    if (status == DLN_OK) w = transpose(reshape(buf(1:product(shape_)), shape_))
  end function

  integer(c_int) function dln_init_weights(model, kind, args) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: kind
    real(c_double), intent(in), optional :: args(:)
    real(c_double), allocatable, target :: a(:)
    integer(c_int64_t) :: n
    call args_of(args, n, a)
    status = c_dln_init_weights(model%ptr, kind, n, c_loc(a))
  end function

  !> a0(n, m) (else DLN_ERR_OUT_OF_RANGE).
  integer(c_int) function dln_init_balanced(model, a0, message) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: a0(:, :)
    character(len=*), intent(out), optional :: message
    integer(c_int64_t), allocatable :: wd(:)
    real(c_double), allocatable, target :: v(:)
    call widths_of(model, wd)
    if (size(wd) > 0) then
      status = wrong_shape("dln_init_balanced", "a0", shape(a0, c_int64_t), [wd(size(wd)), wd(1)], message)
      if (status /= DLN_OK) return
    end if
    call row_major(a0, v)
    status = c_dln_init_balanced(model%ptr, c_loc(v))
    call explain(status, model, message)
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
    integer(c_int64_t), allocatable, target :: buf(:)
    call pad(indices, buf)
    status = c_dln_step_batch(model%ptr, size(indices, kind=c_int64_t), c_loc(buf))
  end function

  ! ---------------------------------------------------------- observables
  integer(c_int) function dln_loss(model, data_cost, ridge_term) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: data_cost, ridge_term
    status = c_dln_loss(model%ptr, c_loc(data_cost), c_loc(ridge_term))
  end function

  integer(c_int) function dln_weight_norm2(model, norm2) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: norm2
    status = c_dln_weight_norm2(model%ptr, c_loc(norm2))
  end function

  integer(c_int) function dln_test_error(model, error) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: error
    status = c_dln_test_error(model%ptr, c_loc(error))
  end function

  !> Allocates values(k), all k = min_l n_l singular values of A (descending).
  integer(c_int) function dln_singular_values(model, values) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: values(:)
    status = doubles(model, values, f=c_dln_singular_values)
  end function

  integer(c_int) function dln_layer_singular_values(model, layer, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: layer
    real(c_double), allocatable, intent(out) :: values(:)
    status = doubles(model, values, f_at=c_dln_layer_singular_values, at=layer)
  end function

  integer(c_int) function dln_bottleneck_singular_values(model, k, values) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: k
    real(c_double), allocatable, intent(out) :: values(:)
    status = doubles(model, values, f_at=c_dln_bottleneck_singular_values, at=k)
  end function

  integer(c_int) function dln_query_rank(model, rtol, rank) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: rtol
    integer(c_int64_t), intent(out), target :: rank
    status = c_dln_query_rank(model%ptr, rtol, c_loc(rank))
  end function

  !> dln_rank_of_spectrum_ex: the optional message as for dln_param_bounds.
  integer(c_int) function dln_rank_of_spectrum(sigma, measure, atol, rtol, rank, message) result(status)
    real(c_double), intent(in) :: sigma(:)
    integer(c_int), intent(in) :: measure
    real(c_double), intent(in) :: atol, rtol
    real(c_double), intent(out), target :: rank
    character(len=*), intent(out), optional :: message
    real(c_double), allocatable, target :: buf(:)
    character(kind=c_char), target :: buffer(512)
    call pad(sigma, buf)
    buffer = c_null_char
    status = c_dln_rank_of_spectrum_ex(c_loc(buf), size(sigma, kind=c_int64_t), measure, atol, rtol, &
                                       c_loc(rank), c_loc(buffer), size(buffer, kind=c_int64_t))
    if (present(message)) message = c_to_f_string(c_loc(buffer))
  end function

  !> target 0 = A, 1..L = W_target.
  integer(c_int) function dln_rank(model, target, measure, atol, rtol, rank) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: target
    integer(c_int), intent(in) :: measure
    real(c_double), intent(in) :: atol, rtol
    real(c_double), intent(out), target :: rank
    status = c_dln_rank(model%ptr, target, measure, atol, rtol, c_loc(rank))
  end function

  !> Allocates ranks(max(L-1, 1)).
  integer(c_int) function dln_bottleneck_ranks(model, atol, rtol, ranks) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(in) :: atol, rtol
    integer(c_int64_t), allocatable, target, intent(out) :: ranks(:)
    integer(c_int64_t) :: depth
    status = dln_get_depth(model, depth)
    if (status /= DLN_OK) return
    allocate (ranks(max(depth - 1, 1_c_int64_t)))
    status = c_dln_bottleneck_ranks(model%ptr, atol, rtol, c_loc(ranks), size(ranks, kind=c_int64_t))
  end function

  integer(c_int) function dln_balancedness(model, residual) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: residual
    status = c_dln_balancedness(model%ptr, c_loc(residual))
  end function

  integer(c_int) function dln_representation_cost(model, cost) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: cost
    status = c_dln_representation_cost(model%ptr, c_loc(cost))
  end function

  !> Allocates norms(n_(L-1)): the column norms of W_L; with rows=.true.,
  !> norms(n_1), the row norms of W_1.
  integer(c_int) function layer_norms(model, rows, norms) result(status)
    type(dln_model), intent(in) :: model
    logical, intent(in) :: rows
    real(c_double), allocatable, target, intent(out) :: norms(:)
    integer(c_int64_t), allocatable :: wd(:)
    integer(c_int64_t) :: n
    call widths_of(model, wd)
    n = 0
    if (size(wd) >= 2) n = wd(merge(2, size(wd) - 1, rows))
    allocate (norms(max(n, 1_c_int64_t)))
    if (rows) then
      status = c_dln_input_row_norms(model%ptr, c_loc(norms), n)
    else
      status = c_dln_output_column_norms(model%ptr, c_loc(norms), n)
    end if
    if (status == DLN_OK) norms = norms(1:n)
  end function

  integer(c_int) function dln_output_column_norms(model, norms) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: norms(:)
    status = layer_norms(model, .false., norms)
  end function

  integer(c_int) function dln_input_row_norms(model, norms) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: norms(:)
    status = layer_norms(model, .true., norms)
  end function

  ! ------------------------------------------------------- absorbing sets
  !> A negative eps, delta or bound_c means the default of math §6.
  integer(c_int) function dln_in_Br(model, r, eps, delta, bound_c, inside) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: r
    real(c_double), intent(in) :: eps, delta, bound_c
    logical, intent(out) :: inside
    integer(c_int), target :: flag
    flag = 0
    status = c_dln_in_Br(model%ptr, r, eps, delta, bound_c, c_loc(flag))
    inside = flag /= 0
  end function

  integer(c_int) function dln_query_absorbed_rank(model, rank) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: rank
    status = c_dln_query_absorbed_rank(model%ptr, c_loc(rank))
  end function

  !> report(0:DLN_BR_REPORT_SIZE-1), indexed by the DLN_BR_* constants.
  integer(c_int) function dln_Br_report(model, r, eps, delta, bound_c, report) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: r
    real(c_double), intent(in) :: eps, delta, bound_c
    real(c_double), intent(out), target :: report(0:DLN_BR_REPORT_SIZE - 1)
    status = c_dln_Br_report(model%ptr, r, eps, delta, bound_c, c_loc(report))
  end function

  ! ------------------------------------------------------------ jump log
  integer(c_int) function dln_jump_count(model, count) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(out), target :: count
    status = c_dln_jump_count(model%ptr, c_loc(count))
  end function

  !> Allocates records(0:DLN_JUMP_RECORD_SIZE-1, count): record i of the C
  !> log (first + i - 1) is records(:, i), fields by DLN_JUMP_* constants.
  integer(c_int) function dln_get_jumps(model, first, count, records) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int64_t), intent(in) :: first, count
    integer(c_int64_t), allocatable, intent(out) :: records(:, :)
    integer(c_int64_t), allocatable, target :: buf(:)
    allocate (buf(DLN_JUMP_RECORD_SIZE * max(count, 1_c_int64_t)))
    status = c_dln_get_jumps(model%ptr, first, count, c_loc(buf))
    if (status == DLN_OK) then
      allocate (records(0:DLN_JUMP_RECORD_SIZE - 1, max(count, 0_c_int64_t)))
      records = reshape(buf(1:size(records)), shape(records))
    end if
  end function

  integer(c_int) function dln_clear_jumps(model) result(status)
    type(dln_model), intent(in) :: model
    status = c_dln_clear_jumps(model%ptr)
  end function

  ! ------------------------------------------- rank-change log and trace
  !> All records of a log of doubles (count call, then the fill) as
  !> records(0:width-1, count): the rank-change log or the trace.
  integer(c_int) function all_records(model, width, count_of, get, records) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int), intent(in) :: width
    interface
      integer(c_int) function count_of(model, count) bind(C)
        import :: c_int, c_ptr
        type(c_ptr), value :: model, count
      end function
      integer(c_int) function get(model, first, count, records) bind(C)
        import :: c_int, c_int64_t, c_ptr
        type(c_ptr), value :: model, records
        integer(c_int64_t), value :: first, count
      end function
    end interface
    real(c_double), allocatable, intent(out) :: records(:, :)
    integer(c_int64_t), target :: count
    real(c_double), allocatable, target :: buf(:, :)
    status = count_of(model%ptr, c_loc(count))
    if (status /= DLN_OK) return
    allocate (buf(0:width - 1, max(count, 1_c_int64_t)))
    status = get(model%ptr, 0_c_int64_t, count, c_loc(buf))
    if (status /= DLN_OK) return
    allocate (records(0:width - 1, count))  ! bounds 0:width-1 like the C fields
    records = buf(:, 1:count)
  end function

  !> Allocates records(0:DLN_CHANGE_RECORD_SIZE-1, count), fields by the
  !> DLN_CHANGE_* constants: every change of the absorbed or numerical rank.
  integer(c_int) function dln_get_rank_changes(model, records) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: records(:, :)
    status = all_records(model, DLN_CHANGE_RECORD_SIZE, c_dln_rank_change_count, c_dln_get_rank_changes, &
                         records)
  end function

  !> Allocates rows(0:DLN_TRACE_RECORD_SIZE-1, count), fields by the
  !> DLN_TRACE_* constants.
  integer(c_int) function dln_get_trace(model, rows) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), allocatable, intent(out) :: rows(:, :)
    status = all_records(model, DLN_TRACE_RECORD_SIZE, c_dln_trace_count, c_dln_get_trace, rows)
  end function

  integer(c_int) function dln_clear_trace(model) result(status)
    type(dln_model), intent(in) :: model
    status = c_dln_clear_trace(model%ptr)
  end function

  !> report(0:DLN_GRAD_REPORT_SIZE-1) by the DLN_GRAD_* constants, and
  !> per_layer(1:L), the norm of the gradient of each layer.
  integer(c_int) function dln_gradient_norm(model, report, per_layer) result(status)
    type(dln_model), intent(in) :: model
    real(c_double), intent(out), target :: report(0:DLN_GRAD_REPORT_SIZE - 1)
    real(c_double), allocatable, intent(out), target :: per_layer(:)
    integer(c_int64_t) :: depth
    status = dln_get_depth(model, depth)
    if (status /= DLN_OK) return
    allocate (per_layer(depth))
    status = c_dln_gradient_norm(model%ptr, c_loc(report), c_loc(per_layer), depth)
  end function

  ! ----------------------------------------------------------- checkpoints
  !> path without its trailing blanks (see the module's string rule); a NUL
  !> in it is refused (DLN_ERR_INVALID_ARGUMENT, no file written).
  integer(c_int) function dln_save(model, path, message) result(status)
    type(dln_model), intent(in) :: model
    character(len=*), intent(in) :: path
    character(len=*), intent(out), optional :: message
    character(kind=c_char), allocatable, target :: p(:)
    status = c_string("dln_save", "path", path, p, message)
    if (status /= DLN_OK) return
    status = c_dln_save(model%ptr, c_loc(p))
    call explain(status, model, message)
  end function

  !> dln_load_ex: on failure the optional message gets its detail (there is
  !> no handle to hold it) and the handle is left as it was. path as for
  !> dln_save.
  integer(c_int) function dln_load(path, model, message) result(status)
    character(len=*), intent(in) :: path
    type(dln_model), intent(inout) :: model
    character(len=*), intent(out), optional :: message
    character(kind=c_char), allocatable, target :: p(:)
    character(kind=c_char), target :: buffer(512)
    type(c_ptr), target :: out
    status = c_string("dln_load", "path", path, p, message)
    if (status /= DLN_OK) return
    buffer = c_null_char
    status = c_dln_load_ex(c_loc(p), c_loc(out), c_loc(buffer), size(buffer, kind=c_int64_t))
    if (status == DLN_OK) model%ptr = out
    if (present(message)) message = c_to_f_string(c_loc(buffer))
  end function

  !> Allocates buffer(size) with the checkpoint bytes.
  integer(c_int) function dln_save_buffer(model, buffer) result(status)
    type(dln_model), intent(in) :: model
    integer(c_int8_t), allocatable, intent(out) :: buffer(:)
    status = probe_then_fill(model, 1, buffer, f=c_dln_save_buffer)
  end function

  integer(c_int) function dln_load_buffer(buffer, model) result(status)
    integer(c_int8_t), intent(in) :: buffer(:)
    type(dln_model), intent(inout) :: model
    integer(c_int8_t), allocatable, target :: buf(:)
    type(c_ptr), target :: out
    call pad(buffer, buf)
    status = c_dln_load_buffer(c_loc(buf), size(buffer, kind=c_int64_t), c_loc(out))
    if (status == DLN_OK) model%ptr = out
  end function

end module dlnsgd
