#!/usr/bin/env python3
"""How much of a hot function runs in 32-byte windows the JCC erratum spoils.

On Intel cores from Skylake to Cascade Lake with the JCC-erratum microcode,
a 32-byte window of code that holds a jump (or a macro-fused compare and
jump) crossing or ending at a 32-byte boundary is not kept in the decoded-uop
cache, so every instruction in it goes through the legacy decoders. Where
the linker puts a function (at 0 or 16 modulo 32, since functions are
16-byte aligned) decides which windows those are, and moved the HTTP parse
rows by up to 8% between builds of the same source (docs/performance.md).

This counts, for each instruction of FUNCTION executed by
`benches/http_parse_steady.rs` in MODE (callgrind, 2000 iterations), whether
it lies in such a window: as linked, with the function moved by 16 bytes,
and, given a second binary holding the same code (the criterion bench), as
placed there. Lower is better; compare variants of a change by the worse of
the two placements.

    python3 benches/tools/jcc_exposure.py STEADY_BIN chunked parse_avx2_inner [CODEC_BIN]

Needs valgrind, objdump and nm. A model, not a measurement: confirm in
criterion.
"""
import collections
import re
import subprocess
import sys

FUSING = ("cmp", "test", "add", "sub", "and", "inc", "dec")
ITERATIONS = 2000


def hot_offsets(binary, mode, function):
    """Executed instructions of `function`: offset from its start -> count."""
    out = "/tmp/jcc_exposure.callgrind"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-instr=yes", "--compress-pos=no",
         "--compress-strings=no", f"--callgrind-out-file={out}", binary, mode,
         str(ITERATIONS)],
        capture_output=True, check=True)
    counts = collections.Counter()
    fn, skip = None, False
    for line in open(out):
        line = line.strip()
        if line.startswith("fn="):
            fn = line
            continue
        if line.startswith("calls="):
            skip = True
            continue
        m = re.match(r"^0x([0-9a-f]+) (\d+) (\d+)$", line)
        if m:
            if skip:
                skip = False
                continue
            if fn and function in fn:
                counts[int(m.group(1), 16)] += int(m.group(3))
    start, _ = instructions(binary, function)
    return {a - start: c / ITERATIONS for a, c in counts.items()}


def instructions(binary, function):
    """The function's start address and its (offset, mnemonic) list."""
    symbols = subprocess.run(["nm", "-C", binary], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    start = next(int(l.split()[0], 16) for l in symbols if function in l)
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                         capture_output=True, text=True, check=True).stdout
    out, inside = [], False
    for line in asm.splitlines():
        if re.match(r"^[0-9a-f]+ <", line):
            inside = int(line.split()[0], 16) == start
            continue
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)", line)
        if inside and m:
            out.append((int(m.group(1), 16) - start, m.group(2)))
    return start, out


def exposure(hot, code, base):
    """Executed instructions in spoiled windows with the function at `base`."""
    spoiled = set()
    for i, (offset, op) in enumerate(code[:-1]):
        if offset not in hot or not (op.startswith("j") or op in ("call", "ret")):
            continue
        end = code[i + 1][0] + base
        begin = offset + base
        if i > 0 and op.startswith("j") and op != "jmp" and code[i - 1][1] in FUSING:
            begin = code[i - 1][0] + base
        if begin // 32 != (end - 1) // 32 or end % 32 == 0:
            spoiled.update((begin // 32, (end - 1) // 32))
    return sum(c for o, c in hot.items() if (o + base) // 32 in spoiled)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    steady, mode, function = sys.argv[1:4]
    hot = hot_offsets(steady, mode, function)
    start, code = instructions(steady, function)
    print(f"{function}: {sum(hot.values()):.0f} instructions a response; in spoiled "
          f"windows: {exposure(hot, code, start):.0f} as linked (at {start % 32} mod 32), "
          f"{exposure(hot, code, start + 16):.0f} moved by 16")
    if len(sys.argv) == 5:
        other_start, other_code = instructions(sys.argv[4], function)
        if [op for _, op in other_code] != [op for _, op in code]:
            print("  the second binary holds different code for it")
        else:
            print(f"  in {sys.argv[4]} (at {other_start % 32} mod 32): "
                  f"{exposure(hot, other_code, other_start):.0f}")


if __name__ == "__main__":
    main()
