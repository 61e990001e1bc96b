"""
    Dlnsgd

Julia binding of libdlnsgd (SGD with weight decay on deep linear networks),
a thin layer over its plain-C ABI (`include/dlnsgd.h`) mirroring the Python
package `dlnsgd`: the same calls, `Vector{Int64}`/`Matrix{Float64}` in and
out, and a `DlnError` for every non-zero status.

Translations, and nothing else:
- the handle lives in a mutable `Model` with a finalizer (also `close`, and
  `Model(f, widths; ...)` do-blocks);
- matrices are ordinary Julia matrices `W` of size `(n_ℓ, n_{ℓ-1})`, copied
  to and from the library's row-major layout;
- observation rows, columns and indices keep the C library's 0-based
  values; layers are `1:L` as in C;
- report and jump fields are indexed by the constants `BR_*`, `JUMP_*`
  plus one (Julia arrays start at 1).

The constants and the `@ccall` of every C function are generated from the
header (`libdlnsgd.jl`, by `bindings/gen/generate.py`); this file holds the
conveniences only.

The library is found through `ENV["DLNSGD_LIBRARY"]`, then a copy next to
this package (`deps/` or `src/`), then the installed `libdlnsgd.so.0`.
"""
module Dlnsgd

using Libdl

export Model, DlnError

# -------------------------------------------------------------- loading
const _LIB = Ref{Ptr{Cvoid}}(C_NULL)
const _LIB_PATH = Ref{String}("")
const _LIB_LOCK = ReentrantLock()
const SONAME = "libdlnsgd.so.0"

function _open_library()
    env = get(ENV, "DLNSGD_LIBRARY", "")
    if !isempty(env)
        h = Libdl.dlopen(env; throw_error=false)
        h === nothing && error("DLNSGD_LIBRARY=$(repr(env)) cannot be loaded")
        return h, env
    end
    names = Sys.isapple() ? ["libdlnsgd.0.dylib", "libdlnsgd.dylib"] :
            Sys.iswindows() ? ["dlnsgd.dll", "libdlnsgd.dll"] : [SONAME, "libdlnsgd.so"]
    for dir in (joinpath(@__DIR__, "..", "deps"), @__DIR__), n in names
        p = joinpath(dir, n)
        if isfile(p)
            h = Libdl.dlopen(p; throw_error=false)
            h === nothing || return h, p
        end
    end
    for n in names
        h = Libdl.dlopen(n; throw_error=false)
        h === nothing || return h, n
    end
    error("libdlnsgd not found: set DLNSGD_LIBRARY to its path, put it in " *
          "$(joinpath(@__DIR__, "..", "deps")), or install it where the dynamic loader finds it")
end

function _library()
    _LIB[] != C_NULL && return _LIB[]
    lock(_LIB_LOCK) do
        if _LIB[] == C_NULL
            h, path = _open_library()
            major = ccall(Libdl.dlsym(h, :dln_version_number), Cint, ()) ÷ 10000
            major == VERSION_MAJOR ||
                error("$path has ABI major version $major; this binding needs $VERSION_MAJOR")
            _LIB_PATH[] = path
            _LIB[] = h
        end
    end
    return _LIB[]
end

"What was loaded: a path or the name handed to the dynamic loader."
library_path() = (_library(); _LIB_PATH[])

# Function pointers by name, resolved once in the library _library() loads
# (the generated libdlnsgd.jl calls through them).
const _SYMBOLS = Dict{Symbol,Ptr{Cvoid}}()
const _SYMBOLS_LOCK = ReentrantLock()

function _fp(name::Symbol)
    lock(_SYMBOLS_LOCK) do
        get!(_SYMBOLS, name) do
            Libdl.dlsym(_library(), name)  # throws naming a missing symbol
        end
    end
end

# The raw layer, generated from include/dlnsgd.h by bindings/gen/generate.py:
# every constant (OK, ERR_*, PARAM_*, BR_*, ...) and one @ccall per C function.
include("libdlnsgd.jl")

