"""Archives: members become child documents, cracked recursively by the normal crackers,
within the limits; bad archives end as a document with warnings or a CrackError with
the reason (indexers/crackers/archive.py, containers.py)."""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest

from enrich.testing import container_factories as cf
from enrich.testing import factories
from indexers.crackers import Blob, CrackError, crack
from indexers.crackers.archive import ENCRYPTED
from indexers.crackers.containers import Limits, safe_path
from indexers.crackers.sniff import sniff

URI = "file:///data/box.zip"


def cracked(data: bytes, name: str = "box.zip", uri: str = URI) -> dict[str, dict]:
    return {doc["uri"]: doc for doc in crack(Blob(uri=uri, name=name, data=data))}


@pytest.fixture
def pdf_bytes(tmp_path):
    return factories.text_pdf(tmp_path / "a.pdf", ["The harbour master signed."]).read_bytes()


def test_zip_with_a_pdf_a_text_and_a_nested_zip(pdf_bytes):
    inner = cf.zip_bytes({"deep/notes.md": b"# Tide tables\n\nLow water at noon.\n"})
    docs = cracked(cf.zip_bytes({"docs/a.pdf": pdf_bytes, "readme.txt": b"Read me first.",
                                 "inner.zip": inner}))
    assert list(docs) == [URI, f"{URI}#member=docs/a.pdf", f"{URI}#member=readme.txt",
                          f"{URI}#member=inner.zip",
                          f"{URI}#member=inner.zip&member=deep/notes.md"]
    parent = docs[URI]
    assert parent["content"] == "docs/a.pdf\nreadme.txt\ninner.zip"
    assert parent["metadata"]["archive_format"] == "zip"
    assert parent["metadata"]["member_count"] == 3 and parent["warnings"] == []
    pdf = docs[f"{URI}#member=docs/a.pdf"]
    assert "harbour master" in pdf["content"]
    assert pdf["metadata"]["content_type"] == "application/pdf"
    assert pdf["metadata"]["parent"] == URI and pdf["metadata"]["path"] == "docs/a.pdf"
    assert pdf["metadata"]["file_name"] == "a.pdf"
    assert pdf["metadata"]["modified"].startswith("2024-05-01T12:00")
    notes = docs[f"{URI}#member=inner.zip&member=deep/notes.md"]
    assert notes["metadata"]["parent"] == f"{URI}#member=inner.zip"
    assert notes["metadata"]["title"] == "Tide tables"


@pytest.mark.parametrize("compression, fmt", [("gz", "tar.gzip"), ("bz2", "tar.bzip2"),
                                              ("xz", "tar.xz"), ("", "tar")])
def test_tar_in_every_compression(compression, fmt):
    data = cf.tar_bytes({"a/one.txt": b"first member", "two.md": b"# Two\n"}, compression)
    uri = "file:///data/t.tar"
    docs = cracked(data, "t.tar", uri)
    assert docs[uri]["metadata"]["archive_format"] == fmt
    assert docs[f"{uri}#member=a/one.txt"]["content"] == "first member"
    assert docs[f"{uri}#member=two.md"]["metadata"]["path"] == "two.md"


def test_a_gzip_that_is_not_a_tar_holds_one_file():
    import gzip
    uri = "file:///data/notes.txt.gz"
    docs = cracked(gzip.compress(b"Compressed words."), "notes.txt.gz", uri)
    assert docs[f"{uri}#member=notes.txt"]["content"] == "Compressed words."


def test_sniffing_tells_archives_and_office_files_apart(tmp_path):
    assert sniff(cf.zip_bytes({"a.txt": b"x"}), "a.bin") == "application/zip"
    docx = factories.docx(tmp_path / "m.docx", ["Hello"]).read_bytes()
    assert crack(Blob(uri="file:///m.zip", name="m.zip", data=docx))[0]["metadata"][
        "content_type"].endswith("wordprocessingml.document")
    assert sniff(cf.tar_bytes({"a": b"x"}, ""), "a") == "application/x-tar"
    assert sniff(cf.tar_bytes({"a": b"x"}, "gz"), "a") == "application/gzip"
    assert sniff(cf.tar_bytes({"a": b"x"}, "bz2"), "a") == "application/x-bzip2"
    assert sniff(cf.tar_bytes({"a": b"x"}, "xz"), "a") == "application/x-xz"


