#!/usr/bin/env python3
"""Checks that dependencies in crates/wxhub/src point one way (docs/architecture.md).

Reads every `crate::a::b` path in every file and reports:
- infrastructure (store, wechat, bus, cache, jobs) importing a capability module other than
  its `model`;
- core importing anything outside core;
- a capability importing the app root or the CLI;
- cycles between top-level modules, where an import of a capability's or the jobs harness's
  `model` is not counted (plain data types are what every layer may share).
Exits 1 when it finds any, printing each with the file and line.
"""
import os
import re
import sys
from collections import defaultdict

SRC = os.path.join(os.path.dirname(__file__), "..", "crates", "wxhub", "src")
INFRA = {"store", "wechat", "bus", "cache", "jobs"}
CORE = "core"
ROOTS = {"app", "cli", "demo", "lib", "main"}
MACROS = {"ulid_id", "slug_id", "string_id_impls"}
PATH = re.compile(r"\bcrate::([a-z_]+)(?:::([A-Za-z_]+))?(?!\w*!)")
# The top of the HTTP layer (it merges every capability's routes, and `compat/` translates
# the seeds' own routes to capability services); the rest of http/ is the toolkit routes use
# (errors, extractors, caller auth, paging).
HTTP_TOP = {"router.rs", "health.rs", "server.rs", "test_clock.rs", "jobs.rs", "compat"}


def top_module(rel):
    parts = rel.split(os.sep)
    name = parts[0]
    if name == "http" and len(parts) > 1 and parts[1] in HTTP_TOP:
        return "http::router"
    return name[:-3] if name.endswith(".rs") else name


def uses(path):
    """(line number, first segment, second segment) of every crate:: path, `use` groups
    expanded one level (`use crate::x::{a, b}`)."""
    text = open(path, encoding="utf-8").read()
    # Drop line comments so doc links do not count.
    lines = [re.sub(r"//.*$", "", l) for l in text.split("\n")]
    joined = "\n".join(lines)
    for m in re.finditer(r"use crate::([a-z_]+)::\{([^{}]*)\}", joined):
        line = joined[: m.start()].count("\n") + 1
        for item in re.split(r"[,\s]+", m.group(2)):
            seg = item.split("::")[0].strip()
            if seg:
                yield line, m.group(1), seg
    for n, l in enumerate(lines, 1):
        for m in PATH.finditer(l):
            if l[m.end():].startswith("!") or m.group(1) in MACROS:
                continue
            yield n, m.group(1), m.group(2)


def main():
    capabilities = set()
    for entry in os.listdir(SRC):
        full = os.path.join(SRC, entry)
        name = entry[:-3] if entry.endswith(".rs") else entry
        if os.path.isdir(full) and name not in INFRA | ROOTS | {CORE, "http"}:
            capabilities.add(name)
    problems = []
    edges = defaultdict(set)
    where = {}
    for dirpath, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, SRC)
            me = top_module(rel)
            for line, first, second in uses(path):
                if first == me or first in ("self", "super"):
                    continue
                if first == "http" and second in ("router", "health", "server", "test_clock", "jobs", "compat"):
                    first = "http::router"
                if first == me:
                    continue
                at = f"{rel}:{line}"
                if me == CORE:
                    problems.append(f"{at}: core imports crate::{first}")
                if me in INFRA and first in capabilities and second != "model":
                    problems.append(f"{at}: {me} imports crate::{first}::{second} (only a capability's model)")
                if me in capabilities and first in ("app", "cli", "demo"):
                    problems.append(f"{at}: capability {me} imports crate::{first}")
                if (first in capabilities or first == "jobs") and second == "model":
                    continue
                if first in ROOTS:
                    continue
                edges[me].add(first)
                where.setdefault((me, first), at)
    # Cycles between top-level modules (Tarjan's strongly connected components).
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    for comp in sccs:
        detail = ", ".join(
            f"{a}->{b} ({where[(a, b)]})" for a in comp for b in comp if (a, b) in where
        )
        problems.append(f"cycle between {', '.join(comp)}: {detail}")
    for p in problems:
        print(p)
    print(f"{len(problems)} layering problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
