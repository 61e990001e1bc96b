# Tests of the Julia binding against the real library (run where `julia`
# exists):  DLNSGD_LIBRARY=.../libdlnsgd.so DLNSGD_TESTDATA=.../tests/data/vectors \
#           julia --startup-file=no bindings/julia/test/runtests.jl
# Every shared SGD vector is replayed with explicit batches (dln_step_batch)
# and compared to 1e-10 relative, as in the Python and Fortran tests. A
# record `checkpoint_at t` (after loss_before, before steps) saves the state
# after t batches (dln_save_buffer), closes the handle, loads it back and
# goes on; the expected records are those of the uninterrupted run.
using Test
using LinearAlgebra

push!(LOAD_PATH, joinpath(@__DIR__, "..", "src"))
include(joinpath(@__DIR__, "..", "src", "Dlnsgd.jl"))
using .Dlnsgd
const D = Dlnsgd

const TESTDATA = get(ENV, "DLNSGD_TESTDATA",
                     joinpath(@__DIR__, "..", "..", "..", "tests", "data", "vectors"))

struct Vec
    path::String
    depth::Int
    widths::Vector{Int64}
    eta::Float64
    lambda::Float64
    W::Dict{Int,Matrix{Float64}}
    expect_W::Dict{Int,Matrix{Float64}}
    rows::Vector{Int64}
    cols::Vector{Int64}
    values::Vector{Float64}
    batches::Vector{Vector{Int64}}
    loss_before::Float64
    loss_after::Float64
    svals::Vector{Float64}
    checkpoint_at::Int  # -1: none
end

function read_vector(path)
    lines = [split(strip(l)) for l in eachline(path) if !isempty(strip(l)) && !startswith(strip(l), "#")]
    i = 0
    next() = (i += 1; lines[i])
    depth = 0; widths = Int64[]; eta = lam = lb = la = NaN
    W = Dict{Int,Matrix{Float64}}(); EW = Dict{Int,Matrix{Float64}}()
    rows = Int64[]; cols = Int64[]; vals = Float64[]; batches = Vector{Int64}[]; svals = Float64[]
    checkpoint_at = -1
    while i < length(lines)
        t = next()
        key = t[1]
        if key == "depth"
            depth = parse(Int, t[2])
        elseif key == "widths"
            widths = parse.(Int64, t[2:end])
        elseif key == "eta"
            eta = parse(Float64, t[2])
        elseif key == "lambda"
            lam = parse(Float64, t[2])
        elseif key == "W" || key == "expect_W"
            l, r, c = parse.(Int, t[2:4])
            M = zeros(r, c)
            for j in 1:r
                M[j, :] = parse.(Float64, next())
            end
            (key == "W" ? W : EW)[l] = M
        elseif key == "obs"
            for _ in 1:parse(Int, t[2])
                o = next()
                push!(rows, parse(Int64, o[1])); push!(cols, parse(Int64, o[2]))
                push!(vals, parse(Float64, o[3]))
            end
        elseif key == "steps"
            for _ in 1:parse(Int, t[2])
                b = next()
                @assert b[1] == "batch" && length(b) == 2 + parse(Int, b[2])
                push!(batches, parse.(Int64, b[3:end]))
            end
        elseif key == "checkpoint_at"
            checkpoint_at = parse(Int, t[2])
        elseif key == "loss_before"
            lb = parse(Float64, t[2])
        elseif key == "loss_after"
            la = parse(Float64, t[2])
        elseif key == "svals_A"
            svals = parse.(Float64, t[3:end])
            @assert length(svals) == parse(Int, t[2])
        else
            error("$path: unknown record $key")
        end
    end
    @assert checkpoint_at <= length(batches) "$path: checkpoint_at beyond the steps"
    return Vec(path, depth, widths, eta, lam, W, EW, rows, cols, vals, batches, lb, la, svals,
               checkpoint_at)
end

"|a - e| <= rtol |e| entry by entry, or rtol * scale for spectra."
rel_close(a, e; rtol=1e-10, scale=nothing) =
    size(a) == size(e) && all(abs.(a .- e) .<= rtol .* (scale === nothing ? abs.(e) : scale))

function model_from(v::Vec; kw...)
    m = Model(v.widths; seed=7, learning_rate=v.eta, ridge=v.lambda, kw...)
    for (l, w) in v.W
        D.set_weights!(m, l, w)
    end
    D.set_observations!(m, v.rows, v.cols, v.values)
    return m
end

"The whole state through dln_save_buffer / dln_load_buffer; the old handle is closed."
function round_trip(m, t)
    bytes = D.save_buffer(m)
    close(m)
    loaded = D.load_buffer(bytes)
    @test D.step_count(loaded) == t
    return loaded
end

product(ws) = foldl((a, w) -> w * a, ws[2:end]; init=ws[1])

const FILES = sort(filter(f -> endswith(f, ".txt"), readdir(TESTDATA; join=true)))

