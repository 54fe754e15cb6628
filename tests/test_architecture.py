"""The package has no import cycles, counting function-level imports and the imports the code makes
by name (the task registry loads every benchmark's module, the CLI its subcommands)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def install_roots() -> dict[str, str]:
    """setup.py's ROOTS (package -> folder), read without running setup()."""
    for node in ast.parse((REPO / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ROOTS":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no ROOTS")


def modules(repo: Path, roots: dict[str, str]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the package folders."""
    out = {}
    for package, folder in roots.items():
        for f in sorted((repo / folder).rglob("*.py")):
            parts = list(f.relative_to(repo / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = f
    return out


def import_graph(mods: dict[str, Path], prefix: str) -> dict[str, set[str]]:
    """module -> modules it imports anywhere in its body (top level or inside functions)."""

    def owner(name: str) -> str | None:  # the module a dotted import name lands in
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                target = owner(name) if name.startswith(prefix) else None
                # importing a package's own submodule from inside it is not an edge back to the parent
                if target and target != mod and not mod.startswith(target + "."):
                    edges[mod].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    nodes = set(edges) | {w for ws in edges.values() for w in ws}
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
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
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
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def project_graph() -> dict[str, set[str]]:
    mods = modules(REPO, install_roots())
    edges = import_graph(mods, "videor2")
    # imports made by name: the registry loads every benchmark folder's utils, the CLI its subcommands
    edges["videor2.tasks.registry"] |= {m for m in mods if m.startswith("videor2.tasks.") and m.endswith(".utils")}
    from videor2.cli import SUBCOMMANDS

    edges["videor2.cli"] |= {module for module, _ in SUBCOMMANDS.values()}
    return edges


def test_no_import_cycles():
    found = cycles(project_graph())
    assert not found, "import cycles (function-level imports included):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_graph_sees_the_imports_that_matter():
    edges = project_graph()
    # a function-level import (diagnose imports lmms_logs inside generate) and a by-name one
    assert "videor2.lmms_logs" in edges["videor2.diagnose"]
    assert "videor2.tasks.mvbench.utils" in edges["videor2.tasks.registry"]
    assert "videor2.tasks.common.spec" in edges["videor2.tasks.mvbench.utils"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import g\n\ndef f():\n    return g()\n")
    (pkg / "b.py").write_text("def g():\n    from pkg import a  # hidden in a function\n    return a\n")
    (pkg / "c.py").write_text("from . import a\n")
    edges = import_graph(modules(tmp_path, {"pkg": "pkg"}), "pkg")
    assert cycles(edges) == [["pkg.a", "pkg.b"]]
