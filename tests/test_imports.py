"""The import structure of koclassify (issue 21): no circles, and every import goes down the layers.

The layers are documented in docs/architecture.md; a new module must be placed in one here (the test fails
for a module no layer claims), so the picture there stays true. Imports are read from the source (AST), both
at module level and inside functions (lazy imports of heavy or optional parts), ``if TYPE_CHECKING`` blocks
excepted: a lazy import that climbs back up is a circle all the same, only hidden until it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "koclassify"

# bottom to top: a module may import its own layer (without circles) and the layers below, never above
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("koclassify.version", "koclassify.errors", "koclassify.options", "koclassify.data.options",
                    "koclassify.io", "koclassify.manifest", "koclassify.modeldir", "koclassify.metrics",
                    "koclassify.pipes")),
    ("data", ("koclassify.data", "koclassify.embed", "koclassify.samples")),
    ("decisions", ("koclassify.decide", "koclassify.metadata")),
    ("backends", ("koclassify.backends",)),
    ("model", ("koclassify.model", "koclassify.ensemble", "koclassify.engines")),
    ("applications", ("koclassify.audit", "koclassify.report", "koclassify.serve", "koclassify.cli",
                      "koclassify.__main__", "koclassify")),
]  # fmt: skip


def modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports_in(path: Path, package: str) -> list[tuple[str, bool]]:
    """(imported name, at module level) of every import statement in one file, relative ones resolved."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - child.level + 1] + ([base] if base else []))
                found.extend((f"{base}.{alias.name}", top) for alias in child.names)
            visit(child, top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def imports(known: dict[str, Path]) -> Iterator[tuple[str, str, bool]]:
    """(importer, imported, at module level) for every import of one koclassify module by another; ``from pkg
    import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``."""
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target, top in imports_in(path, package):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("koclassify") and target != name:
                yield name, target, top


def layer_of(name: str) -> int:
    best, index = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            claims = name == prefix or (prefix != "koclassify" and name.startswith(prefix + "."))
            if claims and len(prefix) > len(best):
                best, index = prefix, i
    return index


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


KNOWN = modules()
EDGES = list(imports(KNOWN))


def test_the_reader_sees_the_imports_it_should() -> None:
    """The AST reading itself: module-level, lazy and `from package import submodule` imports all count."""
    edges = {(a, b): top for a, b, top in EDGES}
    assert edges[("koclassify.model.classifier", "koclassify.decide.decision")] is True
    # lazy: scipy only when stacking
    assert edges[("koclassify.decide.calibration", "koclassify.decide.stacking")] is False
    assert edges[("koclassify.data", "koclassify.data.read")] is True


def test_no_module_level_import_circle() -> None:
    assert cycles({(a, b) for a, b, top in EDGES if top}) == []


def test_no_lazy_import_circle_either() -> None:
    """A package's ``__init__`` may hand out what its submodules build and a submodule may reach its package's
    public face lazily (``serve.ray_serve`` builds each replica's app with ``koclassify.serve.create_app``): such
    a child -> parent edge is the facade, not a circle. Every other lazy import must not climb back."""
    facade = {(a, b) for a, b, top in EDGES if not top and a.startswith(b + ".")}
    assert cycles({(a, b) for a, b, _ in EDGES} - facade) == []


def test_every_module_has_a_layer() -> None:
    assert [name for name in sorted(KNOWN) if layer_of(name) < 0] == []


def test_imports_only_go_down_the_layers() -> None:
    upward = sorted(
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, b, _ in EDGES
        if layer_of(b) > layer_of(a)
    )
    assert upward == []


def test_an_upward_import_or_a_circle_is_caught() -> None:
    """The checks fail on what they are for: a made-up edge from the data layer up to api, and a loop."""
    assert layer_of("koclassify.model.classifier") > layer_of("koclassify.data.read")
    assert cycles({("koclassify.a", "koclassify.b"), ("koclassify.b", "koclassify.a")}) == [
        ["koclassify.a", "koclassify.b"]
    ]
