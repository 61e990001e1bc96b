"""The binding against include/dlnsgd.h: every function declared with the
same C types, every enumerator with the same value."""
import ctypes
import re

import pytest

import dlnsgd
from dlnsgd import _lib, constants
from vectors import header_path

C_TYPES = {
    "int": ctypes.c_int, "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64,
    "double": ctypes.c_double, "void": None, "char*": ctypes.c_char_p,
    "int*": _lib.IntP, "int64_t*": _lib.I64P, "uint64_t*": _lib.U64P,
    "double*": _lib.F64P, "void*": ctypes.c_void_p, "dln_model*": _lib.ModelP,
    "dln_model**": _lib.ModelPP, "dln_ensemble*": _lib.EnsembleP,
    "dln_ensemble**": _lib.EnsemblePP,
}


def header_text():
    text = header_path().read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return text


def c_type(decl, has_name):
    decl = decl.replace("const", " ").replace("*", " * ")
    toks = decl.split()
    if has_name and toks[-1] != "*":
        toks = toks[:-1]
    return toks[0] + "*" * toks.count("*")


def header_functions():
    out = {}
    for ret, name, args in re.findall(r"DLN_API\s+([\w\s\*]+?)\s*\b(dln_\w+)\s*\(([^)]*)\)\s*;",
                                      header_text()):
        args = " ".join(args.split())
        params = [] if args in ("", "void") else [c_type(a, True) for a in args.split(",")]
        out[name] = (c_type(ret, False), params)
    return out


def test_every_header_function_is_declared_with_its_types():
    funcs = header_functions()
    assert len(funcs) > 40
    assert sorted(funcs) == sorted(_lib.PROTOTYPES)
    for name, (ret, params) in funcs.items():
        restype, argtypes = _lib.PROTOTYPES[name]
        assert restype is C_TYPES[ret], name
        assert [C_TYPES[p] for p in params] == list(argtypes), name


def header_enumerators():
    text = header_text()
    values = {}
    for name, value in re.findall(r"X\((DLN_\w+),\s*(-?\d+),", text):
        values[name] = int(value)
    for name, value in re.findall(r"\b(DLN_\w+)\s*=\s*(-?\d+)", text):
        values[name] = int(value)
    for name, value in re.findall(r"#define\s+(DLN_(?:BR_REPORT_SIZE|JUMP_RECORD_SIZE))\s+(\d+)",
                                  text):
        values[name] = int(value)
    return {k: v for k, v in values.items() if not k.endswith("_LAST_")}


def test_every_enumerator_matches_the_header():
    values = header_enumerators()
    seen = set()
    for enum_cls, prefix in constants.C_PREFIX.items():
        for member in enum_cls:
            cname = prefix + member.name
            assert values.get(cname) == member.value, cname
            seen.add(cname)
    sizes = ["BR_REPORT_SIZE", "JUMP_RECORD_SIZE", "CHANGE_RECORD_SIZE", "TRACE_RECORD_SIZE",
             "GRAD_REPORT_SIZE", "MEMBER_RECORD_SIZE", "KM_RECORD_SIZE"]
    for name in sizes:
        assert values["DLN_" + name] == getattr(dlnsgd, name), name
        seen.add("DLN_" + name)
    assert set(values) - seen == set(), "enumerators without a Python name"


def test_version_macros_match_the_package():
    text = header_path().read_text()
    parts = [re.search(rf"#define DLN_VERSION_{p}\s+(\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    assert ".".join(parts) == dlnsgd.__version__
    assert int(parts[0]) == dlnsgd.ABI_MAJOR
