"""Merging PTX modules so many kernels assemble in one assembler call (tests only).

Each module simt emits has a header (``.version``/``.target``, ``.file`` lines, the
vprintf declaration, ``.global`` print strings) and one ``.visible .entry``. The merge
keeps the first module's ``.version``/``.target``, renumbers every module's ``.file``
indices (and the ``.loc`` lines that use them) into one table, gives module-scoped
names (``$strN``) a per-module prefix, declares vprintf once, and renames entries that
would clash. Labels and registers are scoped to their entry and need nothing.
"""
from __future__ import annotations

import re

FILE = re.compile(r'^\.file (\d+) "(.*)"$')
LOC = re.compile(r"^(\s*\.loc )(\d+)( .*)$", re.M)
STRING = re.compile(r"\$str(\d+)\b")
ENTRY = re.compile(r"\.visible \.entry ([A-Za-z0-9_$]+)\(")


def merge_modules(modules: list[str]) -> str:
    """One module holding the entries of all ``modules`` (simt's PTX, same arch)."""
    preamble: list[str] = []
    files: dict[str, int] = {}
    externs: list[str] = []
    globals_: list[str] = []
    entries: list[str] = []
    names: set[str] = set()
    for index, module in enumerate(modules):
        head, entry = module.split(".visible .entry", 1)
        entry = ".visible .entry" + entry
        renumber: dict[str, str] = {}
        for line in head.splitlines():
            line = line.strip()
            match = FILE.match(line)
            if match:
                number = files.setdefault(match.group(2), len(files) + 1)
                renumber[match.group(1)] = str(number)
            elif line.startswith(".extern"):
                if line not in externs:
                    externs.append(line)
            elif line.startswith(".global"):
                globals_.append(STRING.sub(rf"$m{index}_str\1", line))
            elif index == 0 and line.startswith((".version", ".target", ".address_size")):
                preamble.append(line)
        entry = LOC.sub(lambda m: m.group(1) + renumber[m.group(2)] + m.group(3), entry)
        entry = STRING.sub(rf"$m{index}_str\1", entry)
        name = ENTRY.search(entry).group(1)
        unique, n = name, 1
        while unique in names:
            unique, n = f"{name}_{n}", n + 1
        names.add(unique)
        entries.append(entry.replace(f".entry {name}(", f".entry {unique}(", 1))
    file_lines = [f'.file {n} "{name}"' for name, n in files.items()]
    return "\n".join(preamble + [""] + file_lines + externs + globals_ + [""] + entries)
