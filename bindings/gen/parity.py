"""Parity programs, written from the header at build time (ctest
fortran_parity, cpp_parity) and compiled against the committed generated
layers: a stale or wrong layer fails to compile, link or pass."""
from generate import BANNER, cpp_table_name


def fortran(api):
    """A program that takes the address of every c_dln_* interface (the link
    resolves each bind(C) name in libdlnsgd) and compares every constant of
    module dlnsgd_c with the value libclang read from the header."""
    out = [f"! {BANNER}", "! Parity of the Fortran raw layer with the header (ctest fortran_parity).",
           "program dlnsgd_fortran_parity", "  use, intrinsic :: iso_c_binding", "  use dlnsgd_c",
           "  implicit none", "  integer :: failed = 0, functions = 0",
           "  type(c_funptr) :: f"]
    for fn in api.functions:
        out += [f"  f = c_funloc(c_{fn.name})", "  call count_function(f)"]
    for c in api.constants:
        out.append(f"  call expect({c.name} == {c.value}_c_int64_t, \"{c.name}\")")
    out += [f"  write (*, '(i0, a, i0, a)') functions, \" of {len(api.functions)} functions, \", "
            f"{len(api.constants)} - failed, \" of {len(api.constants)} constants\"",
            "  if (failed > 0 .or. functions /= " + str(len(api.functions)) + ") error stop 1",
            "contains", "  subroutine count_function(p)", "    type(c_funptr), intent(in) :: p",
            "    if (c_associated(p)) functions = functions + 1", "  end subroutine",
            "  subroutine expect(ok, name)", "    logical, intent(in) :: ok",
            "    character(len=*), intent(in) :: name", "    if (.not. ok) then",
            "      failed = failed + 1", "      write (*, '(a, a)') \"FAIL: constant \", name",
            "    end if", "  end subroutine", "end program dlnsgd_fortran_parity"]
    return "\n".join(out) + "\n"


def cpp(api):
    """Every function has the exact C type libclang saw (decltype), and the
    generated tables list exactly the header's enumerators with its values."""
    out = [f"// {BANNER}", "// Parity of dlnsgd_constants.hpp and the C API (ctest cpp_parity).",
           "#include <dlnsgd_constants.hpp>", "", "#include <cstdio>", "#include <cstring>",
           "#include <type_traits>", ""]
    for f in api.functions:
        sig = f.signature.replace("(", "(*)(", 1)
        out.append(f"static_assert(std::is_same_v<decltype(&{f.name}), {sig}>);")
    out += ["", "int main() {", "  int failed = 0;",
            "  auto expect = [&](bool ok, const char* what) {",
            "    if (!ok) { std::printf(\"FAIL: %s\\n\", what); ++failed; }", "  };"]
    for e in api.enums:
        t = f"dln::constants::{cpp_table_name(e)}"
        out.append(f"  expect({t}.size() == {len(e.members)}, \"{t} size\");")
        for i, c in enumerate(e.members):
            out.append(f"  expect(std::strcmp({t}[{i}].name, \"{c.name}\") == 0 && "
                       f"{t}[{i}].value == {c.value}, \"{c.name}\");")
    out += [f"  expect(dln::constants::functions.size() == {len(api.functions)}, \"functions\");"]
    for i, f in enumerate(api.functions):
        out.append(f"  expect(std::strcmp(dln::constants::functions[{i}], \"{f.name}\") == 0, "
                   f"\"{f.name}\");")
    n = sum(len(e.members) for e in api.enums)
    out += [f"  std::printf(\"{len(api.functions)} functions, {n} enumerators, %d failed\\n\", failed);",
            "  return failed != 0;", "}"]
    return "\n".join(out) + "\n"
