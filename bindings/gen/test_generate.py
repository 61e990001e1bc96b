"""The generator of the raw binding layers (bindings/gen/generate.py).

Claims: it maps every function, enumerator and integer macro of the real
header; a function, an enum and an X-macro table added to a copy of the
header reach every generated layer, and the Fortran and C++ results compile;
what it cannot map stops it with a message naming the declaration; and the
Julia layer (which cannot run here) covers the header, checked from the
header itself.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
HEADER = os.path.join(ROOT, "include", "dlnsgd.h")
sys.path.insert(0, HERE)
import dlnsgd_api  # noqa: E402

GENERATE = [sys.executable, os.path.join(HERE, "generate.py")]


def run(*args):
    return subprocess.run(GENERATE + list(args), capture_output=True, text=True)


def header_with(tmp_path, addition):
    """A copy of the header with `addition` before its closing extern "C"."""
    text = open(HEADER).read()
    end = text.rindex("#ifdef __cplusplus\n}")
    inc = tmp_path / "include"
    inc.mkdir()
    (inc / "dlnsgd.h").write_text(text[:end] + addition + "\n" + text[end:])
    return inc / "dlnsgd.h"


NEW = r'''
#define DLN_PROBE_TABLE(X)          \
  X(DLN_PROBE_LOSS, 0, "the loss")  \
  X(DLN_PROBE_RANK, 1, "a rank")
#define DLN_PROBE_ENUM_ENTRY_(name, value, text) name = value,
enum dln_probe_field { DLN_PROBE_TABLE(DLN_PROBE_ENUM_ENTRY_) DLN_PROBE_LAST_ = 1 };
#undef DLN_PROBE_ENUM_ENTRY_
enum dln_color { DLN_COLOR_RED = 4, DLN_COLOR_BLUE = 5 };
enum { DLN_LIMIT_WIDTH = 1099511627776 >> 20, DLN_LIMIT_DEPTH = 64 };
DLN_API int dln_get_probe(const dln_model *model, int field, double *out, int64_t capacity,
                          int64_t *count);
'''


def test_the_real_header_is_mapped_whole():
    api = dlnsgd_api.read_api(HEADER)
    assert len(api.functions) >= 58
    status = next(e for e in api.enums if e.tag == "dln_status")
    assert status.table == "DLN_STATUS_TABLE"
    assert [(c.name, c.value) for c in status.constants][:2] == [("DLN_OK", 0),
                                                                 ("DLN_ERR_NULL_POINTER", -1)]
    assert status.constants[0].description == "success"
    assert {c.name: c.value for c in api.macros}["DLN_VERSION_NUMBER"] == 100
    assert api.not_constants == ["DLN_API"]


def test_a_new_function_enum_and_table_reach_every_layer(tmp_path):
    header = header_with(tmp_path, NEW)
    r = run("--header", str(header), "--root", str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = {rel: (tmp_path / rel).read_text() for rel in
           ("bindings/fortran/dlnsgd_c.f90", "bindings/julia/src/libdlnsgd.jl",
            "bindings/cpp/dlnsgd_constants.hpp", "bindings/python/dlnsgd/constants.py")}
    f90 = out["bindings/fortran/dlnsgd_c.f90"]
    assert 'function c_dln_get_probe(model, field, out, capacity, count) bind(C, name="dln_get_probe")' in f90
    assert "integer(c_int), parameter :: DLN_PROBE_RANK = 1  !< a rank" in f90
    assert "DLN_PROBE_LAST_" not in f90
    jl = out["bindings/julia/src/libdlnsgd.jl"]
    assert ("@ccall $(_fp(:dln_get_probe))(model::Ptr{Cvoid}, field::Cint, out::Ptr{Cdouble}, "
            "capacity::Int64, count::Ptr{Int64})::Cint") in jl
    assert "const COLOR_BLUE = Cint(5)" in jl
    assert "const LIMIT_WIDTH = Cint(1048576)" in jl  # evaluated by clang
    assert '{"DLN_PROBE_LOSS", DLN_PROBE_LOSS, "the loss"}' in out["bindings/cpp/dlnsgd_constants.hpp"]
    ns = {}
    exec(out["bindings/python/dlnsgd/constants.py"], ns)
    assert ns["ProbeField"].RANK == 1 and ns["Color"].RED == 4 and ns["LIMIT_DEPTH"] == 64
    assert ns["C_PREFIX"][ns["ProbeField"]] == "DLN_PROBE_"
    assert ns["DESCRIPTIONS"][ns["ProbeField"].LOSS] == "the loss"

    # the languages' compilers accept the new layers
    build = tmp_path / "build"
    build.mkdir()
    if shutil.which("gfortran"):
        f = subprocess.run(["gfortran", "-std=f2008", "-Wall", "-Wextra", "-pedantic", "-Werror",
                            "-c", str(tmp_path / "bindings/fortran/dlnsgd_c.f90")],
                           cwd=build, capture_output=True, text=True)
        assert f.returncode == 0, f.stderr
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx:
        src = build / "use.cpp"
        src.write_text("#include <dlnsgd_constants.hpp>\n"
                       "static_assert(dln::constants::probe_field.size() == 2);\n"
                       "static_assert(dln::constants::limit[1].value == 64);\n"
                       "static_assert(dln::constants::functions.back()[4] == 'g');\n")
        c = subprocess.run([cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Werror",
                            f"-I{header.parent}", f"-I{tmp_path / 'bindings/cpp'}", str(src)],
                           capture_output=True, text=True)
        assert c.returncode == 0, c.stderr


@pytest.mark.parametrize("addition, named", [
    ("DLN_API int dln_set_hook(dln_model *model, void (*hook)(void *), void *user);",
     "dln_set_hook(hook): a function pointer"),
    ("typedef struct dln_pair { double a, b; } dln_pair;\nDLN_API int dln_pair_sum(dln_pair p);",
     "struct dln_pair"),
    ("DLN_API int dln_printf(const char *format, ...);", "dln_printf: variadic"),
    ("#define DLN_MODE_TABLE(X) X(DLN_MODE_A, 1, \"a\") X(DLN_MODE_B, 2, \"b\")",
     "X-macro table DLN_MODE_TABLE: DLN_MODE_A, DLN_MODE_B are no enumerators"),
    ("DLN_API int dln_Step(dln_model *model);", "dln_Step and dln_step differ only in case"),
    ("static inline int dln_twice(int x) { return 2 * x; }", "function dln_twice: defined in the header"),
    ("union dln_bits { double d; int64_t i; };", "union dln_bits"),
])
def test_what_cannot_be_mapped_stops_the_generator_with_its_name(tmp_path, addition, named):
    header = header_with(tmp_path, addition)
    r = run("--header", str(header), "--root", str(tmp_path))
    assert r.returncode == 2
    assert named in r.stderr
    assert not (tmp_path / "bindings").exists()  # nothing written


def test_check_fails_on_a_stale_file(tmp_path):
    root = tmp_path / "tree"
    assert run("--root", str(root)).returncode == 0
    assert run("--root", str(root), "--check").returncode == 0
    stale = root / "bindings/python/dlnsgd/constants.py"
    stale.write_text(stale.read_text().replace("ERR_IO = -10", "ERR_IO = -99"))
    r = run("--root", str(root), "--check")
    assert r.returncode == 1
    assert "-    ERR_IO = -99" in r.stdout and "+    ERR_IO = -10" in r.stdout


# ----------------------------------------------------------- Julia parity
# Julia cannot run on this machine: the generated layer is checked against
# the header (each function's @ccall with the C argument types, each
# constant's value), and the hand-written module against the generated one.
JULIA = os.path.join(ROOT, "bindings", "julia", "src")
C_TO_JULIA = {"int": "Cint", "int64_t": "Int64", "uint64_t": "UInt64", "double": "Cdouble",
              "void": "Cvoid", "int *": "Ptr{Cint}", "int64_t *": "Ptr{Int64}",
              "uint64_t *": "Ptr{UInt64}", "double *": "Ptr{Cdouble}", "void *": "Ptr{Cvoid}",
              "char *": "Ptr{UInt8}", "dln_model *": "Ptr{Cvoid}", "dln_model **": "Ptr{Ptr{Cvoid}}",
              "dln_ensemble *": "Ptr{Cvoid}", "dln_ensemble **": "Ptr{Ptr{Cvoid}}"}


def julia_type(spelling, argument):
    if argument and spelling == "const char *":
        return "Cstring"
    return C_TO_JULIA[spelling.replace("const ", "")]


def test_the_julia_layer_calls_every_function_with_the_header_types():
    api = dlnsgd_api.read_api(HEADER)
    text = open(os.path.join(JULIA, "libdlnsgd.jl")).read()
    calls = {}
    for m in re.finditer(r"^(dln_\w+)\(([^)]*)\) =\s*@ccall \$\(_fp\(:(\w+)\)\)\((.*)\)::(\S+)$",
                         text, re.M):
        calls[m.group(1)] = (m.group(3), m.group(4), m.group(5))
    assert sorted(calls) == sorted(f.name for f in api.functions)
    for f in api.functions:
        symbol, args, ret = calls[f.name]
        assert symbol == f.name
        got = [a.split("::")[1] for a in args.split(", ")] if args else []
        assert got == [julia_type(p.type.spelling, True) for p in f.params], f.name
        assert ret == julia_type(f.result.spelling, False), f.name
    for c in api.constants:
        assert re.search(rf"^const {c.name[4:]} = Cint\({c.value}\)", text, re.M), c.name


def test_the_julia_module_uses_only_functions_of_the_header():
    api = dlnsgd_api.read_api(HEADER)
    text = open(os.path.join(JULIA, "Dlnsgd.jl")).read()
    assert 'include("libdlnsgd.jl")' in text
    used = set(re.findall(r"\b(dln_\w+)\s*[(,]", text))
    assert used <= {f.name for f in api.functions}, used - {f.name for f in api.functions}
