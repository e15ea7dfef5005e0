"""The architecture of design.md §2, checked: imports flow one way between layers, no import
hides in a function, no code dispatches on a primitive's name, and every rule table covers
the primitives it must (a missing rule is a failing test, not a surprise)."""

import ast
import pathlib

import pytest

import lintra
import lintra.scipy  # noqa: F401  (its primitives join the rule-table coverage checks)
from lintra.ad.linearity import linearity_rules
from lintra.ad.partial_eval import partial_eval_rules
from lintra.ad.rules import jvp_rules, linear_positions, transpose_rules
from lintra.ad.unzip import unzip_rules
from lintra.batching.core import vmap_rules
from lintra.core.primitive import registry

SRC = pathlib.Path(lintra.__file__).parent

# What each layer may import (besides itself). Top-level modules (lintra/*.py) are the public
# API and may import anything.
ALLOWED = {
    "core": set(),
    "ad": {"core"},
    "batching": {"core"},
    "backends": {"core"},
    "ops": {"core", "ad", "batching", "backends"},
    "numpy": {"core", "ad", "batching", "ops"},
    "scipy": {"core", "ad", "batching", "ops", "numpy"},
    "eager": {"core", "ad", "batching", "ops", "numpy"},
    # function values sit on top of the public API (they use grad, jvp, vmap themselves)
    "functional": {"core", "ad", "batching", "ops", "numpy", "eager", "api"},
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom, known: set[str]) -> list[str]:
    """The lintra modules an ``import`` statement reads."""
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("lintra"):
        return []
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in known else target)
    return out


def _imports():
    """(module, imported module, inside a function?, line) for every import of lintra code."""
    mods = _modules()
    known = set(mods)
    edges = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        is_pkg = path.name == "__init__.py"
        in_function = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                in_function.update(id(n) for n in ast.walk(fn) if n is not fn)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(mod, is_pkg, node, known)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("lintra")]
            else:
                continue
            for t in targets:
                edges.append((mod, t, id(node) in in_function, node.lineno))
    return edges


def _layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "api"


def test_imports_flow_one_way_between_layers():
    upward = []
    for src, dst, _, line in _imports():
        a, b = _layer(src), _layer(dst)
        if a != b and a != "api" and b not in ALLOWED[a]:
            upward.append(f"{src}:{line} imports {dst} ({a} -> {b})")
        if a == "api" and b == "functional" and src != "lintra":
            upward.append(f"{src}:{line} imports {dst} (the API below lintra.functional)")
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def test_no_imports_inside_functions():
    hidden = [f"{src}:{line} imports {dst}" for src, dst, inside, line in _imports() if inside]
    assert not hidden, "imports hidden inside functions:\n" + "\n".join(hidden)


def test_module_imports_have_no_cycles():
    graph: dict[str, set[str]] = {}
    for src, dst, inside, _ in _imports():
        # a package's __init__ importing its own submodules is how it re-exports them
        if not inside and src != dst and not dst.startswith(src + "."):
            graph.setdefault(src, set()).add(dst)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m):
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_import_checks_can_fail():
    """The checks above read real edges: the layers' known imports are found."""
    edges = {(s, d) for s, d, _, _ in _imports()}
    assert ("lintra.ops.elementwise", "lintra.ad.rules") in edges
    assert ("lintra.ops.structure", "lintra.ops.elementwise") in edges
    assert _layer("lintra.ops.call") == "ops" and _layer("lintra.api") == "api"
    assert "numpy" not in ALLOWED["ad"] and "eager" not in ALLOWED["numpy"]


def test_no_dispatch_on_primitive_names():
    """``x.name == "mul"`` (or ``in ("mul", ...)``) instead of a table keyed by the primitive."""
    found = []
    for mod, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            names = any(isinstance(s, ast.Attribute) and s.attr == "name" for s in sides)
            strings = any(isinstance(s, ast.Constant) and isinstance(s.value, str)
                          or isinstance(s, (ast.Tuple, ast.Set, ast.List)) and any(
                              isinstance(e, ast.Constant) and isinstance(e.value, str)
                              for e in s.elts) for s in sides)
            if names and strings:
                found.append(f"{mod}:{node.lineno}")
    assert not found, "dispatch on a name string at " + ", ".join(found)


# ---------------------------------------------------------------- rule table coverage

PRIMS = sorted(registry.values(), key=lambda p: p.name)


def _missing(table, prims=PRIMS):
    return sorted(p.name for p in prims if p not in table)


def test_every_primitive_has_a_jvp_rule():
    # custom_lin is the linear half of a custom_vjp: it exists only after linearization
    assert _missing(jvp_rules) == ["custom_lin"]


def test_linear_primitives_have_transpose_rules():
    assert _missing(transpose_rules, [p for p in PRIMS if p in linear_positions]) == []
    # a transpose rule without linear positions: higher-order primitives, whose linearity is
    # checked by recursing into their sub-programs
    no_positions = [p for p in PRIMS if p in transpose_rules and p not in linear_positions]
    assert sorted(p.name for p in no_positions) == ["call", "cond", "scan", "while_loop"]
    assert _missing(linearity_rules, no_positions) == ["while_loop"]  # never linear: an error


HIGHER_ORDER = [p for p in PRIMS if p.higher_order]


def test_higher_order_primitives_split_their_programs():
    names = sorted(p.name for p in HIGHER_ORDER)
    assert names == ["call", "cond", "custom_jvp_call", "custom_vjp_call", "scan", "while_loop"]
    # custom rules are applied by their JVP rules before any unzip: their equations never
    # reach partial evaluation with unknown inputs
    assert _missing(unzip_rules, HIGHER_ORDER) == ["custom_jvp_call", "custom_vjp_call"]
    assert _missing(partial_eval_rules, HIGHER_ORDER) == ["custom_jvp_call", "custom_vjp_call"]


def test_every_primitive_has_a_batching_rule():
    assert _missing(vmap_rules) == []


@pytest.mark.parametrize("table", [jvp_rules, transpose_rules, linear_positions, unzip_rules,
                                   partial_eval_rules, linearity_rules, vmap_rules])
def test_tables_are_keyed_by_registered_primitives(table):
    assert all(registry.get(p.name) is p for p in table)
