# Every C function of include/dlnsgd.h, one @ccall each, in header order.
# This file is the only place that knows the C signatures. Functions are
# resolved in the library that _library() loads (see Dlnsgd.jl).

const _SYMBOLS = Dict{Symbol,Ptr{Cvoid}}()
const _SYMBOLS_LOCK = ReentrantLock()

function _fp(name::Symbol)
    lock(_SYMBOLS_LOCK) do
        get!(_SYMBOLS, name) do
            Libdl.dlsym(_library(), name)  # throws naming a missing symbol
        end
    end
end

const _Model = Ptr{Cvoid}  # dln_model *

# status and version
dln_status_string(status) = @ccall $(_fp(:dln_status_string))(status::Cint)::Ptr{UInt8}
dln_status_name(status) = @ccall $(_fp(:dln_status_name))(status::Cint)::Ptr{UInt8}
dln_last_error(model) = @ccall $(_fp(:dln_last_error))(model::_Model)::Ptr{UInt8}
dln_version_number() = @ccall $(_fp(:dln_version_number))()::Cint
dln_version_string() = @ccall $(_fp(:dln_version_string))()::Ptr{UInt8}
# options
dln_set_param(model, param, value) =
    @ccall $(_fp(:dln_set_param))(model::_Model, param::Cint, value::Cdouble)::Cint
dln_get_param(model, param, value) =
    @ccall $(_fp(:dln_get_param))(model::_Model, param::Cint, value::Ptr{Cdouble})::Cint
dln_param_bounds(param, lo, hi) =
    @ccall $(_fp(:dln_param_bounds))(param::Cint, lo::Ptr{Cdouble}, hi::Ptr{Cdouble})::Cint
dln_param_name(param) = @ccall $(_fp(:dln_param_name))(param::Cint)::Ptr{UInt8}
# lifecycle and shape
dln_create(depth, widths, seed, out) =
    @ccall $(_fp(:dln_create))(depth::Int64, widths::Ptr{Int64}, seed::UInt64,
                               out::Ptr{_Model})::Cint
dln_destroy(model) = @ccall $(_fp(:dln_destroy))(model::_Model)::Cvoid
dln_clone(model, out) = @ccall $(_fp(:dln_clone))(model::_Model, out::Ptr{_Model})::Cint
dln_get_depth(model, depth) = @ccall $(_fp(:dln_get_depth))(model::_Model, depth::Ptr{Int64})::Cint
dln_get_widths(model, widths, capacity) =
    @ccall $(_fp(:dln_get_widths))(model::_Model, widths::Ptr{Int64}, capacity::Int64)::Cint
dln_get_seed(model, seed) = @ccall $(_fp(:dln_get_seed))(model::_Model, seed::Ptr{UInt64})::Cint
dln_set_seed(model, seed) = @ccall $(_fp(:dln_set_seed))(model::_Model, seed::UInt64)::Cint
dln_get_step_count(model, step) =
    @ccall $(_fp(:dln_get_step_count))(model::_Model, step::Ptr{Int64})::Cint
dln_set_step_count(model, step) =
    @ccall $(_fp(:dln_set_step_count))(model::_Model, step::Int64)::Cint
# data
dln_set_observations(model, count, rows, cols, values) =
    @ccall $(_fp(:dln_set_observations))(model::_Model, count::Int64, rows::Ptr{Int64},
                                         cols::Ptr{Int64}, values::Ptr{Cdouble})::Cint
dln_get_observation_count(model, count) =
    @ccall $(_fp(:dln_get_observation_count))(model::_Model, count::Ptr{Int64})::Cint
dln_set_test_observations(model, count, rows, cols, values) =
    @ccall $(_fp(:dln_set_test_observations))(model::_Model, count::Int64, rows::Ptr{Int64},
                                              cols::Ptr{Int64}, values::Ptr{Cdouble})::Cint
dln_set_ground_truth(model, truth) =
    @ccall $(_fp(:dln_set_ground_truth))(model::_Model, truth::Ptr{Cdouble})::Cint
dln_set_sample_subset(model, count, indices) =
    @ccall $(_fp(:dln_set_sample_subset))(model::_Model, count::Int64, indices::Ptr{Int64})::Cint
# schedules
dln_set_schedule(model, param, kind, nargs, args) =
    @ccall $(_fp(:dln_set_schedule))(model::_Model, param::Cint, kind::Cint, nargs::Int64,
                                     args::Ptr{Cdouble})::Cint
dln_schedule_value(model, param, step, value) =
    @ccall $(_fp(:dln_schedule_value))(model::_Model, param::Cint, step::Int64,
                                       value::Ptr{Cdouble})::Cint
# weights and initialisation
dln_set_weights(model, layer, w) =
    @ccall $(_fp(:dln_set_weights))(model::_Model, layer::Int64, w::Ptr{Cdouble})::Cint
dln_get_weights(model, layer, w) =
    @ccall $(_fp(:dln_get_weights))(model::_Model, layer::Int64, w::Ptr{Cdouble})::Cint
dln_init_weights(model, kind, nargs, args) =
    @ccall $(_fp(:dln_init_weights))(model::_Model, kind::Cint, nargs::Int64,
                                     args::Ptr{Cdouble})::Cint
