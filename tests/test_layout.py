"""The code's shape: layers that import one way, no import circles, no huge modules.

Imports are read from the source (every ``import`` and ``from ... import``, inside
functions too), so a lazy import does not hide a dependency.

The layers, lowest first: ``graph`` < ``skills`` < ``indexers`` < ``enrich``. A lower
package imports nothing of a higher one, except ``enrich.errors``: the root of every
error, a leaf module that imports nothing of the project (``enrich/__init__.py`` is
lazy, so importing it loads no pipe code). ``enrich.cli`` and ``enrich.server`` are the
top: nothing but themselves and tests imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "skills", "indexers", "enrich")  # lowest first
CODE = [*PACKAGES, "bench", "samples"]
LEAF = "enrich.errors"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in PACKAGES for p in (ROOT / top).rglob("*.py")}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported name lives in (a module, or the package that
    defines the name), or None for third-party and standard-library names."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        found |= {m for n in names if (m := _resolve(n, modules)) and m != module}
    return found


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        graph.add_edges_from((module, target) for target in _imports(module, path, modules))
    return graph


def test_no_import_circle_between_modules(imports):
    circles = [c for c in nx.strongly_connected_components(imports) if len(c) > 1]
    assert not circles, [sorted(c) for c in circles]


def _folder(module: str, modules: dict[str, Path]) -> str:
    """The package folder a module belongs to (the leaf errors module counts alone)."""
    if module == LEAF:
        return LEAF
    path = modules[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def test_no_import_circle_between_folders(imports):
    modules = _modules()
    folders = nx.DiGraph()
    for a, b in imports.edges:
        fa, fb = _folder(a, modules), _folder(b, modules)
        if fa != fb and not fb.startswith(fa + "."):  # a package may use its own subpackages
            folders.add_edge(fa, fb)
    circles = [c for c in nx.strongly_connected_components(folders) if len(c) > 1]
    assert not circles, [sorted(c) for c in circles]


def test_lower_packages_never_import_higher_ones(imports):
    rank = {name: i for i, name in enumerate(PACKAGES)}
    upward = [(a, b) for a, b in imports.edges if b != LEAF
              and rank[b.split(".")[0]] > rank[a.split(".")[0]]]
    assert not upward


def test_the_errors_leaf_imports_nothing_of_the_project(imports):
    assert not list(imports.successors(LEAF))


def test_only_the_top_imports_the_cli_and_the_server(imports):
    top = ("enrich.cli", "enrich.server")
    leaks = [(a, b) for a, b in imports.edges
             if b.startswith(top) and not a.startswith(top) and a != "enrich.__main__"]
    assert not leaks


def test_no_module_over_500_lines():
    sources = [p for top in [*CODE, "tests"] for p in (ROOT / top).rglob("*.py")]
    sources += list((ROOT / "enrich" / "server" / "static").glob("*.[jc]s*"))
    long = {str(p.relative_to(ROOT)): n for p in sources
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long
