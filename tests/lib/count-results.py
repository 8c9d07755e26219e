#!/usr/bin/python3
"""Counts test results for tests/run.

    count-results.py meson TESTLOG.json LABEL      meson's log of TAP tests
    count-results.py tap FILE EXIT-STATUS LABEL    a bats --formatter tap transcript

Prints one line "PASSED FAILED SKIPPED" on stdout and the name of every failure, prefixed by
LABEL, on stderr. Each TAP subtest counts once. A meson test that failed without a failing
subtest (a crash, a sanitizer report at exit, a plan it did not finish) counts as failed,
and so do tests a TAP plan announced but never reported.
"""

import json
import re
import sys

OK = re.compile(r"^(not ok|ok)\b\s*\d*\s*-?\s*(.*?)\s*$")
PLAN = re.compile(r"^1\.\.(\d+)(\s*#\s*skip.*)?$", re.I)


def tap(lines):
    """-> (passed, failed, skipped, planned or None, [failed names])"""
    p = f = s = 0
    plan = None
    names = []
    for line in lines:
        line = line.rstrip("\n")
        m = PLAN.match(line)
        if m:
            plan = int(m.group(1))
            if plan == 0 and m.group(2):
                s += 1
            continue
        m = OK.match(line)
        if not m:
            continue
        desc = m.group(2)
        directive = ""
        if "#" in desc:
            desc, _, directive = desc.partition("#")
            directive = directive.strip().lower()
        if directive.startswith("skip"):
            s += 1
        elif directive.startswith("todo"):
            if m.group(1) == "ok":
                p += 1
            else:
                s += 1
        elif m.group(1) == "ok":
            p += 1
        else:
            f += 1
            names.append(desc.strip())
    return p, f, s, plan, names


def meson(path, label):
    P = F = S = 0
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            t = json.loads(line)
            name, result = t.get("name", "?"), t.get("result", "?")
            p, f, s, plan, names = tap((t.get("stdout") or "").splitlines())
            for n in names:
                print("%s: %s: %s" % (label, name, n), file=sys.stderr)
            bad = result not in ("OK", "SKIP", "EXPECTEDFAIL")
            if result == "SKIP" and p + f + s == 0:
                s += 1
            elif bad and f == 0:
                missing = max(1, (plan or 0) - (p + s))
                f += missing
                print("%s: %s: %s (%s)" % (label, name, result.lower(),
                                           "exit status %s" % t.get("returncode")), file=sys.stderr)
            elif not bad and p + f + s == 0:
                p += 1
            P, F, S = P + p, F + f, S + s
    return P, F, S


def bats(path, status, label):
    with open(path, errors="replace") as fh:
        lines = fh.readlines()
    p, f, s, plan, names = tap(lines)
    for n in names:
        print("%s: %s" % (label, n), file=sys.stderr)
    seen = p + f + s
    if plan is not None and plan > seen:
        f += plan - seen
        print("%s: %d planned tests never ran" % (label, plan - seen), file=sys.stderr)
    if status != 0 and f == 0:
        f += 1
        print("%s: bats exited with status %d" % (label, status), file=sys.stderr)
    return p, f, s


def main(argv):
    if len(argv) == 3 and argv[0] == "meson":
        r = meson(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "tap":
        r = bats(argv[1], int(argv[2]), argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    print("%d %d %d" % r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
