"""Every expected failure of every command is one line on stderr and exit code 2.

The commands are found by walking the CLI's own command tree, so a command added
later is covered without editing this file. Each gets placeholder arguments, then a
broken config file, a data directory with no store, and a missing optional package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from enrich.cli.app import app
from indexers.stores import DataDir, SqliteStore
from enrich.errors import EnrichError, MissingPackage

ROOT = Path(__file__).resolve().parents[2]
# Commands that do not need an existing store: `index` creates one, `serve` waits for
# one (answering 503), and the model and skill commands read no data directory.
CREATE_OR_WAIT = {"index", "serve"}
# Every module that defines errors (their classes register as subclasses on import).
ERROR_MODULES = ["enrich.searching", "enrich.runners", "enrich.skillset", "indexers.sources", "indexers.crackers",
                 "indexers.stores", "graph.knowledge", "skills.entity_lookup",
                 "graph.corrections", "enrich.corrections", "enrich.export", "enrich.train",
                 "enrich.server.security_keys", "indexers.stores.fields", "skills.sentence_model",
                 "enrich.eval", "indexers.stores.vectors", "skills.clip"]


def _commands(group, prefix: tuple[str, ...] = ()) -> list:
    """(path, command) for every leaf command under ``group``."""
    found = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a group of its own
            found += _commands(command, prefix + (name,))
        else:
            found.append((prefix + (name,), command))
    return found


COMMANDS = _commands(typer.main.get_command(app))
IDS = [" ".join(path) for path, _ in COMMANDS]


def _argv(path: tuple[str, ...], command, tmp_path: Path) -> list[str]:
    """The command with a placeholder for each required argument."""
    args = [str(tmp_path / "placeholder") if p.name in ("source", "file")
            else "1" if p.name == "ids" else "x"
            for p in command.params if p.param_type_name == "argument" and p.required
            for _ in range(max(p.nargs, 1))]
    return [*path, *args]


def _one_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_the_walk_finds_every_command():
    assert {"index", "search", "status", "serve", "skills", "entities",
            "graph neighbors", "graph evidence", "graph path", "graph export",
            "models list", "models pull"} <= set(IDS)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_a_missing_config_file_fails_every_command_in_one_line(path, command, tmp_path):
    empty = tmp_path / "data"
    empty.mkdir()
    argv = _argv(path, command, tmp_path)
    if any(p.name == "data" for p in command.params):
        argv += ["--data", str(empty)]  # the flag does not excuse a broken config
    result = CliRunner().invoke(app, argv, env={"ENRICH_CONFIG": str(tmp_path / "missing.yaml")})
    line = _one_line(result)
    assert line.startswith("error E001:") and "missing.yaml" in line, line


def test_help_works_with_a_broken_config(tmp_path):
    result = CliRunner().invoke(app, ["status", "--help"],
                                env={"ENRICH_CONFIG": str(tmp_path / "missing.yaml")})
    assert result.exit_code == 0 and "--data" in result.output


STORE_COMMANDS = [(p, c) for p, c in COMMANDS
                  if p[0] not in CREATE_OR_WAIT and any(x.name == "data" for x in c.params)]


@pytest.mark.parametrize(("path", "command"), STORE_COMMANDS,
                         ids=[" ".join(p) for p, _ in STORE_COMMANDS])
def test_a_data_directory_without_a_store_fails_in_one_line(path, command, tmp_path):
    empty = tmp_path / "data"
    empty.mkdir()
    result = CliRunner().invoke(app, [*_argv(path, command, tmp_path), "--data", str(empty)])
    line = _one_line(result)
    assert line.startswith("error E002:") and str(empty) in line, line
    assert list(empty.iterdir()) == []  # nothing was created on the way


@pytest.mark.parametrize(("text", "says"), [
    ("data: [unclosed\n", "cannot be read"),
    ("- data\n", "must be a mapping of settings"),
    ("colour: blue\n", "unknown settings ['colour']"),
    ("workers: [1, 2]\n", "workers=[1, 2] is not valid"),
    ("workers: many\n", "workers='many' is not valid"),
])
def test_a_malformed_config_file_is_one_line(tmp_path, text, says):
    bad = tmp_path / "enrich.yaml"
    bad.write_text(text)
    result = CliRunner().invoke(app, ["index", str(tmp_path), "--data", str(tmp_path / "d")],
                                env={"ENRICH_CONFIG": str(bad)})
    line = _one_line(result)
    assert line.startswith("error E001:") and says in line, line
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(("module", "argv", "extra"), [
    ("elasticsearch", ["search", "x", "--index", "es+http://127.0.0.1:9/docs"], "es"),
    ("ray", ["index", "{source}", "--engine", "ray", "--workers", "0"], "ray"),
    ("elasticsearch", ["serve", "--index", "es+http://127.0.0.1:9/docs"], "es"),
], ids=["elasticsearch", "ray", "serve-elasticsearch"])
def test_a_missing_optional_package_names_its_extra(module, argv, extra, tmp_path, monkeypatch):
    import uvicorn
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served anyway"))
    source = tmp_path / "docs"
    source.mkdir()
    (source / "a.txt").write_text("Ada Lovelace wrote notes.")
    data = tmp_path / "data"
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    argv = [a.replace("{source}", str(source)) for a in argv] + ["--data", str(data)]
    if argv[0] == "search":  # an (empty) store, so that only the package is missing
        data.mkdir()
        SqliteStore(DataDir(data).store).close()
    result = CliRunner().invoke(app, argv)
    line = _one_line(result)
    assert line.startswith("error E003:"), line
    assert f"enrich[{extra}]" in line, line  # the extra survives (no Rich markup)


def test_every_error_class_has_its_own_code():
    for module in ERROR_MODULES:
        import_module(module)
    seen: dict[str, str] = {}
    pending = [EnrichError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("tests."):
            continue
        assert "code" in vars(cls), f"{cls.__module__}.{cls.__qualname__} has no code of its own"
        assert cls.code not in seen, f"{cls.__qualname__} and {seen[cls.code]} share {cls.code}"
        seen[cls.code] = cls.__qualname__
    assert MissingPackage.code in seen


def test_the_installed_entry_point_maps_errors_too(tmp_path):
    """Through the real `enrich` process: one line, exit 2, no traceback."""
    env = {**os.environ, "ENRICH_CONFIG": str(tmp_path / "missing.yaml")}
    done = subprocess.run([sys.executable, "-m", "enrich", "status"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error E001:"), done.stderr
