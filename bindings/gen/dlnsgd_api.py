"""The C API of include/dlnsgd.h as libclang parses it: functions with their
parameter types, enumerations with their values (after preprocessing, so an
enum built from an X-macro table has its real values), integer macros, and
the X-macro tables themselves (for the descriptions they carry).

Nothing here reads the header as text: declarations and enumerator values
come from the clang AST, macro definitions from the preprocessing record,
and any integer macro is evaluated by compiling it (as an enumerator
initialiser) rather than by reading its tokens.

Whatever cannot be mapped to the simple type model below (a callback, a
struct passed by value, a variadic function, an unnamed enum member...)
raises ApiError naming the declaration: the generator fails loudly instead
of skipping it.
"""
import dataclasses
import os
import re

try:
    import clang.cindex as ci
except ImportError as e:  # pragma: no cover
    raise SystemExit("bindings/gen needs libclang's Python binding: apt-get install -y "
                     "python3-clang libclang-14-dev (" + str(e) + ")")

PREFIX = "DLN_"  # constants of the API
FUNC_PREFIX = "dln_"


class ApiError(Exception):
    """A construct of the header the generator cannot map."""


# ------------------------------------------------------------------ types
# Scalar C types the bindings know, by typedef name or canonical kind.
_FIXED = {
    "int8_t": "int8", "int16_t": "int16", "int32_t": "int32", "int64_t": "int64",
    "uint8_t": "uint8", "uint16_t": "uint16", "uint32_t": "uint32", "uint64_t": "uint64",
    "size_t": "size", "ptrdiff_t": "ptrdiff",
}
_CANONICAL = {
    ci.TypeKind.VOID: "void", ci.TypeKind.INT: "int", ci.TypeKind.DOUBLE: "double",
    ci.TypeKind.FLOAT: "float", ci.TypeKind.CHAR_S: "char", ci.TypeKind.SCHAR: "char",
    ci.TypeKind.BOOL: "bool",
}


@dataclasses.dataclass(frozen=True)
class CType:
    """base: a scalar name above, or "handle" (pointer target of an opaque
    struct); pointers: how many `*`; const: the pointee (pointers == 1) is
    const. An enum parameter is typed as "int", as C passes it."""
    base: str
    pointers: int = 0
    const: bool = False
    spelling: str = ""

    @property
    def is_pointer(self):
        return self.pointers > 0


def _ctype(t, where):
    spelling = t.spelling
    pointers, const = 0, False
    while t.kind == ci.TypeKind.POINTER:
        pointee = t.get_pointee()
        if pointers == 0:
            const = pointee.is_const_qualified()
        pointers += 1
        t = pointee
    canon = t.get_canonical()
    name = t.spelling.replace("const ", "").strip()
    if canon.kind == ci.TypeKind.FUNCTIONPROTO or canon.kind == ci.TypeKind.FUNCTIONNOPROTO:
        raise ApiError(f"{where}: a function pointer ({spelling}) has no mapping; "
                       "wrap the callback by hand or change the C API")
    if name in _FIXED:
        return CType(_FIXED[name], pointers, const, spelling)
    if canon.kind == ci.TypeKind.RECORD:
        decl = canon.get_declaration()
        if decl.is_definition():
            raise ApiError(f"{where}: struct {decl.spelling} has a public layout; only opaque "
                           "handles (typedef struct x x; used by pointer) are mapped")
        if pointers == 0:
            raise ApiError(f"{where}: opaque {spelling} by value")
        return CType("handle", pointers - 1, const, spelling)
    if canon.kind == ci.TypeKind.ENUM:
        return CType("int", pointers, const, spelling)
    if canon.kind in _CANONICAL:
        return CType(_CANONICAL[canon.kind], pointers, const, spelling)
    raise ApiError(f"{where}: type {spelling} (kind {canon.kind.name}) has no mapping")


# --------------------------------------------------------------- the API
@dataclasses.dataclass
class Param:
    name: str
    type: CType


@dataclasses.dataclass
class Function:
    name: str
    result: CType
    params: list
    signature: str  # the C type of the function, as clang spells it


@dataclasses.dataclass
class Constant:
    name: str
    value: int
    description: str = ""


@dataclasses.dataclass
class Enum:
    tag: str  # "" for an unnamed enum
    constants: list  # [Constant], sentinels (names ending in "_") removed
    table: str = ""  # the X-macro table that lists them, if any

    @property
    def counts(self):
        """A last enumerator named *_SIZE whose value is the number of the
        others (DLN_BR_REPORT_SIZE) is a count, not a member."""
        *rest, last = self.constants or [None]
        if last is not None and last.name.endswith("_SIZE") and last.value == len(rest):
            return [last]
        return []

    @property
    def members(self):
        return [c for c in self.constants if c not in self.counts]

    @property
    def prefix(self):
        """Longest common prefix of the members, at an underscore, that leaves
        every member a name (DLN_PARAM_ for DLN_PARAM_RIDGE, ...)."""
        parts = [c.name.split("_") for c in self.members]
        n = 0
        while all(len(p) > n + 1 and p[n] == parts[0][n] for p in parts):
            n += 1
        return "_".join(parts[0][:n]) + "_" if n else ""


