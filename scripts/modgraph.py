#!/usr/bin/env python3
"""Module graph of the `lieux` crate, drawn from the code's paths (python3, stdlib only).

Reads src/**/*.rs and maps each file to its module path: src/lib.rs is the crate root,
src/main.rs is `main`, src/foo.rs and src/foo/mod.rs are `foo`, src/foo/bar.rs is `foo::bar`.
A file pulled in by `include!("x.rs")` belongs to the including module (src/model_typologie.rs
is part of `model`). In each file it collects the paths that name another module of the crate:

- `use crate::…` declarations, groups included (`use crate::{a, b::{c, d}}`);
- `crate::x::y` paths anywhere in the code, `super::…` and `self::…` paths (resolved from the
  file's module), and in src/main.rs the `lieux::…` paths (the binary reaches the library by
  its name);
- uniform paths in `use` declarations of a folder's mod.rs or of lib.rs (`pub use report::…`).

A path names the deepest module of the crate it reaches; a name re-exported by a module's
`pub use` (`crate::import::encode_indexed`, re-exported from `snapshot`) is followed to the
module that defines it. Comments (`//`, `/* */`), string and char literals, and `#[cfg(test)]`
items (the `mod tests { … }` blocks) are skipped.

The graph has two levels: top-level modules (model, dataset, import, http…), and inside each
folder, at any depth, its files and sub-folders (import::validate, import::stream,
import::raw::rules…; a path into a sub-folder counts as one to the sub-folder). It reports

- cycles between top-level modules (strongly connected components of more than one module);
- cycles between the files of one folder, for every folder (import/, import/raw/…; the
  folder's mod.rs, which declares and re-exports them, is left out of that graph; names
  re-exported by it are followed to their file);
- "core → outer" edges: a core module (model, dataset, index, filter, hours, territory,
  model_typologie, geodesy, snapshot) naming an outer one (import, geocode, http, config, main,
  cli), or using `clap`.

Every edge keeps the file and line of each path that makes it.

Usage:
    python3 scripts/modgraph.py [--src DIR] [--dot PATH] [--check] [--verbose]

--dot PATH writes the graph as Graphviz DOT (top-level folders as clusters of their files and
sub-folders; top-level edges between them; core → outer edges and edges inside a cycle in red).
--check exits 1 when there is any cycle or any core → outer edge.
"""

import argparse
import os
import re
import signal
import sys
from collections import defaultdict

CORE = {"model", "dataset", "index", "filter", "hours", "territory", "model_typologie",
        "geodesy", "snapshot"}
OUTER = {"import", "geocode", "http", "config", "main", "cli"}
CRATE_NAME = "lieux"

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# ---------------------------------------------------------------------------------------------
# Lexing: blank out comments and literals, keep line structure.


