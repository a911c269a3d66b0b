"""The library's shape: imports point one way (core -> data -> models -> compression ->
runtime -> zoo | attacks -> evaluate -> studies -> book -> cli), with no cycle, and the zoo
loads without any study module or ART."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lib" / "compression_robustness"
ROOT = "compression_robustness"

#: layer of each top-level part; a module may import its own layer's modules or lower ones
LAYERS = {
    "core": 0,
    "data": 1,
    "models": 2,
    "compression": 3,
    "runtime": 4,
    "zoo": 5,
    "attacks": 5,
    "evaluate": 6,
    "studies": 7,
    "book": 8,
    "cli": 9,
    "__main__": 10,
}
#: same-layer parts that must not import each other
PEERS = {("zoo", "attacks"), ("attacks", "zoo")}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every library module that ``path`` imports, anywhere in the file (function-level
    imports included, so that a lazy import cannot hide a cycle)."""
    name = module_name(path)
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` (its package's
            # ``__init__`` is a parent, not an import); ``from mod import name`` imports ``mod``
            subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in known]
            targets = subs if len(subs) == len(node.names) else [mod, *subs]
        else:
            continue
        for t in targets:
            if t.startswith(ROOT) and t in known and t != name:
                out.add(t)
    return out


#: packages that import every one of their modules by discovery (``pkgutil``), so that a
#: module registers its entries by being there; the graph counts those imports too
DISCOVERING = {f"{ROOT}.attacks"}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    g = {m: imports_of(p, known) for m, p in mods.items()}
    for pkg in DISCOVERING:
        g[pkg] |= {m for m in known if m.rsplit(".", 1)[0] == pkg}
    return g


def part(module: str) -> str | None:
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else None


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_a_discovering_package_imports_each_of_its_modules():
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    for pkg in DISCOVERING:
        out = subprocess.run(
            [sys.executable, "-c", code, pkg], capture_output=True, text=True, check=True
        ).stdout.split()
        own = {m for m in modules() if m.rsplit(".", 1)[0] == pkg}
        assert own and own <= set(out), f"{pkg} does not import {sorted(own - set(out))}"


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in modules() if part(m) is not None and part(m) not in LAYERS]
    assert not unplaced, f"modules outside the layers {sorted(LAYERS)}: {unplaced}"


def test_imports_point_one_way():
    bad = []
    for mod, targets in graph().items():
        src = part(mod)
        if src is None:
            continue
        for t in targets:
            dst = part(t)
            if dst is None or dst == src:
                continue
            if LAYERS[dst] > LAYERS[src] or (src, dst) in PEERS:
                bad.append(f"{mod} -> {t}")
    assert not bad, "imports against the layer order:\n" + "\n".join(sorted(bad))


def test_studies_do_not_import_each_other():
    bad = []
    for mod, targets in graph().items():
        bits = mod.split(".")
        if len(bits) < 4 or bits[1] != "studies":
            continue
        for t in targets:
            tb = t.split(".")
            if len(tb) >= 4 and tb[1] == "studies" and tb[2] != bits[2]:
                bad.append(f"{mod} -> {t}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("compression_robustness.zoo", ("compression_robustness.studies", "art")),
        ("compression_robustness.models", ("compression_robustness.compression", "art")),
        ("compression_robustness.core.params", ("torch", "compression_robustness.zoo")),
    ],
)
def test_importing_a_low_layer_loads_nothing_above_it(module, forbidden):
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, module], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = [m for m in out if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert not loaded, f"importing {module} loads {loaded[:8]}"