def test_a_truncated_zip_fails_with_the_reason():
    data = cf.zip_bytes({"a.txt": b"some text " * 100})
    with pytest.raises(CrackError, match="^unreadable zip: "):
        crack(Blob(uri=URI, name="box.zip", data=data[: len(data) // 2]))


def test_an_encrypted_member_is_left_out_with_the_reason():
    data = cf.encrypted_zip({"open.txt": b"open words", "secret.txt": b"hidden words"},
                            {"secret.txt"})
    docs = cracked(data)
    assert f"{URI}#member=open.txt" in docs and f"{URI}#member=secret.txt" not in docs
    assert docs[URI]["warnings"] == [f"secret.txt: {ENCRYPTED}"]


@pytest.mark.parametrize("lie", [False, True])
def test_a_zip_bomb_fails_quickly_without_the_memory(lie):
    bomb = cf.zip_bomb(64 << 20, lie=lie)
    data = cf.zip_bytes({"ok.txt": b"fine", "bomb.zip": bomb})
    tracemalloc.start()
    started = time.perf_counter()
    docs = cracked(data)
    elapsed, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert f"{URI}#member=ok.txt" in docs
    nested = docs[f"{URI}#member=bomb.zip"]
    assert f"{URI}#member=bomb.zip&member=zeros.txt" not in docs
    (warning,) = nested["warnings"]
    expected = "Bad CRC-32" if lie else "possible zip bomb: declares 67,108,864 bytes"
    assert warning.startswith("zeros.txt: ") and expected in warning
    assert peak < 16 << 20, peak  # never the 64 MB unpacked
    assert elapsed < 30  # generous: a bomb is refused before (or soon after) reading


def test_a_member_over_the_ratio_is_refused_while_reading():
    import io

    from indexers.crackers.containers import LimitExceeded, Member, _Budget, read_member
    member = Member("x", open=lambda: io.BytesIO(bytes(8 << 20)), size=None, packed=1000)
    with pytest.raises(LimitExceeded, match="possible zip bomb: unpacks to 2,097,152 bytes"):
        read_member(member, _Budget(Limits()))


def test_path_traversal_names_stay_inside_and_never_collide():
    assert safe_path("../../etc/passwd") == "etc/passwd"
    assert safe_path("/abs/x.txt") == "abs/x.txt"
    assert safe_path("C:\\Windows\\win.ini") == "Windows/win.ini"
    assert safe_path("a/./b/../c\x00.txt") == "a/b/c.txt"
    data = cf.zip_bytes({"../../etc/passwd": b"one", "etc/passwd": b"two", "/etc/passwd": b"3"})
    docs = cracked(data)
    paths = [doc["metadata"].get("path") for doc in docs.values()][1:]
    assert paths == ["etc/passwd", "etc/passwd~2", "etc/passwd~3"]
    assert all(uri.startswith(URI + "#member=etc/") for uri in list(docs)[1:])
    assert any("'../../etc/passwd' is unsafe" in w for w in docs[URI]["warnings"])


def test_nesting_deeper_than_the_limit_is_listed_not_opened():
    docs = cracked(cf.nested_zip(5))
    depth = Limits().max_depth
    assert len(docs) == depth + 1  # the file and 3 nested zips; the 4th's members unopened
    deepest = list(docs.values())[-1]
    assert deepest["content"] == "level5.zip"
    assert deepest["warnings"] == [f"nested deeper than {depth} containers: members listed, "
                                   "not opened"]
    assert not any("leaf.txt" in uri for uri in docs)


def test_member_limit_and_failing_members_are_warnings_on_the_parent():
    from indexers.crackers.limits import LIMITS
    data = cf.zip_bytes({"a.txt": b"a", "b.bin": b"\x00\x01\x02", "c.txt": b"c", "d.txt": b"d"})
    docs = {doc["uri"]: doc for doc in crack(Blob(uri=URI, name="box.zip", data=data,
                                                  extra={LIMITS: Limits(max_members=2)}))}
    assert list(docs)[1:] == [f"{URI}#member=a.txt"]
    assert docs[URI]["warnings"] == [
        "b.bin: unsupported content type application/octet-stream",
        "more than 2 members: the rest left out"]


def test_a_damaged_member_and_a_cut_tar_keep_the_rest():
    data = cf.zip_bytes({"a.txt": b"alpha " * 200, "b.txt": b"beta " * 200})
    start = data.index(b"b.txt") + 5  # damage b.txt's compressed bytes only
    damaged = data[:start] + b"\xff" * 6 + data[start + 6:]
    docs = cracked(damaged)
    assert f"{URI}#member=a.txt" in docs
    assert docs[URI]["warnings"][0].startswith("b.txt: cannot be read (")
    tar = cf.tar_bytes({"a.txt": b"alpha" * 300, "b.txt": b"beta" * 300}, "")
    uri = "file:///t.tar"
    docs = cracked(tar[:2048 + 200], "t.tar", uri)  # cut inside the second header
    assert f"{uri}#member=a.txt" in docs
    assert docs[uri]["warnings"] == ["archive damaged after 2,048 bytes: the last 200 bytes"
                                     " not read"]


def test_an_office_zip_never_goes_to_the_archive_cracker():
    damaged = cf.zip_bytes({"xl/workbook.xml": b"<x/>"})[:-30]
    blob = Blob(uri="file:///b.xlsx", name="b.xlsx", data=damaged)
    from indexers.crackers import pick_cracker
    blob.mime_type = sniff(damaged, "b.xlsx")
    picked = pick_cracker(blob)
    assert picked is None or picked.name not in ("zip", "tar")


def test_7z_members_bombs_passwords_and_damage():
    inner = cf.zip_bytes({"z.txt": b"zipped in seven"})
    uri = "file:///data/s.7z"
    data = cf.sevenzip_bytes({"docs/a.txt": b"Seven words.", "inner.zip": inner,
                              "zeros.bin": bytes(64 << 20)})
    assert sniff(data, "s") == "application/x-7z-compressed"
    docs = cracked(data, "s.7z", uri)
    assert docs[uri]["metadata"]["archive_format"] == "7z"
    assert docs[f"{uri}#member=docs/a.txt"]["content"] == "Seven words."
    assert docs[f"{uri}#member=inner.zip&member=z.txt"]["content"] == "zipped in seven"
    (warning,) = docs[uri]["warnings"]
    assert warning.startswith("zeros.bin: possible zip bomb: declares 67,108,864 bytes")
    locked = cf.sevenzip_bytes({"a.txt": b"secret"}, password="pw")
    with pytest.raises(CrackError, match=re.escape(f"7z archive {ENCRYPTED}")):
        crack(Blob(uri=uri, name="s.7z", data=locked))
    with pytest.raises(CrackError, match="^unreadable 7z: "):
        crack(Blob(uri=uri, name="s.7z", data=data[: len(data) // 2]))


def test_rows_of_a_csv_member_chain_their_fragment_and_name_their_container():
    data = cf.zip_bytes({"t/players.csv": b"player,team\nMarta Quell,Harbor\nIvo Brandt,Porto\n"})
    documents = crack(Blob(uri="file:///d/a.zip", name="a.zip", data=data, size=len(data)))
    rows = [d for d in documents if "row=" in d["uri"]]
    assert [d["uri"] for d in rows] == ["file:///d/a.zip#member=t/players.csv&row=1",
                                        "file:///d/a.zip#member=t/players.csv&row=2"]
    assert all(d["uri"].count("#") <= 1 for d in documents)
    assert {(d["metadata"]["parent"], d["metadata"]["path"]) for d in rows} == {
        ("file:///d/a.zip", "t/players.csv")}


def test_members_below_the_ratio_floor_are_held_to_a_total_of_ratio_times_the_item():
    """Members of up to 1 MiB are never judged by their own ratio: a small archive of
    many of them is held to max_ratio times its own size in all (at least 64 MiB)."""
    import zipfile
    from io import BytesIO

    from indexers.crackers.containers import TOTAL_FLOOR, allowance
    limits = Limits()
    assert allowance(10_000, limits) == TOTAL_FLOOR
    assert allowance(2 << 20, limits) == 200 << 20
    assert allowance(1 << 30, limits) == limits.max_total_bytes
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(80):  # 80 MiB of text from a zip of about 100 KB
            archive.writestr(f"m{n:02}.txt", b"harbour quay ferry " * 55_188)
    data = out.getvalue()
    assert len(data) < 1 << 20
    documents = crack(Blob(uri="file:///d/many.zip", name="many.zip", data=data,
                           size=len(data)))
    assert 1 + 60 <= len(documents) <= 1 + 64  # the rest is over the item's allowance
    assert any("what is left of the total limit" in w for w in documents[0]["warnings"])


def test_7z_extracts_only_what_fits_the_items_allowance_together():
    """py7zr unpacks the wanted members at once: each under its own limits is not
    enough, their declared sizes together must fit the item's allowance."""
    text = b"harbour quay ferry " * 55_000  # ~1 MiB each, under the ratio floor
    data = cf.sevenzip_bytes({f"m{n:02}.txt": text for n in range(80)})
    assert len(data) < 1 << 20
    tracemalloc.start()
    docs = cracked(data, "many.7z", "file:///data/many.7z")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    members = [uri for uri in docs if "#member=" in uri]
    assert 60 <= len(members) <= 64  # 64 MiB in all for an item this small
    assert any("left out: the members would unpack to more than" in w
               for w in docs["file:///data/many.7z"]["warnings"])
    assert peak < 400 << 20, peak