"Keyword options of `Model(...)`/`configure!`: name => parameter id."
const OPTIONS = (learning_rate = PARAM_LEARNING_RATE, ridge = PARAM_RIDGE,
                 batch_size = PARAM_BATCH_SIZE, sampler = PARAM_SAMPLER,
                 threads = PARAM_THREADS, jump_interval = PARAM_JUMP_INTERVAL,
                 jump_rtol = PARAM_JUMP_RTOL, rank_atol = PARAM_RANK_ATOL)
const INTEGRAL_OPTIONS = (:batch_size, :sampler, :threads, :jump_interval)

# --------------------------------------------------------------- errors
_text(p::Ptr{UInt8}) = p == C_NULL ? "" : unsafe_string(p)

"""
    DlnError

A C call returned a status other than `OK`: `status`, `name`
(`dln_status_name`), `message` (`dln_last_error` right after the call;
the library's static text for calls without a handle), `description`
(`dln_status_string`) and the C function `func`.
"""
struct DlnError <: Exception
    status::Int
    name::String
    message::String
    description::String
    func::Symbol
end

function Base.showerror(io::IO, e::DlnError)
    print(io, "DlnError: ", e.func, ": ", e.name, " (", e.status, "): ",
          isempty(e.message) ? e.description : e.message)
end

function _check(status, handle::Ptr{Cvoid}, func::Symbol)
    status == 0 && return nothing
    throw(DlnError(Int(status), _text(dln_status_name(status)),
                   _text(dln_last_error(handle)), _text(dln_status_string(status)), func))
end

# ------------------------------------------------------- free functions
version_number() = Int(dln_version_number())
version_string() = _text(dln_version_string())
status_name(status::Integer) = _text(dln_status_name(Cint(status)))
status_string(status::Integer) = _text(dln_status_string(Cint(status)))

"`\"DLN_PARAM_...\"`, or `nothing` for an unknown id."
function param_name(param::Integer)
    p = dln_param_name(Cint(param))
    return p == C_NULL ? nothing : unsafe_string(p)
end

# A handle-free call through its _ex form, f(args..., message, capacity):
# there is no handle to hold the failure detail, so it comes back in a buffer.
function _explained(f, func::Symbol, args...)
    buffer = zeros(UInt8, 512)
    status = f(args..., buffer, Int64(length(buffer)))
    status == 0 && return nothing
    n = something(findfirst(==(0x00), buffer), length(buffer) + 1) - 1
    throw(DlnError(Int(status), _text(dln_status_name(status)), String(buffer[1:n]),
                   _text(dln_status_string(status)), func))
end

"`(min, max)`, the closed range of valid values of a parameter (`dln_param_bounds_ex`)."
function param_bounds(param::Integer)
    lo, hi = Ref{Cdouble}(), Ref{Cdouble}()
    _explained(dln_param_bounds_ex, :dln_param_bounds_ex, Cint(param), lo, hi)
    return lo[], hi[]
end

"A rank measure (`RANK_*`) of a spectrum given by the caller (`dln_rank_of_spectrum_ex`)."
function rank_of_spectrum(sigma::AbstractVector{<:Real}, measure::Integer; atol::Real=0.0,
                          rtol::Real=0.0)
    s = Vector{Cdouble}(sigma)
    out = Ref{Cdouble}()
    _explained(dln_rank_of_spectrum_ex, :dln_rank_of_spectrum_ex, s, length(s), Cint(measure), atol, rtol,
               out)
    return out[]
end

