#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the C source of a library opened on first use (src/shared/meson.build).

Every rkt command used to pay the dynamic loading of every library the binary links, though
most use few of them (`rkt run` of a stored image needs neither libarchive, which pulls
libxml2, ICU and libstdc++, nor libcrypto's digests beyond a few hashes of short strings).
For each function named in SYMBOLS, this defines a function of the same name and prototype
(taken from HEADERS, so the compiler checks every definition against the library's own
declaration) that opens SONAME on its first call (lazy_lib_sym(), dlopen-util.h) and calls
the library's function. A variadic printf-like function is formatted here and passed on as
"%s". Another variadic function is listed with the types of the arguments rkt passes after
its fixed ones, "name(type, ...)" (sqlite3_db_config(int, int *)): they are read with va_arg
and passed on as they are. The binary is linked against these definitions instead of the
library: a function of the library not listed is an undefined reference at link time (add
it to SYMBOLS).

usage: gen-lazy-lib.py OUTPUT SONAME WHAT SYMBOLS INCLUDE[,INCLUDE...] HEADER...
"""
import re
import sys

ATTRIBUTE_MACROS = ("__owur", "__LA_DECL", "SQLITE_API")


def declarations(headers):
    text = ""
    for h in headers:
        with open(h) as f:
            text += re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S) + "\n"
    decls = {}
    pat = re.compile(r"(?:^|;|\})\s*([A-Za-z_][^;{}#()]*?)\b([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*"
                     r"(?:__LA_PRINTF\([^)]*\)\s*)?;", re.M)
    for m in pat.finditer(text):
        ret, name, params = m.group(1), m.group(2), m.group(3)
        for a in ATTRIBUTE_MACROS:
            ret = ret.replace(a, "")
        decls.setdefault(name, (" ".join(ret.split()), " ".join(params.split())))
    return decls


def split_params(params):
    """The parameters of a declaration, split at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for c in params:
        depth += (c == "(") - (c == ")")
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    return out + [cur.strip()]


def param_type(p):
    """The type of one declared parameter, without its name if it has one."""
    fp = re.match(r"^(.*\(\s*\*)\s*[A-Za-z_]\w*\s*(\).*)$", p)  # int (*name)(...)
    if fp:
        return fp.group(1) + fp.group(2)
    m = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", p)
    if m:
        words = re.findall(r"[A-Za-z_]\w*", m.group(1))
        if words and words[-1] not in ("struct", "const", "unsigned", "signed", "enum"):
            return m.group(1).strip()
    return p


def named(t, a):
    """A parameter of type t named a (inside the parentheses of a function pointer's)."""
    if "(*)" in t:
        return t.replace("(*)", f"(*{a})", 1)
    return f"{t}{'' if t.endswith('*') else ' '}{a}"


def definition(name, ret, params, fixed=None):
    ps = split_params(params) if params not in ("", "void") else []
    variadic = bool(ps) and ps[-1] == "..."
    if variadic:
        ps = ps[:-1]
    types = [param_type(p) for p in ps]
    args = [f"a{i}" for i in range(len(ps))]
    decl = ", ".join(named(t, a) for t, a in zip(types, args))
    fntype = f"{ret} (*)({', '.join(types) + (', ...' if variadic else '') or 'void'})"
    lines = [f"{ret} {name}({decl + (', ...' if variadic else '') or 'void'})", "{"]
    lines.append(f"        static void *fn;")
    lines.append(f"        void *f = __atomic_load_n(&fn, __ATOMIC_RELAXED);")
    lines.append("")
    lines.append("        if (!f) {")
    lines.append(f"                f = lazy_lib_sym(&lib, \"{name}\");")
    lines.append("                __atomic_store_n(&fn, f, __ATOMIC_RELAXED);")
    lines.append("        }")
    call_args = args
    if variadic and fixed is not None:
        extra = [f"v{i}" for i in range(len(fixed))]
        lines.insert(2, "        va_list ap;")
        for i, (t, v) in enumerate(zip(fixed, extra)):
            lines.insert(3 + i, f"        {named(t, v)};")
        lines.append(f"        va_start(ap, {args[-1]});")
        lines += [f"        {v} = va_arg(ap, {t});" for t, v in zip(fixed, extra)]
        lines.append("        va_end(ap);")
        call_args = args + extra
    elif variadic:
        if not types or types[-1] != "const char *":
            sys.exit(f"gen-lazy-lib: {name}: only printf-like variadic functions are handled")
        fmt = args[-1]
        lines.insert(2, "        char text[1024];")
        lines.insert(3, "        va_list ap;")
        lines.append(f"        va_start(ap, {fmt});")
        lines.append(f"        vsnprintf(text, sizeof(text), {fmt}, ap);")
        lines.append("        va_end(ap);")
        call_args = args[:-1] + ['"%s"', "text"]
    call = f"(({fntype})f)({', '.join(call_args)})"
    lines.append(f"        {'' if ret == 'void' else 'return '}{call};")
    lines.append("}")
    return "\n".join(lines)


def main():
    out, soname, what, symbols, include, headers = (sys.argv[1], sys.argv[2], sys.argv[3],
                                                   sys.argv[4], sys.argv[5], sys.argv[6:])
    with open(symbols) as f:
        entries = [ln.split("#")[0].strip() for ln in f]
    fixed = {}
    names = []
    for e in filter(None, entries):
        m = re.match(r"^(\w+)\((.*)\)$", e)
        if m:
            fixed[m.group(1)] = [t.strip() for t in m.group(2).split(",")]
        names.append(m.group(1) if m else e)
    decls = declarations(headers)
    missing = [n for n in names if n not in decls]
    if missing:
        sys.exit(f"gen-lazy-lib: not declared in {', '.join(headers)}: {', '.join(missing)}")
    src = ["/* Generated by src/shared/gen-lazy-lib.py from " + symbols.split("/")[-1]
           + ": do not edit. */",
           "#include <stdarg.h>", "#include <stdio.h>", "",
           *[f"#include <{h}>" for h in include.split(",")], "", '#include "dlopen-util.h"', "",
           f"static struct lazy_lib lib = {{.soname = \"{soname}\", .what = \"{what}\"}};", ""]
    for n in names:
        src.append(definition(n, *decls[n], fixed.get(n)))
        src.append("")
    with open(out, "w") as f:
        f.write("\n".join(src))


if __name__ == "__main__":
    main()
