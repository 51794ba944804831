"""The web page's files, checked without a browser so that a broken split fails fast.

The page is plain ES modules loaded by the browser itself (no build step), so nothing
else checks, before a browser runs, that each module is small, that every import names
a file that exists and a name that file exports, that the modules form no circle, that
every module and every export is used, that the server sends them as JavaScript (a module script with
another MIME type is refused), and that the wheel ships them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.server.app import STATIC

MAX_LINES = 400
ENTRY = "app.js"
IMPORT = re.compile(r"^\s*(?:import|export)\s+(?:(?P<what>[\w*${}\s,]+?)\s+from\s+)?"
                    r"[\"'](?P<spec>[^\"']+)[\"']", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"\bimport\s*\(")
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+)",
                    re.MULTILINE)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[2]

MODULES = sorted(STATIC.glob("*.js"))
SHEETS = sorted(STATIC.glob("*.css"))


def imports(module: Path) -> list[tuple[str, str | None]]:
    """(specifier, imported clause) of each static import or re-export of a module."""
    return [(m["spec"], m["what"]) for m in IMPORT.finditer(module.read_text())]


def exports(module: Path) -> set[str]:
    text = module.read_text()
    names = set(EXPORT.findall(text))
    for group in EXPORT_LIST.findall(text):
        names.update(part.split(" as ")[-1].strip() for part in group.split(",") if part.strip())
    return names


def imported_names(clause: str | None, importer: Path) -> set[str]:
    """The names a clause takes from its module: `{ a, b as c }` gives a and b; for
    `* as ns`, every `ns.member` the importer uses."""
    if not clause:
        return set()
    names: set[str] = set()
    named = re.search(r"\{([^}]*)\}", clause)
    if named:
        names.update(part.split(" as ")[0].strip() for part in named[1].split(",") if part.strip())
    star = re.search(r"\*\s+as\s+([\w$]+)", clause)
    if star:
        names.update(re.findall(rf"(?<![\w$.])\b{re.escape(star[1])}\.([\w$]+)", code(importer)))
    return names


def code(module: Path) -> str:
    """The module's text without its comments and import statements."""
    text = re.sub(r"/\*.*?\*/", "", module.read_text(), flags=re.DOTALL)
    return IMPORT.sub("", re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))


def target(module: Path, spec: str) -> Path:
    return (module.parent / spec).resolve()


def graph() -> dict[str, list[str]]:
    return {m.name: [target(m, spec).name for spec, _ in imports(m)] for m in MODULES}


def test_there_are_modules_and_the_entry_is_one():
    assert len(MODULES) > 5 and (STATIC / ENTRY) in MODULES


@pytest.mark.parametrize("path", MODULES + SHEETS, ids=lambda p: p.name)
def test_each_file_is_small_enough_to_read_at_once(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines; split it (limit {MAX_LINES})"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_import_is_a_relative_js_file_that_exists(module):
    assert not DYNAMIC_IMPORT.search(module.read_text()), f"{module.name}: use static imports"
    for spec, _ in imports(module):
        assert spec.startswith("./") and spec.endswith(".js"), \
            f"{module.name} imports {spec!r}: only relative paths to .js files (no build step, no CDN)"
        path = target(module, spec)
        assert path.parent == STATIC.resolve() and path.is_file(), \
            f"{module.name} imports {spec!r}, which is not a file in {STATIC}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_imported_name_is_exported(module):
    for spec, clause in imports(module):
        path = target(module, spec)
        if not path.is_file():
            continue  # test_every_import_is_a_relative_js_file_that_exists says so
        missing = imported_names(clause, module) - exports(path)
        assert not missing, f"{module.name} imports {sorted(missing)} from {spec}, which does not export them"


def test_every_export_is_imported_somewhere():
    used: dict[str, set[str]] = {}
    for module in MODULES:
        for spec, clause in imports(module):
            used.setdefault(target(module, spec).name, set()).update(imported_names(clause, module))
    for module in MODULES:
        unused = exports(module) - used.get(module.name, set())
        assert not unused, f"{module.name} exports {sorted(unused)}, which no module imports"


def test_the_modules_import_no_circle():
    edges = graph()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]):
        assert name not in path, "import circle: " + " -> ".join(path + (name,))
        if name in done:
            return
        for other in edges.get(name, ()):
            visit(other, path + (name,))
        done.add(name)

    for name in edges:
        visit(name, ())


def test_the_page_loads_the_entry_and_every_sheet_and_every_module_is_used():
    page = (STATIC / "index.html").read_text()
    assert re.findall(r'<script type="module" src="/static/([^"]+)"></script>', page) == [ENTRY]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script: the CSP forbids it"
    assert not re.search(r"\son[a-z]+\s*=", page), "no inline handler: the CSP forbids it"
    linked = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)">', page)
    assert sorted(linked) == sorted(s.name for s in SHEETS)
    edges, reached, todo = graph(), set(), [ENTRY]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(edges.get(name, ()))
    unused = {m.name for m in MODULES} - reached
    assert not unused, f"no module imports {sorted(unused)}: delete it or import it"


def test_the_server_sends_modules_as_javascript_and_sheets_as_css(tmp_path):
    with TestClient(create_app(tmp_path)) as client:
        for path in MODULES + SHEETS:
            answer = client.get(f"/static/{path.name}")
            assert answer.status_code == 200, path.name
            kind = answer.headers["content-type"].split(";")[0]
            assert kind == ("text/javascript" if path.suffix == ".js" else "text/css"), (path.name, kind)
            assert answer.text == path.read_text()


def test_the_package_ships_every_static_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["enrich"]
    package = STATIC.parent.parent
    for path in STATIC.rglob("*"):
        if path.is_file():
            rel = PurePosixPath(path.relative_to(package).as_posix())
            assert any(len(rel.parts) == len(PurePosixPath(g).parts) and rel.match(g) for g in globs), \
                f"{rel} is not in pyproject's package-data {globs}: a wheel would lack it"


def test_the_vendored_graph_library_is_listed_with_its_hash_and_licence_and_loaded_first():
    """static/vendor/ holds third-party files unchanged: each script is in its README's
    table with the sha256 it has, has its licence beside it, and is loaded by the page as
    a classic script before the entry module (which needs its globals)."""
    import hashlib

    vendor = STATIC / "vendor"
    readme = (vendor / "README.md").read_text()
    scripts = sorted(p.name for p in vendor.glob("*.js"))
    assert scripts, "no vendored scripts"
    for name in scripts:
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        row = next((line for line in readme.splitlines() if line.startswith(f"| {name} |")), None)
        assert row and digest in row, f"{name}: not in vendor/README.md with sha256 {digest}"
        licence = re.search(r"MIT, (LICENSE-[\w-]+\.txt)", row)
        assert licence and (vendor / licence[1]).is_file(), f"{name}: its licence file is missing"
    page = (STATIC / "index.html").read_text()
    loaded = re.findall(r'<script defer src="/static/vendor/([^"]+)"></script>', page)
    assert sorted(loaded) == scripts
    assert page.index("/static/vendor/") < page.index('<script type="module"')