# ---------------------------------------------------------------- Model
"""
    Model(widths; seed=0, options...)
    Model(f, widths; seed=0, options...)   # do-block: closed after f(model)

A deep linear network `A = W_L ⋯ W_1` and its SGD state (a `dln_model`).
`widths = [n_0 = m, …, n_L = n]`; options are the names in `OPTIONS`, also
readable and writable as properties (`model.learning_rate = 0.1`). The
handle is destroyed by `close(model)` or by the finalizer. Calls on one
Model are serialised by a lock (the C library forbids concurrent calls on
one handle).
"""
mutable struct Model
    ptr::Ptr{Cvoid}
    lock::ReentrantLock
    function Model(ptr::Ptr{Cvoid})
        m = new(ptr, ReentrantLock())
        finalizer(_destroy!, m)
        return m
    end
end

function _destroy!(m::Model)
    p = getfield(m, :ptr)
    setfield!(m, :ptr, C_NULL)
    p == C_NULL || dln_destroy(p)
    return nothing
end

function Model(widths::AbstractVector{<:Integer}; seed::Integer=0, options...)
    for k in keys(options)
        haskey(OPTIONS, k) || throw(ArgumentError("unknown option $k; known: $(keys(OPTIONS))"))
    end
    w = Vector{Int64}(widths)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(dln_create(length(w) - 1, w, UInt64(seed), out), C_NULL, :dln_create)
    m = Model(out[])
    try
        configure!(m; options...)
    catch
        close(m)
        rethrow()
    end
    return m
end

function Model(f::Function, widths::AbstractVector{<:Integer}; kwargs...)
    m = Model(widths; kwargs...)
    try
        return f(m)
    finally
        close(m)
    end
end

"`dln_destroy`; idempotent. Later calls fail with `ERR_NULL_POINTER`."
Base.close(m::Model) = lock(() -> _destroy!(m), getfield(m, :lock))
Base.isopen(m::Model) = getfield(m, :ptr) != C_NULL

function Base.show(io::IO, m::Model)
    if !isopen(m)
        print(io, "Dlnsgd.Model(closed)")
    else
        print(io, "Dlnsgd.Model(widths=", widths(m), ", step=", step_count(m), ")")
    end
end

# one C call with the handle, under the Model's lock
function _call(f, m::Model, func::Symbol, args...)
    lock(getfield(m, :lock)) do
        p = getfield(m, :ptr)
        _check(f(p, args...), p, func)
    end
end

function _out(f, m::Model, func::Symbol, T::Type, args...)
    r = Ref{T}()
    _call(f, m, func, args..., r)
    return r[]
end