dln_init_balanced(model, a0) =
    @ccall $(_fp(:dln_init_balanced))(model::_Model, a0::Ptr{Cdouble})::Cint
# stepping
dln_step(model, steps) = @ccall $(_fp(:dln_step))(model::_Model, steps::Int64)::Cint
dln_step_batch(model, b, indices) =
    @ccall $(_fp(:dln_step_batch))(model::_Model, b::Int64, indices::Ptr{Int64})::Cint
# observables
dln_loss(model, data_cost, ridge_term) =
    @ccall $(_fp(:dln_loss))(model::_Model, data_cost::Ptr{Cdouble}, ridge_term::Ptr{Cdouble})::Cint
dln_weight_norm2(model, norm2) =
    @ccall $(_fp(:dln_weight_norm2))(model::_Model, norm2::Ptr{Cdouble})::Cint
dln_test_error(model, err) = @ccall $(_fp(:dln_test_error))(model::_Model, err::Ptr{Cdouble})::Cint
dln_singular_values(model, out, capacity, count) =
    @ccall $(_fp(:dln_singular_values))(model::_Model, out::Ptr{Cdouble}, capacity::Int64,
                                        count::Ptr{Int64})::Cint
dln_layer_singular_values(model, layer, out, capacity, count) =
    @ccall $(_fp(:dln_layer_singular_values))(model::_Model, layer::Int64, out::Ptr{Cdouble},
                                              capacity::Int64, count::Ptr{Int64})::Cint
dln_bottleneck_singular_values(model, k, out, capacity, count) =
    @ccall $(_fp(:dln_bottleneck_singular_values))(model::_Model, k::Int64, out::Ptr{Cdouble},
                                                   capacity::Int64, count::Ptr{Int64})::Cint
dln_query_rank(model, rtol, rank) =
    @ccall $(_fp(:dln_query_rank))(model::_Model, rtol::Cdouble, rank::Ptr{Int64})::Cint
dln_rank_of_spectrum(sigma, count, measure, atol, rtol, rank) =
    @ccall $(_fp(:dln_rank_of_spectrum))(sigma::Ptr{Cdouble}, count::Int64, measure::Cint,
                                         atol::Cdouble, rtol::Cdouble, rank::Ptr{Cdouble})::Cint
dln_rank(model, target, measure, atol, rtol, rank) =
    @ccall $(_fp(:dln_rank))(model::_Model, target::Int64, measure::Cint, atol::Cdouble,
                             rtol::Cdouble, rank::Ptr{Cdouble})::Cint
dln_bottleneck_ranks(model, atol, rtol, ranks, capacity) =
    @ccall $(_fp(:dln_bottleneck_ranks))(model::_Model, atol::Cdouble, rtol::Cdouble,
                                         ranks::Ptr{Int64}, capacity::Int64)::Cint
dln_balancedness(model, residual) =
    @ccall $(_fp(:dln_balancedness))(model::_Model, residual::Ptr{Cdouble})::Cint
dln_representation_cost(model, cost) =
    @ccall $(_fp(:dln_representation_cost))(model::_Model, cost::Ptr{Cdouble})::Cint
dln_output_column_norms(model, out, capacity) =
    @ccall $(_fp(:dln_output_column_norms))(model::_Model, out::Ptr{Cdouble}, capacity::Int64)::Cint
dln_input_row_norms(model, out, capacity) =
    @ccall $(_fp(:dln_input_row_norms))(model::_Model, out::Ptr{Cdouble}, capacity::Int64)::Cint
# absorbing sets
dln_in_Br(model, r, eps, delta, C, inside) =
    @ccall $(_fp(:dln_in_Br))(model::_Model, r::Int64, eps::Cdouble, delta::Cdouble, C::Cdouble,
                              inside::Ptr{Cint})::Cint
dln_query_absorbed_rank(model, rank) =
    @ccall $(_fp(:dln_query_absorbed_rank))(model::_Model, rank::Ptr{Int64})::Cint
dln_Br_report(model, r, eps, delta, C, report) =
    @ccall $(_fp(:dln_Br_report))(model::_Model, r::Int64, eps::Cdouble, delta::Cdouble,
                                  C::Cdouble, report::Ptr{Cdouble})::Cint
# jump log
dln_jump_count(model, count) = @ccall $(_fp(:dln_jump_count))(model::_Model, count::Ptr{Int64})::Cint
dln_get_jumps(model, first, count, records) =
    @ccall $(_fp(:dln_get_jumps))(model::_Model, first::Int64, count::Int64,
                                  records::Ptr{Int64})::Cint
dln_clear_jumps(model) = @ccall $(_fp(:dln_clear_jumps))(model::_Model)::Cint
# checkpoints
dln_save(model, path) = @ccall $(_fp(:dln_save))(model::_Model, path::Cstring)::Cint
dln_load(path, out) = @ccall $(_fp(:dln_load))(path::Cstring, out::Ptr{_Model})::Cint
dln_save_buffer(model, buffer, capacity, size) =
    @ccall $(_fp(:dln_save_buffer))(model::_Model, buffer::Ptr{Cvoid}, capacity::Int64,
                                    size::Ptr{Int64})::Cint
dln_load_buffer(buffer, size, out) =
    @ccall $(_fp(:dln_load_buffer))(buffer::Ptr{Cvoid}, size::Int64, out::Ptr{_Model})::Cint