@dataclasses.dataclass
class Api:
    header: str
    functions: list
    enums: list
    macros: list  # [Constant]: object-like integer macros
    not_constants: list  # object-like DLN_ macros that are not constants (named in output)
    tables: dict  # X-macro table name -> [(name, description)]
    reals: list = dataclasses.field(default_factory=list)  # [Constant]: floating literal macros

    @property
    def constants(self):
        return self.macros + [c for e in self.enums for c in e.constants]


def _tokens(cursor):
    return list(cursor.get_tokens())


def _in_header(cursor, header):
    f = cursor.location.file
    return f is not None and os.path.samefile(f.name, header)


def _split_args(tokens):
    """Top-level comma split of the tokens between a macro call's parentheses."""
    args, depth, cur = [], 0, []
    for t in tokens:
        s = t.spelling
        if s == "," and depth == 0:
            args.append(cur)
            cur = []
            continue
        depth += s == "(" or s == "["
        depth -= s == ")" or s == "]"
        cur.append(t)
    args.append(cur)
    return args


def _xmacro_table(name, toks):
    """X(a, b, c) X(...) ... after `NAME(X)`, or None if the macro is not a
    table. Returns [(entry name, description or "")]."""
    if len(toks) < 4 or toks[1].spelling != "(" or toks[3].spelling != ")":
        return None
    if toks[1].extent.start.offset != toks[0].extent.end.offset:
        return None  # object-like macro whose body starts with "("
    x = toks[2].spelling
    body, entries, i = toks[4:], [], 0
    if not body:
        return None
    while i < len(body):
        if body[i].spelling != x or i + 1 >= len(body) or body[i + 1].spelling != "(":
            return None
        depth, j = 0, i + 1
        while True:
            depth += body[j].spelling == "("
            depth -= body[j].spelling == ")"
            if depth == 0:
                break
            j += 1
        args = _split_args(body[i + 2:j])
        if len(args[0]) != 1 or args[0][0].kind != ci.TokenKind.IDENTIFIER:
            raise ApiError(f"X-macro table {name}: entry {len(entries) + 1} does not start with a name")
        desc = ""
        if len(args) >= 3 and len(args[2]) == 1 and args[2][0].spelling.startswith('"'):
            desc = args[2][0].spelling[1:-1]
        entries.append((args[0][0].spelling, desc))
        i = j + 1
    return entries


