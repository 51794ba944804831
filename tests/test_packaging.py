"""What users install: the sdist and the wheel built from it carry the code and the
files it reads at run time (the default skillset, word lists, the web page, the
schema the README quotes), the licence and the entry points. `.ci/check-install`
goes further: it installs the wheel into a fresh virtual environment and indexes."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # the sdist, then the wheel from the unpacked sdist (what `python -m build` does):
    # a file missing from the sdist is missing from the wheel too
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    return out


def _data_files() -> set[str]:
    """The non-Python files the packages read at run time, from the checkout."""
    found = {"enrich/default_skillset.yaml", "enrich/server/API.md", "indexers/stores/SCHEMA.md"}
    found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "enrich/server/static").rglob("*")
              if p.is_file()}  # the page and its vendored graph library (static/vendor/)
    found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "skills/data").iterdir()}
    return found


def test_the_wheel_carries_code_data_licence_and_entry_points(dist):
    wheel, = dist.glob("enrich-*-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _data_files() <= names, sorted(_data_files() - names)
    code = {p.relative_to(ROOT).as_posix() for package in ("enrich", "skills", "indexers", "graph")
            for p in (ROOT / package).rglob("*.py")}
    assert code <= names, sorted(code - names)
    assert not any(name.startswith(("tests/", "bench/", "samples/")) for name in names)
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in names
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "enrich = enrich.cli:main" in entry_points
    assert "entities = skills.entities:EntitySkill" in entry_points


def test_the_sdist_builds_the_same_packages(dist):
    sdist, = dist.glob("enrich-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE"} <= names
    assert _data_files() <= names, sorted(_data_files() - names)