function _free_model(f, func::Symbol, args...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(f(args..., out), C_NULL, func)
    return Model(out[])
end

"`dln_clone`: an independent deep copy."
function clone(m::Model)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _call(dln_clone, m, :dln_clone, out)
    return Model(out[])
end
Base.copy(m::Model) = clone(m)
Base.deepcopy_internal(m::Model, ::IdDict) = clone(m)

# ----------------------------------------------------------------- shape
depth(m::Model) = Int(_out(dln_get_depth, m, :dln_get_depth, Int64))
function widths(m::Model)
    w = Vector{Int64}(undef, depth(m) + 1)
    _call(dln_get_widths, m, :dln_get_widths, w, length(w))
    return w
end
seed(m::Model) = _out(dln_get_seed, m, :dln_get_seed, UInt64)
set_seed!(m::Model, s::Integer) = _call(dln_set_seed, m, :dln_set_seed, UInt64(s))
step_count(m::Model) = Int(_out(dln_get_step_count, m, :dln_get_step_count, Int64))
set_step_count!(m::Model, t::Integer) = _call(dln_set_step_count, m, :dln_set_step_count, Int64(t))

# --------------------------------------------------------------- options
set_param!(m::Model, param::Integer, value::Real) =
    _call(dln_set_param, m, :dln_set_param, Cint(param), Cdouble(value))
get_param(m::Model, param::Integer) = _out(dln_get_param, m, :dln_get_param, Cdouble, Cint(param))

"Set options by keyword (names in `OPTIONS`), in the order given."
function configure!(m::Model; options...)
    for (k, v) in options
        haskey(OPTIONS, k) || throw(ArgumentError("unknown option $k; known: $(keys(OPTIONS))"))
        set_param!(m, OPTIONS[k], v)
    end
    return m
end

function Base.getproperty(m::Model, s::Symbol)
    if haskey(OPTIONS, s)
        v = get_param(m, OPTIONS[s])
        return s in INTEGRAL_OPTIONS ? Int(v) : v
    end
    return getfield(m, s)
end

function Base.setproperty!(m::Model, s::Symbol, v)
    haskey(OPTIONS, s) || throw(ArgumentError("Model has no settable property $s"))
    set_param!(m, OPTIONS[s], v)
end

Base.propertynames(::Model, private::Bool=false) =
    private ? (keys(OPTIONS)..., :ptr, :lock) : keys(OPTIONS)

# ------------------------------------------------------------------ data
function _triplets(rows, cols, values)
    r, c, v = Vector{Int64}(rows), Vector{Int64}(cols), Vector{Cdouble}(values)
    length(r) == length(c) == length(v) ||
        throw(DimensionMismatch("rows, cols, values have lengths $(length(r)), $(length(c)), $(length(v))"))
    return r, c, v
end

"Observations `(i_k, j_k, y_k)` with 0-based `i_k`, `j_k`, copied by the library."
function set_observations!(m::Model, rows, cols, values)
    r, c, v = _triplets(rows, cols, values)
    _call(dln_set_observations, m, :dln_set_observations, length(v), r, c, v)
end
observation_count(m::Model) = Int(_out(dln_get_observation_count, m, :dln_get_observation_count, Int64))

"Held-out set for `test_error`; empty vectors clear it."
function set_test_observations!(m::Model, rows, cols, values)
    r, c, v = _triplets(rows, cols, values)
    _call(dln_set_test_observations, m, :dln_set_test_observations, length(v), r, c, v)
end

_row_major(a::AbstractMatrix) = vec(permutedims(Matrix{Cdouble}(a)))

function _expect_size(a::AbstractMatrix, sz, name)
    size(a) == Tuple(sz) || throw(DimensionMismatch("$name has size $(size(a)), the model needs $(Tuple(sz))"))
end

"Full `n × m` ground truth for `test_error`; `nothing` clears it."
function set_ground_truth!(m::Model, truth::Union{Nothing,AbstractMatrix})
    if truth === nothing
        return _call(dln_set_ground_truth, m, :dln_set_ground_truth, Ptr{Cdouble}(C_NULL))
    end
    w = widths(m)
    _expect_size(truth, (w[end], w[1]), "truth")
    _call(dln_set_ground_truth, m, :dln_set_ground_truth, _row_major(truth))
end

"Pool of 0-based observation indices for `SAMPLER_SUBSET`; empty clears it."
function set_sample_subset!(m::Model, indices)
    i = Vector{Int64}(indices)
    _call(dln_set_sample_subset, m, :dln_set_sample_subset, length(i), i)
end

# ------------------------------------------------------------- schedules
function set_schedule!(m::Model, param::Integer, kind::Integer, args=Cdouble[])
    a = Vector{Cdouble}(args)
    _call(dln_set_schedule, m, :dln_set_schedule, Cint(param), Cint(kind), length(a), a)
end
schedule_value(m::Model, param::Integer, step::Integer) =
    _out(dln_schedule_value, m, :dln_schedule_value, Cdouble, Cint(param), Int64(step))

# --------------------------------------------------------------- weights
function _layer_size(m::Model, layer::Integer)
    w = widths(m)
    return 1 <= layer < length(w) ? (Int(w[layer + 1]), Int(w[layer])) : nothing
end

"`W_layer` (layer `1:L`), an `n_layer × n_(layer-1)` matrix."
function set_weights!(m::Model, layer::Integer, W::AbstractMatrix)
    sz = _layer_size(m, layer)
    if sz === nothing  # the C call reports the bad layer
        return _call(dln_set_weights, m, :dln_set_weights, Int64(layer), zeros(Cdouble, 1))
    end
    _expect_size(W, sz, "W")
    _call(dln_set_weights, m, :dln_set_weights, Int64(layer), _row_major(W))
end

function get_weights(m::Model, layer::Integer)
    sz = _layer_size(m, layer)
    buf = Vector{Cdouble}(undef, sz === nothing ? 1 : prod(sz))
    _call(dln_get_weights, m, :dln_get_weights, Int64(layer), buf)
    sz === nothing && return zeros(Cdouble, 0, 0)  # not reached: the call fails
    return permutedims(reshape(buf, sz[2], sz[1]))
end

"`[W_1, …, W_L]` (copies)."
weights(m::Model) = [get_weights(m, l) for l in 1:depth(m)]

function init_weights!(m::Model, kind::Integer, args=Cdouble[])
    a = Vector{Cdouble}(args)
    _call(dln_init_weights, m, :dln_init_weights, Cint(kind), length(a), a)
end

"Balanced factorisation of an `n × m` matrix `A0`."
function init_balanced!(m::Model, A0::AbstractMatrix)
    w = widths(m)
    _expect_size(A0, (w[end], w[1]), "A0")
    _call(dln_init_balanced, m, :dln_init_balanced, _row_major(A0))
end

# -------------------------------------------------------------- stepping
"`steps` sampled SGD steps."
step!(m::Model, steps::Integer=1) = _call(dln_step, m, :dln_step, Int64(steps))

"One step on an explicit batch of 0-based observation indices."
function step_batch!(m::Model, indices)
    i = Vector{Int64}(indices)
    _call(dln_step_batch, m, :dln_step_batch, length(i), i)
end

# ----------------------------------------------------------- observables
"`(data_cost, ridge_term)`: `C(A_θ)` and `λ_t ‖θ‖²`."
function loss(m::Model)
    d, r = Ref{Cdouble}(), Ref{Cdouble}()
    _call(dln_loss, m, :dln_loss, d, r)
    return d[], r[]
end
weight_norm2(m::Model) = _out(dln_weight_norm2, m, :dln_weight_norm2, Cdouble)
test_error(m::Model) = _out(dln_test_error, m, :dln_test_error, Cdouble)

"""The size-probe-then-fill pattern, once for every C call of the form
`f(model, lead..., out, capacity, count)`: ask with capacity 0 and no buffer,
allocate `count` elements of type `T`, call again, keep what was written."""
function _sized(f, m::Model, func::Symbol, T::Type, lead...)
    count = Ref{Int64}(0)
    _call(f, m, func, lead..., C_NULL, 0, count)
    out = Vector{T}(undef, count[])
    _call(f, m, func, lead..., out, length(out), count)
    return out[1:min(count[], length(out))]
end
_spectrum(f, m::Model, func::Symbol, lead...) = _sized(f, m, func, Cdouble, lead...)

"Singular values of `A_θ`, descending (all `min_ℓ n_ℓ` of them)."
singular_values(m::Model) = _spectrum(dln_singular_values, m, :dln_singular_values)
layer_singular_values(m::Model, layer::Integer) =
    _spectrum(dln_layer_singular_values, m, :dln_layer_singular_values, Int64(layer))
"Singular values of `M_k = [W_k, W_{k+1}ᵀ]`."
bottleneck_singular_values(m::Model, k::Integer) =
    _spectrum(dln_bottleneck_singular_values, m, :dln_bottleneck_singular_values, Int64(k))

query_rank(m::Model, rtol::Real) = Int(_out(dln_query_rank, m, :dln_query_rank, Int64, Cdouble(rtol)))

"A rank measure (`RANK_*`) of `A_θ` (target 0) or of `W_target`."
rank(m::Model, target::Integer, measure::Integer; atol::Real=0.0, rtol::Real=0.0) =
    _out(dln_rank, m, :dln_rank, Cdouble, Int64(target), Cint(measure), Cdouble(atol), Cdouble(rtol))

"Numerical ranks of `M_1 … M_{L-1}` (one value for depth 1)."
function bottleneck_ranks(m::Model; atol::Real=0.0, rtol::Real=0.0)
    out = Vector{Int64}(undef, max(depth(m) - 1, 1))
    _call(dln_bottleneck_ranks, m, :dln_bottleneck_ranks, Cdouble(atol), Cdouble(rtol), out, length(out))
    return out
end

balancedness(m::Model) = _out(dln_balancedness, m, :dln_balancedness, Cdouble)
representation_cost(m::Model) = _out(dln_representation_cost, m, :dln_representation_cost, Cdouble)

"Norms of the `n_{L-1}` columns of `W_L`."
function output_column_norms(m::Model)
    out = Vector{Cdouble}(undef, widths(m)[end - 1])
    _call(dln_output_column_norms, m, :dln_output_column_norms, out, length(out))
    return out
end

"Norms of the `n_1` rows of `W_1`."
function input_row_norms(m::Model)
    out = Vector{Cdouble}(undef, widths(m)[2])
    _call(dln_input_row_norms, m, :dln_input_row_norms, out, length(out))
    return out
end

# -------------------------------------------------------- absorbing sets
"`θ ∈ B_r(eps, delta, C)`; a negative threshold means the default of math §6."
in_Br(m::Model, r::Integer; eps::Real=-1.0, delta::Real=-1.0, C::Real=-1.0) =
    _out(dln_in_Br, m, :dln_in_Br, Cint, Int64(r), Cdouble(eps), Cdouble(delta), Cdouble(C)) != 0

query_absorbed_rank(m::Model) = Int(_out(dln_query_absorbed_rank, m, :dln_query_absorbed_rank, Int64))

"The `BR_REPORT_SIZE` values of `dln_Br_report`; field `BR_X` is at index `BR_X + 1`."
function Br_report(m::Model, r::Integer; eps::Real=-1.0, delta::Real=-1.0, C::Real=-1.0)
    out = Vector{Cdouble}(undef, BR_REPORT_SIZE)
    _call(dln_Br_report, m, :dln_Br_report, Int64(r), Cdouble(eps), Cdouble(delta), Cdouble(C), out)
    return out
end

# ------------------------------------------------------------- jump log
jump_count(m::Model) = Int(_out(dln_jump_count, m, :dln_jump_count, Int64))

"""Records `first … first+count-1` (0-based, as in C) as a `count × 4` matrix;
field `JUMP_X` is column `JUMP_X + 1`. `count` defaults to all from `first` on."""
function get_jumps(m::Model, first::Integer=0, count::Union{Nothing,Integer}=nothing)
    count === nothing && (count = max(jump_count(m) - first, 0))
    n = Int(JUMP_RECORD_SIZE)
    buf = Vector{Int64}(undef, n * max(count, 1))
    _call(dln_get_jumps, m, :dln_get_jumps, Int64(first), Int64(count), buf)
    return permutedims(reshape(buf[1:n * max(count, 0)], n, max(count, 0)))
end

clear_jumps!(m::Model) = _call(dln_clear_jumps, m, :dln_clear_jumps)

# ---------------------------------------------------------- checkpoints
save(m::Model, path::AbstractString) = _call(dln_save, m, :dln_save, String(path))
load(path::AbstractString) = _free_model(dln_load, :dln_load, String(path))

"The checkpoint as bytes (size query, then the write)."
save_buffer(m::Model) = _sized(dln_save_buffer, m, :dln_save_buffer, UInt8)

function load_buffer(data::AbstractVector{UInt8})
    b = Vector{UInt8}(data)
    return _free_model(dln_load_buffer, :dln_load_buffer, b, length(b))
end

end # module
