"""The container limits a run sets (``enrich index --unpack-limits``): parsed, carried on
the item's blob to every nested member and Office package, part of the cracking cache
key; and a sparse tar member judged by the bytes it stores (indexers/crackers/limits.py,
containers.py, archive.py)."""

from __future__ import annotations

import io
import sqlite3
import tarfile

import pytest
from typer.testing import CliRunner

from enrich.cache_keys import crack_key
from enrich.cli.app import app
from enrich.indexer import IndexOptions, run_index
from enrich.testing import container_factories as cf
from enrich.testing.factories import docx
from indexers.crackers import Blob, crack
from indexers.crackers.limits import LIMITS, Limits, LimitExceeded, parse_limits
from indexers.stores import DataDir


def test_parse_limits_names_units_and_defaults():
    limits = parse_limits("depth=5, member=1.5GB,ratio=200")
    assert limits == Limits(max_depth=5, max_member_bytes=int(1.5 * 2**30), max_ratio=200.0)
    assert parse_limits("total=64MB,members=20") == Limits(max_total_bytes=64 << 20,
                                                          max_members=20)
    assert parse_limits("") == Limits() and parse_limits("depth=0").max_depth == 0
    assert parse_limits(Limits(max_depth=7).describe()) == Limits(max_depth=7)


@pytest.mark.parametrize("text, says", [
    ("depth", "NAME=VALUE"), ("size=1GB", "NAME=VALUE"), ("member=lots", "size"),
    ("members=0", "at least 1"), ("depth=-1", "at least 0"), ("ratio=x", "number")])
def test_parse_limits_says_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        parse_limits(text)


def _uris(data: bytes, name: str, limits: Limits | None = None) -> list[str]:
    blob = Blob(uri=f"file:///d/{name}", name=name, data=data,
                extra={LIMITS: limits} if limits else {})
    return [doc["uri"] for doc in crack(blob)]


def test_a_blobs_limits_reach_the_members_of_its_members():
    data = cf.nested_zip(3)
    assert any("leaf.txt" in uri for uri in _uris(data, "n.zip"))  # 3 levels: opened
    shallow = _uris(data, "n.zip", Limits(max_depth=1))
    assert len(shallow) == 2 and not any("leaf.txt" in uri for uri in shallow)
    # members=N counts every entry of every level together
    flat = cf.zip_bytes({f"{n}.txt": b"words" for n in range(6)})
    assert len(_uris(flat, "f.zip", Limits(max_members=4))) == 1 + 4


def test_a_blobs_limits_reach_an_office_package(tmp_path):
    data = docx(tmp_path / "a.docx", ["a paragraph"] * 2000).read_bytes()
    assert _uris(data, "a.docx")
    with pytest.raises(LimitExceeded, match="DOCX part"):
        _uris(data, "a.docx", Limits(max_member_bytes=1024))


def test_other_limits_are_another_cracking_cache_key():
    plain = crack_key("ab", "a.zip", 10, "application/zip")
    assert crack_key("ab", "a.zip", 10, "application/zip", None) == plain
    assert crack_key("ab", "a.zip", 10, "application/zip", "depth=1") != plain


def _sparse_tar(real: int, stored: bytes = b"y" * 10) -> bytes:
    """A PAX 1.0 sparse member of ``real`` bytes that stores only ``stored`` at its end."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        layout = f"1\n{real - len(stored)}\n{len(stored)}\n".encode()
        data = layout + b"\0" * (-len(layout) % 512) + stored
        info = tarfile.TarInfo("GNUSparseFile.0/holes.bin")
        info.size = len(data)
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                            "GNU.sparse.name": "holes.bin", "GNU.sparse.realsize": str(real)}
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_sparse_tar_member_is_judged_by_the_bytes_it_stores():
    docs = crack(Blob(uri="file:///d/s.tar", name="s.tar", data=_sparse_tar(40 << 20)))
    assert len(docs) == 1  # 40 MB of holes from 10 stored bytes: not unpacked
    assert docs[0]["warnings"] == ["holes.bin: possible zip bomb: declares 41,943,040 bytes "
                                   "from 10 (ratio 4,194,304:1, limit 100:1)"]
    small = crack(Blob(uri="file:///d/t.tar", name="t.tar", data=_sparse_tar(4096)))
    # a few holes are no bomb: read (zeros are no format the crackers know)
    assert small[0]["warnings"] == ["holes.bin: unsupported content type "
                                    "application/octet-stream"]


def test_index_unpack_limits_from_the_command_line(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "n.zip").write_bytes(cf.nested_zip(3, leaf=b"the harbour master signed"))
    runner = CliRunner()
    bad = runner.invoke(app, ["index", str(folder), "--data", str(tmp_path / "x"),
                              "--unpack-limits", "depth=two"])
    assert bad.exit_code == 2 and "--unpack-limits" in bad.output
    data = tmp_path / "data"
    args = ["index", str(folder), "--data", str(data), "--workers", "0", "--skillset",
            _skillset(tmp_path)]
    shallow = runner.invoke(app, args + ["--unpack-limits", "depth=1"])
    assert shallow.exit_code == 0, shallow.output
    assert not any("leaf.txt" in uri for uri in _stored(data))
    deep = runner.invoke(app, args + ["--reindex"])  # the defaults: opened, not the cache
    assert deep.exit_code == 0, deep.output
    assert any("leaf.txt" in uri for uri in _stored(data))


def test_run_index_carries_the_limits_to_its_workers(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "f.zip").write_bytes(cf.zip_bytes({f"{n}.txt": b"words" for n in range(5)}))
    options = IndexOptions(data_dir=tmp_path / "data", workers=1, cache=False,
                           skillset=_skillset(tmp_path), unpack_limits=Limits(max_members=2))
    assert run_index(str(folder), options).status == "ok"
    assert len(_stored(tmp_path / "data")) == 1 + 2  # the zip and two of its five


def _skillset(tmp_path) -> str:
    path = tmp_path / "skillset.yaml"
    path.write_text("name: none\nskills: []\n")
    return str(path)


def _stored(data) -> list[str]:
    with sqlite3.connect(DataDir(data).store) as db:
        return [uri for (uri,) in db.execute("SELECT uri FROM documents")]