def _parse(path, source=None, extra=None):
    index = ci.Index.create()
    args = ["-x", "c", "-std=c99", "-fno-color-diagnostics"]
    unsaved = [(path, source)] if source is not None else None
    tu = index.parse(path, args=args + (extra or []), unsaved_files=unsaved,
                     options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    return tu, errors


def _floating_literal(tokens):
    """The value of a macro body that is one floating literal (optionally
    signed, optionally in parentheses), from clang's tokens; else None."""
    spell = [t.spelling for t in tokens]
    if len(spell) >= 2 and spell[0] == "(" and spell[-1] == ")":
        spell = spell[1:-1]
    sign = 1.0
    if len(spell) == 2 and spell[0] in "+-":
        sign, spell = (-1.0 if spell[0] == "-" else 1.0), spell[1:]
    if len(spell) != 1 or tokens[-1].kind != ci.TokenKind.LITERAL:
        return None
    text = spell[0].rstrip("fFlL")
    if not any(ch in text for ch in ".eEpP") or text.lower().startswith("0x") and "p" not in text.lower():
        return None  # an integer literal: the integer path maps it
    try:
        return sign * (float.fromhex(text) if text.lower().startswith("0x") else float(text))
    except ValueError:
        return None


def _evaluate_macros(header, names):
    """Values of object-like macros as integer constant expressions, by
    compiling `enum { probe_i = (NAME) }` after the header; None where the
    macro is not one (e.g. DLN_API)."""
    if not names:
        return {}
    probe = os.path.join(os.path.dirname(os.path.abspath(header)), "dln_gen_probe_.c")
    src = f'#include "{os.path.basename(header)}"\n' + "".join(
        f"enum {{ dln_gen_probe_{i} = ({n}) }};\n" for i, n in enumerate(names))
    tu, errors = _parse(probe, src, ["-I", os.path.dirname(os.path.abspath(header))])
    bad_lines = {d.location.line for d in errors}
    values = {}
    for c in tu.cursor.walk_preorder():
        if c.kind == ci.CursorKind.ENUM_CONSTANT_DECL and c.spelling.startswith("dln_gen_probe_"):
            i = int(c.spelling.rsplit("_", 1)[1])
            values[names[i]] = None if c.location.line in bad_lines else c.enum_value
    return {n: values.get(n) for n in names}


def read_api(header):
    header = os.path.abspath(header)
    tu, errors = _parse(header)
    if errors:
        raise ApiError("the header does not parse: " + "; ".join(str(d) for d in errors))
    functions, enums, tables, object_macros, real_literals = [], [], {}, [], {}
    seen = set()
    for c in tu.cursor.get_children():
        if not _in_header(c, header):
            continue
        k = c.kind
        if k == ci.CursorKind.MACRO_DEFINITION:
            toks = _tokens(c)
            table = _xmacro_table(c.spelling, toks)
            if table is not None:
                tables[c.spelling] = table
            elif (len(toks) > 1 and c.spelling.startswith(PREFIX) and not c.spelling.endswith("_")
                  and not (toks[1].spelling == "("
                           and toks[1].extent.start.offset == toks[0].extent.end.offset)):
                object_macros.append(c.spelling)
                literal = _floating_literal(toks[1:])
                if literal is not None:
                    real_literals[c.spelling] = literal
        elif k == ci.CursorKind.FUNCTION_DECL:
            if c.is_definition():
                raise ApiError(f"function {c.spelling}: defined in the header (inline); only "
                               "functions the library exports are mapped")
            if c.spelling in seen:
                continue
            seen.add(c.spelling)
            if not c.spelling.startswith(FUNC_PREFIX):
                raise ApiError(f"function {c.spelling}: not in the {FUNC_PREFIX} namespace")
            if c.type.kind == ci.TypeKind.FUNCTIONPROTO and c.type.is_function_variadic():
                raise ApiError(f"{c.spelling}: variadic functions have no mapping")
            params = []
            for i, a in enumerate(c.get_arguments()):
                pname = a.spelling or f"arg{i + 1}"
                params.append(Param(pname, _ctype(a.type, f"{c.spelling}({pname})")))
            functions.append(Function(c.spelling, _ctype(c.result_type, f"{c.spelling} result"),
                                      params, c.type.spelling))
        elif k == ci.CursorKind.ENUM_DECL:
            consts = []
            for e in c.get_children():
                if e.kind != ci.CursorKind.ENUM_CONSTANT_DECL:
                    continue
                if not e.spelling.startswith(PREFIX):
                    raise ApiError(f"enumerator {e.spelling}: not in the {PREFIX} namespace")
                if e.spelling.endswith("_"):
                    continue  # sentinel private to the header, e.g. DLN_STATUS_LAST_
                consts.append(Constant(e.spelling, e.enum_value))
            tag = "" if c.is_anonymous() else c.spelling
            enums.append(Enum(tag, consts))
        elif k == ci.CursorKind.UNION_DECL:
            raise ApiError(f"union {c.spelling}: unions have no mapping")
        elif k == ci.CursorKind.STRUCT_DECL and c.is_definition():
            raise ApiError(f"struct {c.spelling}: public structs have no mapping (use an opaque handle)")
        elif k == ci.CursorKind.VAR_DECL:
            raise ApiError(f"variable {c.spelling}: global variables have no mapping")

    # Every X-macro table must be an enum's list (its names enumerators);
    # the descriptions become the enumerators' comments.
    by_name = {x.name: (e, x) for e in enums for x in e.constants}
    for tname, entries in tables.items():
        missing = [n for n, _ in entries if n not in by_name]
        if missing:
            raise ApiError(f"X-macro table {tname}: {', '.join(missing)} are no enumerators; "
                           "expand the table into an enum as DLN_STATUS_TABLE is")
        owners = {id(by_name[n][0]) for n, _ in entries}
        if len(owners) != 1:
            raise ApiError(f"X-macro table {tname}: its names belong to several enums")
        by_name[entries[0][0]][0].table = tname
        for n, d in entries:
            by_name[n][1].description = d

    values = _evaluate_macros(header, object_macros)
    macros = [Constant(n, v) for n, v in values.items() if v is not None]
    reals = [Constant(n, real_literals[n]) for n, v in values.items() if v is None and n in real_literals]
    not_constants = [n for n, v in values.items() if v is None and n not in real_literals]

    # Fortran ignores case: within functions, and within constants, no two
    # names may differ only in case. (A constant and a function may: the
    # Fortran raw layer names the functions c_dln_*.)
    for group in ([f.name for f in functions], [x.name for x in macros]
                  + [x.name for e in enums for x in e.constants]):
        lower = {}
        for n in group:
            if n.lower() in lower:
                raise ApiError(f"{n} and {lower[n.lower()]} differ only in case "
                               "(Fortran cannot tell them apart)")
            lower[n.lower()] = n
    for e in enums:
        if not e.members and e.constants:
            raise ApiError(f"enum {e.tag or '(unnamed)'}: only counts, no members")
    return Api(os.path.basename(header), functions, enums, macros, not_constants, tables, reals)


def camel(tag):
    return "".join(p.capitalize() for p in re.sub(r"^dln_", "", tag).split("_"))