@testset "Dlnsgd" begin
    @testset "vectors present" begin
        @test !isempty(FILES)
    end

    @testset "vector $(basename(f))" for f in FILES
        v = read_vector(f)
        m = model_from(v)
        try
            @test D.depth(m) == v.depth
            @test D.widths(m) == v.widths
            d, r = D.loss(m)
            @test rel_close(d + r, v.loss_before)
            for (t, b) in enumerate(v.batches)
                t == v.checkpoint_at + 1 && (m = round_trip(m, t - 1))
                D.step_batch!(m, b)
            end
            length(v.batches) == v.checkpoint_at && (m = round_trip(m, v.checkpoint_at))
            @test D.step_count(m) == length(v.batches)
            for (l, w) in v.expect_W
                @test rel_close(D.get_weights(m, l), w)
            end
            d, r = D.loss(m)
            @test rel_close(d + r, v.loss_after)
            s = D.singular_values(m)
            k = minimum(v.widths)
            @test length(s) == k
            @test rel_close(s, v.svals[1:k]; scale=v.svals[1])
            @test rel_close(zeros(length(v.svals) - k), v.svals[k+1:end]; scale=v.svals[1])
        finally
            close(m)
        end
    end

    @testset "parity with the header" begin
        # every C function of the generated raw layer resolves in the library
        for f in D.FUNCTIONS
            @test D._fp(f) != C_NULL
            @test isdefined(D, f)
        end
        @test D.VERSION_NUMBER == D.version_number()
        for code in (D.OK, D.ERR_NULL_POINTER, D.ERR_INTERNAL)
            @test startswith(D.status_name(code), "DLN_")
        end
    end

    @testset "errors" begin
        for (name, code) in (("DLN_OK", D.OK), ("DLN_ERR_NOT_FINITE", D.ERR_NOT_FINITE),
                             ("DLN_ERR_INTERNAL", D.ERR_INTERNAL))
            @test D.status_name(code) == name
        end
        @test D.param_name(D.PARAM_RIDGE) == "DLN_PARAM_RIDGE"
        @test D.param_name(99) === nothing
        Model([3, 2, 4]; seed=1) do m
            e = try
                D.set_param!(m, D.PARAM_LEARNING_RATE, NaN); nothing
            catch err
                err
            end
            @test e isa DlnError
            @test e.status == D.ERR_NOT_FINITE && e.name == "DLN_ERR_NOT_FINITE"
            @test !isempty(e.message) && e.func == :dln_set_param
            @test_throws DlnError D.get_weights(m, 3)
            @test_throws DlnError D.test_error(m)
            @test_throws DimensionMismatch D.set_weights!(m, 1, zeros(1, 1))
        end
        @test_throws DlnError Model([3, 0, 2])
        # handle-free calls explain a failure through their _ex forms
        e = try D.param_bounds(99); nothing catch err; err end
        @test e isa DlnError && e.status == D.ERR_UNKNOWN_PARAM && e.func == :dln_param_bounds_ex
        @test startswith(e.message, "dln_param_bounds: ") && occursin("param=99", e.message)
        e = try D.rank_of_spectrum([1.0, -2.0], D.RANK_NUMERICAL); nothing catch err; err end
        @test e isa DlnError && e.status == D.ERR_INVALID_ARGUMENT && e.func == :dln_rank_of_spectrum_ex
        @test startswith(e.message, "dln_rank_of_spectrum: ") && occursin("sigma[1]=-2", e.message)
        @test D.rank_of_spectrum([1.0, 3.0, 0.0], D.RANK_NUMERICAL; rtol=0.5) == 1.0
    end

    @testset "lifecycle and observables" begin
        m = Model([4, 3, 3, 5]; seed=3, learning_rate=0.05, ridge=0.01, batch_size=2)
        @test m.learning_rate == 0.05 && m.batch_size == 2
        m.ridge = 0.02
        @test D.get_param(m, D.PARAM_RIDGE) == 0.02
        D.init_weights!(m, D.INIT_GAUSSIAN, [0.5])
        ws = D.weights(m)
        A = product(ws)
        rows, cols, y = [0, 4, 2], [3, 0, 1], [1.0, -1.0, 0.5]  # 0-based, as in C
        D.set_observations!(m, rows, cols, y)
        d, r = D.loss(m)
        pred = [A[i + 1, j + 1] for (i, j) in zip(rows, cols)]
        @test isapprox(d, sum((pred .- y) .^ 2) / 3; rtol=1e-10)
        @test isapprox(r, 0.02 * D.weight_norm2(m); rtol=1e-12)
        @test isapprox(D.weight_norm2(m), sum(sum(w .^ 2) for w in ws); rtol=1e-12)
        @test isapprox(D.singular_values(m), svdvals(A)[1:3]; rtol=1e-10, atol=1e-12)
        c = D.clone(m)
        D.step!(c, 5)
        @test D.step_count(c) == 5 && D.step_count(m) == 0
        close(c)
        close(m)
        @test !isopen(m)
        err = try D.loss(m); nothing catch e; e end
        @test err isa DlnError && err.status == D.ERR_NULL_POINTER
        close(m)  # idempotent
    end
end