def strip_code(text):
    """Return `text` with comments, string literals and char literals replaced by spaces
    (newlines kept, so line numbers stay valid)."""
    out = []
    i, n = 0, len(text)

    def blank(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif c in "rb" and re.match(r'(?:br|r)#*"', text[i:i + 40]) and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(?:br|r)(#*)"', text[i:])
            hashes = m.group(1)
            end = text.find('"' + hashes, i + m.end())
            j = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + blank(text[i + 2:j]))
            i = j
        elif c == '"' or (c == "b" and nxt == '"' and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append('""' + blank(text[i + 2:j]))
            i = j
        elif c == "'":
            # char literal ('x', '\n', '\u{..}') or lifetime ('a)
            m = re.match(r"'(\\.[^']*|[^'\\\n])'", text[i:])
            if m:
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_comments(text):
    """`text` without `//` line comments (enough to find `include!` calls)."""
    return re.sub(r"//[^\n]*", "", text)


def drop_cfg_test(code):
    """Blank out every item carrying `#[cfg(test)]`: a braced block (`mod tests { … }`, a
    function) up to its closing brace, or an item up to its `;`."""
    out = list(code)
    for m in re.finditer(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]", code):
        start = m.start()
        if out[start] == " ":  # already blanked (nested)
            continue
        j = m.end()
        depth = 0
        end = len(code)
        while j < len(code):
            ch = code[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    end = j + 1
                    break
            elif ch == ";" and depth == 0:
                end = j + 1
                break
            j += 1
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Files and modules.


def module_of(rel):
    """src-relative path → module path (tuple); () is the crate root."""
    parts = rel[:-3].split("/")
    if parts == ["lib"]:
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def read_sources(src):
    files = {}
    for root, _dirs, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, src).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    files[rel] = f.read()
    return files


def line_of(code, pos):
    return code.count("\n", 0, pos) + 1


def parse_use_tree(s):
    """Expand a use tree (`a::{b, c::{d, e as f}, self}`) into lists of segments."""
    s = re.sub(r"\s+as\s+" + IDENT, "", s)  # `x as y`: the alias never names a module
    s = re.sub(r"\s+", "", s)
    out = []

    def split_top(body):
        items, depth, cur = [], 0, ""
        for ch in body:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                items.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            items.append(cur)
        return items

    def walk(prefix, tree):
        brace = tree.find("{")
        if brace < 0:
            segs = [p for p in tree.split("::") if p]
            if segs and segs[-1] == "self":
                segs = segs[:-1]
            if segs and segs[-1] == "*":
                segs = segs[:-1]
            out.append(prefix + segs)
            return
        head = [p for p in tree[:brace].split("::") if p]
        body = tree[brace + 1:tree.rfind("}")]
        for item in split_top(body):
            walk(prefix + head, item)

    walk([], s)
    return out


class Crate:
    def __init__(self, src):
        self.src = src
        self.raw = read_sources(src)
        # A file pulled into another by `include!("x.rs")` is part of the including module
        # (src/model_typologie.rs is included by src/model.rs), not a module of its own.
        self.included = {}
        for rel, text in self.raw.items():
            for m in re.finditer(r'\binclude!\s*\(\s*"([^"]+\.rs)"\s*\)', strip_comments(text)):
                target = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
                target = target.replace(os.sep, "/")
                if target in self.raw and target != rel:
                    self.included[target] = rel
        self.modules = {}  # module path → file
        for rel in self.raw:
            if rel in self.included or rel.startswith("bin/"):
                continue
            self.modules[self.mod_of_file(rel)] = rel
        self.code = {rel: drop_cfg_test(strip_code(text)) for rel, text in self.raw.items()}
        self.reexports = self._reexports()

    def mod_of_file(self, rel):
        while rel in getattr(self, "included", {}):
            rel = self.included[rel]
        return ("main",) if rel == "main.rs" else module_of(rel)

    def _reexports(self):
        """module → {name: defining module} from `pub use` declarations (one level)."""
        rex = defaultdict(dict)
        for rel, code in self.code.items():
            mod = self.mod_of_file(rel)
            if mod == ("main",):
                continue
            for m in re.finditer(r"\bpub(?:\s*\([^)]*\))?\s+use\s+([^;]*);", code):
                for segs in parse_use_tree(m.group(1)):
                    if not segs:
                        continue
                    target = self._resolve_modules(mod, segs, follow=False)
                    if target is not None and target != mod:
                        name = segs[-1]
                        rex[mod][name] = target
        return rex

    def _absolute(self, mod, segs, in_use):
        """Segments relative to `mod` → absolute segments from the crate root, or None when the
        path is outside the crate."""
        if not segs:
            return None
        head = segs[0]
        if head == "crate" or (mod == ("main",) and head == CRATE_NAME):
            return list(segs[1:])
        if head == "self":
            return list(mod) + list(segs[1:])
        if head == "super":
            base = list(mod)
            rest = list(segs)
            while rest and rest[0] == "super":
                if not base:
                    return None
                base.pop()
                rest.pop(0)
            return base + rest
        # uniform paths: a child module of the current module
        if in_use and tuple(mod) + (head,) in self.modules and mod != ("main",):
            return list(mod) + list(segs)
        return None

    def _resolve_modules(self, mod, segs, follow=True, in_use=True):
        absolute = self._absolute(mod, segs, in_use)
        if absolute is None:
            return None
        cur = ()
        for seg in absolute:
            cand = cur + (seg,)
            if cand in self.modules:
                cur = cand
                continue
            if follow and seg in self.reexports.get(cur, {}):
                cur = self.reexports[cur][seg]
            break
        if cur == ():
            return None
        return cur

    def references(self):
        """Yield (from module, to module, file, line, text) for every path into the crate."""
        for rel, code in sorted(self.code.items()):
            if rel.startswith("bin/"):
                continue
            mod = self.mod_of_file(rel)
            lines = self.raw[rel].split("\n")
            seen = set()
            use_spans = []
            for m in re.finditer(r"\buse\s+([^;]*);", code):
                use_spans.append((m.start(), m.end()))
                line = line_of(code, m.start())
                for segs in parse_use_tree(m.group(1)):
                    target = self._resolve_modules(mod, segs, in_use=True)
                    if target and target != mod:
                        key = (target, line)
                        if key not in seen:
                            seen.add(key)
                            yield mod, target, rel, line, lines[line - 1].strip()
            heads = r"(?:crate|super|self" + (("|" + CRATE_NAME) if mod == ("main",) else "") + ")"
            for m in re.finditer(r"(?<![A-Za-z0-9_:])" + heads + r"(?:\s*::\s*" + IDENT + r")+",
                                 code):
                if any(a <= m.start() < b for a, b in use_spans):
                    continue
                segs = [s.strip() for s in m.group(0).split("::")]
                target = self._resolve_modules(mod, segs, in_use=False)
                line = line_of(code, m.start())
                if target and target != mod:
                    key = (target, line)
                    if key not in seen:
                        seen.add(key)
                        yield mod, target, rel, line, lines[line - 1].strip()

    def clap_uses(self):
        for rel, code in sorted(self.code.items()):
            for m in re.finditer(r"(?<![A-Za-z0-9_])clap(?![A-Za-z0-9_])", code):
                line = line_of(code, m.start())
                yield self.mod_of_file(rel), rel, line, self.raw[rel].split("\n")[line - 1].strip()


# ---------------------------------------------------------------------------------------------
# Graphs.


def tarjan(nodes, edges):
    """Strongly connected components (iterative Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in nodes:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def simple_cycles(nodes, adj, cap=10000):
    """Elementary cycles (each listed once, from its smallest node), up to `cap`."""
    out = []

    def dfs(start, v, path, on):
        for w in sorted(adj.get(v, ())):
            if len(out) >= cap:
                return
            if w == start:
                out.append(list(path))
            elif w in nodes and w > start and w not in on:
                on.add(w)
                path.append(w)
                dfs(start, w, path, on)
                path.pop()
                on.discard(w)

    for s in sorted(nodes):
        dfs(s, s, [s], {s})
    return sorted(out, key=lambda c: (len(c), c))


def name(mod):
    return "::".join(mod) if mod else "crate"


def analyse(src):
    crate = Crate(src)
    top_nodes = sorted({m[0] for m in crate.modules if m})
    folders = sorted({m[0] for m in crate.modules if len(m) >= 2})
    # every folder, at any depth (import, import::raw, …): a module with child modules
    all_folders = sorted({m[:-1] for m in crate.modules if len(m) >= 2})
    # evidence[(a, b)] = [(file, line, text)]
    top_edges = defaultdict(list)
    # folder path (a tuple: ("import",), ("import", "raw")) → {(a, b): [...]}
    sub_edges = defaultdict(lambda: defaultdict(list))
    for frm, to, rel, line, text in crate.references():
        if not frm or not to:
            continue
        if frm[0] != to[0]:
            ev = top_edges[(frm[0], to[0])]
        else:
            # the deepest folder holding both; an edge between its two children that lead to
            # them (a path to the folder itself, its mod.rs, is no edge)
            k = 0
            while k < min(len(frm), len(to)) and frm[k] == to[k]:
                k += 1
            if k >= len(frm) or k >= len(to):
                continue
            ev = sub_edges[frm[:k]][(frm[k], to[k])]
        if (rel, line, text) not in ev:
            ev.append((rel, line, text))
    clap = [(mod, rel, line, text) for mod, rel, line, text in crate.clap_uses()]
    return crate, top_nodes, folders, all_folders, top_edges, sub_edges, clap


def adjacency(edges):
    adj = defaultdict(set)
    for a, b in edges:
        adj[a].add(b)
    return adj


def cycle_edges(comps, edges):
    inside = set()
    for comp in comps:
        s = set(comp)
        inside |= {(a, b) for (a, b) in edges if a in s and b in s}
    return inside


def fmt_evidence(ev, limit):
    shown = ev if limit is None else ev[:limit]
    lines = [f"      {rel}:{line}: {text}" for rel, line, text in shown]
    if limit is not None and len(ev) > limit:
        lines.append(f"      … and {len(ev) - limit} more")
    return "\n".join(lines)


def write_dot(path, crate, top_nodes, folders, top_edges, sub_edges, bad_top, bad_sub):
    def nid(*parts):
        return '"' + "::".join(parts) + '"'

    def colour(top):
        if top in CORE:
            return "#dbeafe"
        if top in OUTER:
            return "#fde68a"
        return "#e5e7eb"

    out = ["digraph lieux_modules {",
           '  graph [rankdir=LR, compound=true, fontname="Helvetica", fontsize=11,'
           ' label="lieux: module graph (scripts/modgraph.py). Blue: core; yellow: outer;'
           ' red edges: core → outer or inside a cycle", labelloc=t];',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
           '  edge [color="#6b7280", arrowsize=0.6];']
    anchor = {}
    for top in top_nodes:
        if top in folders:
            subs = sorted({m[1] for m in crate.modules if len(m) >= 2 and m[0] == top})
            out.append(f"  subgraph cluster_{top} {{")
            out.append(f'    label="{top}/"; style="rounded,filled"; fillcolor="{colour(top)}";'
                       ' color="#9ca3af";')
            out.append(f'    {nid(top)} [label="{top} (mod.rs)", fillcolor=white, penwidth=2];')
            for s in subs:
                out.append(f'    {nid(top, s)} [label="{s}", fillcolor=white];')
            for (a, b), ev in sorted(sub_edges.get((top,), {}).items()):
                red = ((top,), a, b) in bad_sub
                attrs = f'color="#dc2626", penwidth=2' if red else ""
                out.append(f"    {nid(top, a)} -> {nid(top, b)} [{attrs}];")
            out.append("  }")
            anchor[top] = nid(top)
        else:
            out.append(f'  {nid(top)} [fillcolor="{colour(top)}"];')
            anchor[top] = nid(top)
    for (a, b), ev in sorted(top_edges.items()):
        attrs = []
        if a in folders:
            attrs.append(f"ltail=cluster_{a}")
        if b in folders:
            attrs.append(f"lhead=cluster_{b}")
        if (a, b) in bad_top:
            attrs += ['color="#dc2626"', "penwidth=2"]
        attrs.append(f'tooltip="{len(ev)} reference(s)"')
        out.append(f"  {anchor[a]} -> {anchor[b]} [{', '.join(attrs)}];")
    out.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", default=os.path.join(here, "..", "src"), help="source folder")
    ap.add_argument("--dot", metavar="PATH", help="write the graph as Graphviz DOT")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when there is a cycle or a core → outer edge")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="list every reference of each reported edge, and every edge")
    args = ap.parse_args()

    crate, top_nodes, folders, all_folders, top_edges, sub_edges, clap = analyse(args.src)
    limit = None if args.verbose else 3

    # top-level cycles
    top_comps = [c for c in tarjan(set(top_nodes), adjacency(top_edges)) if len(c) > 1]
    top_cycle_edges = cycle_edges(top_comps, top_edges)
    # cycles inside folders
    sub_comps = []
    bad_sub = set()
    for folder in all_folders:
        edges = sub_edges.get(folder, {})
        d = len(folder)
        nodes = {m[d] for m in crate.modules if len(m) > d and m[:d] == folder}
        for comp in tarjan(nodes, adjacency(edges)):
            if len(comp) > 1:
                sub_comps.append((folder, comp))
                bad_sub |= {(folder, a, b) for (a, b) in cycle_edges([comp], edges)}
    # core → outer
    core_outer = sorted((a, b) for (a, b) in top_edges if a in CORE and b in OUTER)
    core_clap = [c for c in clap if c[0] and c[0][0] in CORE]

    n_top_edges = len(top_edges)
    n_sub_edges = sum(len(e) for e in sub_edges.values())
    print(f"{len(crate.raw)} files, {len(crate.modules)} modules, {len(top_nodes)} top-level modules "
          f"({len(all_folders)} folders, {len(folders)} at the top); edges: {n_top_edges} between top-level modules, "
          f"{n_sub_edges} between files of one folder")

    print(f"\ncycles between top-level modules (strongly connected components): {len(top_comps)}")
    for comp in top_comps:
        s = set(comp)
        loops = simple_cycles(s, adjacency(top_edges))
        print(f"  {{{', '.join(comp)}}}: {len(loops)} elementary cycle(s)")
        for loop in loops[:None if args.verbose else 5]:
            print("    loop: " + " -> ".join(loop + [loop[0]]))
        if not args.verbose and len(loops) > 5:
            print(f"    … and {len(loops) - 5} longer (--verbose lists them)")
        for (a, b), ev in sorted(top_edges.items()):
            if a in s and b in s:
                print(f"    {a} -> {b} ({len(ev)} reference(s))")
                print(fmt_evidence(ev, limit))

    print(f"\ncycles between files of one folder (mod.rs left out): {len(sub_comps)}")
    for folder, comp in sub_comps:
        s = set(comp)
        loops = simple_cycles(s, adjacency(sub_edges[folder]))
        print(f"  {'/'.join(folder)}/: {{{', '.join(comp)}}}: {len(loops)} elementary cycle(s)")
        for loop in loops:
            print("    loop: " + " -> ".join(f"{name(folder)}::{x}" for x in loop + [loop[0]]))
        for (a, b), ev in sorted(sub_edges[folder].items()):
            if a in s and b in s:
                print(f"    {name(folder)}::{a} -> {name(folder)}::{b} ({len(ev)} reference(s))")
                print(fmt_evidence(ev, limit))

    n_refs = sum(len(top_edges[e]) for e in core_outer)
    print(f"\ncore -> outer edges: {len(core_outer)} ({n_refs} reference(s)); "
          f"core uses of clap: {len(core_clap)}")
    for a, b in core_outer:
        ev = top_edges[(a, b)]
        print(f"  {a} -> {b} ({len(ev)} reference(s))")
        print(fmt_evidence(ev, limit))
    for mod, rel, line, text in core_clap:
        print(f"  {name(mod)} uses clap\n      {rel}:{line}: {text}")
    core_other = sorted((a, b) for (a, b) in top_edges
                        if a in CORE and b not in CORE and b not in OUTER)
    if core_other:
        print("  for information, core -> modules neither core nor outer: " + ", ".join(
            f"{a} -> {b} ({len(top_edges[(a, b)])})" for a, b in core_other))

    if args.verbose:
        print("\nall edges between top-level modules:")
        for (a, b), ev in sorted(top_edges.items()):
            print(f"  {a} -> {b} ({len(ev)})")
        for folder in all_folders:
            for (a, b), ev in sorted(sub_edges.get(folder, {}).items()):
                print(f"  {name(folder)}::{a} -> {name(folder)}::{b} ({len(ev)})")

    if args.dot:
        bad_top = top_cycle_edges | set(core_outer)
        write_dot(args.dot, crate, top_nodes, folders, top_edges, sub_edges, bad_top, bad_sub)
        print(f"\nwrote {args.dot}")

    failed = bool(top_comps or sub_comps or core_outer or core_clap)
    if args.check:
        print("\ncheck:", "FAILED" if failed else "ok")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    sys.exit(main())
