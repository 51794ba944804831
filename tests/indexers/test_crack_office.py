"""Office crackers on files made by the tests (enrich/testing/office_factories.py): XLSX
sheets as pages, PPTX slides as pages with their pictures, DOCX pictures, and the bad
variants (truncated, password-protected, huge, legacy binary formats)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from enrich.testing import office_factories as office
from enrich.testing.factories import photo_bytes
from indexers.crackers import Blob, CrackError, crack, pick_cracker, sniff
from indexers.crackers import xls as xls_module
from indexers.crackers import xlsx as xlsx_module
from indexers.crackers.legacy import CONVERT_HINT, ENCRYPTED_MESSAGE
from indexers.crackers.sniff import DOCX, ENCRYPTED_OOXML, MSG, OLE2, PPTX, XLSB, XLSX


def blob_of(path: Path, name: str | None = None) -> Blob:
    return Blob(uri=path.as_uri(), name=name or path.name, data=path.read_bytes())


def crack_one(path: Path, name: str | None = None) -> dict:
    documents = crack(blob_of(path, name))
    assert len(documents) == 1
    return documents[0]


# ------------------------------------------------------------------- XLSX


def test_xlsx_gives_one_page_per_sheet_with_cells_as_text(tmp_path):
    path = office.xlsx(tmp_path / "budget.xlsx", {
        "Costs": [["item", "amount", "paid"], ["ferry", 12.5, True], ["harbour", 3.0, False]],
        "Dates": [["when", "what"], [datetime(2024, 3, 1), "launch"],
                  [datetime(2024, 3, 1, 9, 30), "briefing"], [date(2023, 12, 24), None, "late"]],
    }, title="Budget", author="Ana")
    doc = crack_one(path)
    assert doc["metadata"]["content_type"] == XLSX
    assert doc["metadata"]["title"] == "Budget" and doc["metadata"]["author"] == "Ana"
    assert doc["metadata"]["sheet_names"] == ["Costs", "Dates"]
    assert doc["metadata"]["page_count"] == 2
    costs, dates = doc["pages"]
    assert (costs["number"], costs["name"], dates["number"], dates["name"]) == \
        (1, "Costs", 2, "Dates")
    assert costs["text"] == "item\tamount\tpaid\nferry\t12.5\tTRUE\nharbour\t3\tFALSE"
    assert dates["text"].splitlines() == ["when\twhat", "2024-03-01\tlaunch",
                                          "2024-03-01 09:30:00\tbriefing", "2023-12-24\t\tlate"]
    assert doc["content"] == costs["text"] + "\n\n" + dates["text"]
    assert dates["offset"] == len(costs["text"]) + 2
    assert doc["warnings"] == [] and doc["images"] == []


def test_xlsx_is_sniffed_by_its_members_whatever_its_name(tmp_path):
    path = office.xlsx(tmp_path / "t.xlsx", {"S": [["a"]]})
    assert sniff(path.read_bytes(), "archive.zip") == XLSX
    blob = blob_of(path, "export.bin")
    assert crack(blob)[0]["pages"][0]["text"] == "a"
    assert pick_cracker(blob).name == "xlsx"


def test_a_sheet_over_the_cell_limit_is_truncated_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_SHEET_CELLS", 1000)
    path = office.big_xlsx(tmp_path / "big.xlsx", rows=400, columns=10)
    doc = crack_one(path)
    lines = doc["pages"][0]["text"].splitlines()
    assert len(lines) == 100 and lines[-1].startswith("r99c0\t")
    assert doc["warnings"] == ["sheet 'Big' truncated after 1000 cells"]


def test_sheets_past_the_workbook_limit_are_named_in_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_CELLS", 6)
    path = office.xlsx(tmp_path / "w.xlsx", {"A": [[1, 2], [3, 4]], "B": [[5, 6]], "C": [[7]],
                                              "D": [[8]]})
    doc = crack_one(path)
    assert [page["name"] for page in doc["pages"]] == ["A", "B"]
    assert doc["warnings"] == ["workbook truncated after 6 cells; sheets not read: 'C', 'D'"]


def test_blank_rows_and_a_forged_dimension_cost_no_more_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_SHEET_CELLS", 5000)
    path = office.xlsx(tmp_path / "gap.xlsx", {"Gap": [["top"]] + [[]] * 20000 + [["bottom"]]})
    doc = crack_one(path)
    assert doc["pages"][0]["text"] == "top"
    assert doc["warnings"] == ["sheet 'Gap' truncated after 5000 cells"]


def test_a_truncated_xlsx_fails_with_the_reason(tmp_path):
    data = office.xlsx(tmp_path / "t.xlsx", {"S": [["a", "b"]] * 50}).read_bytes()
    with pytest.raises(CrackError, match="^unreadable XLSX: "):
        crack(Blob(uri="mem://t.xlsx", name="t.xlsx", data=data[: len(data) // 2]))


# ------------------------------------------------------------------- PPTX


def test_pptx_gives_one_page_per_slide_with_titles_tables_groups_and_notes(tmp_path):
    path = office.pptx(tmp_path / "deck.pptx", [
        {"title": "Harbour plan", "lines": ["The ferry leaves at dawn.", "Gulls follow it."],
         "notes": "Mention the tides."},
        {"table": [["port", "fare"], ["North", "12"]], "grouped": "inside a group"},
    ], title="Plan")
    doc = crack_one(path)
    assert doc["metadata"]["content_type"] == PPTX
    assert doc["metadata"]["title"] == "Plan" and doc["metadata"]["page_count"] == 2
    first, second = doc["pages"]
    assert first["name"] == "Harbour plan" and "name" not in second
    assert first["text"] == ("Harbour plan\nThe ferry leaves at dawn.\nGulls follow it.\n\n"
                             "Mention the tides.")
    assert second["text"] == "port\tfare\nNorth\t12\ninside a group"
    assert doc["content"] == first["text"] + "\n\n" + second["text"]
    assert doc["warnings"] == [] and doc["images"] == []


def test_pptx_pictures_go_to_the_image_skills_with_stable_ids(tmp_path):
    photo = photo_bytes((300, 200))
    slides = [{"title": "Intro"},
              {"title": "Photo", "lines": ["Above the picture."], "picture": photo},
              {"picture": photo_bytes((20, 20), "PNG")},  # an icon: skipped, still counted
              {"picture": photo_bytes((2400, 1200), "PNG")}]
    path = office.pptx(tmp_path / "pics.pptx", slides)
    doc = crack_one(path)
    images = doc["images"]
    assert [(i["id"], i["page"], i["kind"]) for i in images] == \
        [("p2-i0", 2, "embedded"), ("p4-i0", 4, "embedded")]
    kept, big = images
    assert kept["data"] == photo and kept["format"] == "jpeg"  # a JPEG within the cap as stored
    assert (kept["width"], kept["height"]) == (300, 200)
    assert doc["pages"][1]["text"][kept["offset"]:] == ""  # after the slide's text
    assert kept["offset"] == len("Photo\nAbove the picture.") + 1
    assert (big["original_width"], big["width"], big["height"]) == (2400, 2000, 1000)
    assert Image.open(io.BytesIO(big["data"])).size == (2000, 1000)
    assert [i["id"] for i in crack_one(path)["images"]] == ["p2-i0", "p4-i0"]


def replace_member(data: bytes, prefix: str, new: bytes) -> bytes:
    """The zip ``data`` with the bytes of its member(s) under ``prefix`` replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = new if info.filename.startswith(prefix) else source.read(info)
            target.writestr(info, body)
    return out.getvalue()


def test_an_undecodable_pptx_picture_is_a_warning_not_a_failure(tmp_path):
    photo = photo_bytes((300, 200))
    data = office.pptx(tmp_path / "bad.pptx", [{"title": "T", "picture": photo}]).read_bytes()
    damaged = replace_member(data, "ppt/media/", photo[:400])  # a truncated JPEG
    doc = crack(Blob(uri="mem://bad.pptx", name="bad.pptx", data=damaged))[0]
    assert doc["pages"][0]["text"] == "T" and doc["images"] == []
    assert len(doc["warnings"]) == 1
    assert doc["warnings"][0].startswith("slide 1 image 0: could not be decoded (")


def test_a_truncated_pptx_fails_with_the_reason(tmp_path):
    data = office.pptx(tmp_path / "t.pptx", [{"title": "T"}]).read_bytes()
    assert sniff(data, "t.bin") == PPTX
    with pytest.raises(CrackError, match="^unreadable PPTX: "):
        crack(Blob(uri="mem://t.pptx", name="t.pptx", data=data[: len(data) // 2]))


# ------------------------------------------------------------- DOCX pictures


def test_docx_pictures_go_to_the_image_skills_where_they_sit(tmp_path):
    photo, drawing = photo_bytes((300, 200)), photo_bytes((2400, 600), "PNG")
    path = office.docx_with_pictures(tmp_path / "memo.docx", [
        "Before the photo.", photo, "Between them.", photo_bytes((30, 30), "PNG"), drawing,
        "After."], table_picture=photo_bytes((200, 100), "PNG"))
    doc = crack_one(path)
    text = doc["pages"][0]["text"]
    assert doc["metadata"]["content_type"] == DOCX
    assert text == "Before the photo.\nBetween them.\nAfter.\nin a table"
    images = doc["images"]
    assert [(i["id"], i["page"], i["kind"]) for i in images] == \
        [("p1-i0", 1, "embedded"), ("p1-i2", 1, "embedded"), ("p1-i3", 1, "embedded")]
    assert [text[i["offset"]:].split("\n")[0] for i in images] == \
        ["Between them.", "After.", "in a table"]
    assert images[0]["data"] == photo and (images[0]["width"], images[0]["height"]) == (300, 200)
    assert (images[1]["original_width"], images[1]["width"], images[1]["height"]) == \
        (2400, 2000, 500)
    assert doc["warnings"] == []
    assert [i["data"] for i in crack_one(path)["images"]] == [i["data"] for i in images]


def test_an_undecodable_docx_picture_is_a_warning_and_the_text_stays(tmp_path):
    photo = photo_bytes((300, 200))
    data = office.docx_with_pictures(tmp_path / "d.docx", ["Words.", photo]).read_bytes()
    doc = crack(Blob(uri="mem://d.docx", name="d.docx",
                     data=replace_member(data, "word/media/", b"not an image")))[0]
    assert doc["pages"][0]["text"] == "Words." and doc["images"] == []
    assert len(doc["warnings"]) == 1
    assert doc["warnings"][0].startswith("image 0: could not be decoded (")


# ------------------------------------------- legacy binary Office, encrypted OOXML


@pytest.mark.parametrize("stream, name, kind", [
    ("WordDocument", "old.doc", "Word 97-2003 document (.doc)"),
    ("PowerPoint Document", "old.ppt", "PowerPoint 97-2003 presentation (.ppt)"),
])
def test_legacy_office_files_fail_with_a_convert_message(tmp_path, stream, name, kind):
    path = office.ole2(tmp_path / name, {stream: b"\x00" * 64, "\x05SummaryInformation": b""})
    blob = blob_of(path, "renamed.bin")
    with pytest.raises(CrackError) as failed:
        crack(blob)
    assert str(failed.value) == f"legacy {kind} is not supported: {CONVERT_HINT}"
    assert "convert it to the Open XML format (.docx/.xlsx/.pptx)" in CONVERT_HINT
    assert pick_cracker(blob).name == "legacy-office"


def test_an_unknown_compound_file_names_its_extension_or_says_unknown(tmp_path):
    path = office.ole2(tmp_path / "thing.doc", {"Contents": b"data"})
    assert sniff(path.read_bytes(), "thing.doc") == OLE2
    with pytest.raises(CrackError, match=r"^legacy Word 97-2003 document \(\.doc\)"):
        crack(blob_of(path))
    with pytest.raises(CrackError, match="^OLE2 compound file of an unknown kind"):
        crack(blob_of(path, "thing.bin"))


def test_an_outlook_message_goes_to_the_msg_cracker(tmp_path):
    path = office.ole2(tmp_path / "mail.msg", {"__substg1.0_0037001F": "Subject".encode(
        "utf-16-le"), "__properties_version1.0": b"\x00" * 32, "WordDocument": b""})
    assert sniff(path.read_bytes(), "mail.msg") == MSG  # not taken for a Word file
    for name in ("mail.msg", "renamed.bin"):
        assert crack(blob_of(path, name))[0]["metadata"]["subject"] == "Subject"


@pytest.mark.parametrize("make", [
    lambda tmp: office.xlsx(tmp / "p.xlsx", {"S": [["secret figures"]]}),
    lambda tmp: office.pptx(tmp / "p.pptx", [{"title": "secret slide"}]),
    lambda tmp: office.docx_with_pictures(tmp / "p.docx", ["secret memo"]),
])
def test_a_password_protected_office_file_fails_with_the_reason(tmp_path, make):
    plain = make(tmp_path)
    locked = office.encrypted_ooxml(tmp_path / f"locked{plain.suffix}", plain)
    assert sniff(locked.read_bytes(), locked.name) == ENCRYPTED_OOXML
    with pytest.raises(CrackError) as failed:
        crack(blob_of(locked))
    assert str(failed.value) == ENCRYPTED_MESSAGE
    assert "password" in ENCRYPTED_MESSAGE


# -------------------------------------------------------------------- XLS


def test_xls_gives_one_page_per_sheet_like_xlsx(tmp_path):
    path = office.xls(tmp_path / "old.xls", {
        "Costs": [["item", "amount", "paid"], ["ferry", 12.5, True], ["harbour", 3.0, None]],
        "Dates": [["when"], [datetime(2024, 3, 1)], [datetime(2024, 3, 1, 9, 30)]]})
    blob = blob_of(path, "export.bin")
    doc = crack(blob)[0]
    assert pick_cracker(blob).name == "xls"
    assert doc["metadata"]["content_type"] == "application/vnd.ms-excel"
    assert doc["metadata"]["sheet_names"] == ["Costs", "Dates"]
    assert [(p["number"], p["name"]) for p in doc["pages"]] == [(1, "Costs"), (2, "Dates")]
    assert doc["pages"][0]["text"] == "item\tamount\tpaid\nferry\t12.5\tTRUE\nharbour\t3"
    assert doc["pages"][1]["text"] == "when\n2024-03-01\n2024-03-01 09:30:00"
    assert doc["warnings"] == []


def test_an_xls_sheet_over_the_cell_limit_is_truncated_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_SHEET_CELLS", 50)
    path = office.xls(tmp_path / "big.xls", {"Big": [[f"r{r}c{c}" for c in range(10)]
                                                     for r in range(30)]})
    doc = crack_one(path)
    assert len(doc["pages"][0]["text"].splitlines()) == 5
    assert doc["warnings"] == ["sheet 'Big' truncated after 50 cells"]


def test_a_damaged_or_oversized_xls_fails_with_the_reason(tmp_path, monkeypatch):
    data = office.xls(tmp_path / "t.xls", {"S": [["a", 1]] * 40}).read_bytes()
    with pytest.raises(CrackError, match="^unreadable XLS: "):
        crack(Blob(uri="mem://t.xls", name="t.xls", data=data[: len(data) // 2]))
    monkeypatch.setattr(xls_module, "MAX_XLS_BYTES", 1000)
    with pytest.raises(CrackError, match=r"^\.xls workbook of \d+ bytes is over the 1000 bytes"):
        crack(Blob(uri="mem://t.xls", name="t.xls", data=data))


# --------------------------------------------------------------- end to end


@pytest.mark.slow  # one index run
def test_an_index_run_stores_office_documents_pages_and_pictures(tmp_path):
    import sqlite3
    from contextlib import closing

    from enrich.indexer import IndexOptions, run_index
    from indexers.stores import DataDir

    folder = tmp_path / "docs"
    folder.mkdir()
    office.xlsx(folder / "fares.xlsx", {"Fares": [["port", "fare"], ["North", 12]],
                                        "Notes": [["calm sea"]]})
    office.pptx(folder / "deck.pptx", [{"title": "Harbour", "picture": photo_bytes((300, 200))},
                                       {"title": "Ferry", "notes": "leaves at dawn"}])
    office.docx_with_pictures(folder / "memo.docx", ["A memo.", photo_bytes((240, 160))])
    office.ole2(folder / "old.doc", {"WordDocument": b""})
    skillset = {"name": "office", "skills": [{"skill": "language"}]}
    summary = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "data"), workers=0,
                                                  skillset=skillset))
    assert summary.documents["indexed"] == 3 and summary.documents["failed"] == 1
    assert len(summary.errors) == 1 and CONVERT_HINT in str(summary.errors[0])
    with closing(sqlite3.connect(DataDir(tmp_path / "data").store)) as conn:
        documents = dict(conn.execute("SELECT uri, id FROM documents").fetchall())
        ids = {Path(uri).name: doc_id for uri, doc_id in documents.items()}
        assert sorted(ids) == ["deck.pptx", "fares.xlsx", "memo.docx"]

        def pages(name):
            return conn.execute("SELECT number, text FROM pages WHERE doc_id = ? ORDER BY number",
                                (ids[name],)).fetchall()

        def images(name):
            return conn.execute("SELECT image_id, page, kind FROM images WHERE doc_id = ? "
                                "ORDER BY image_id", (ids[name],)).fetchall()

        assert pages("fares.xlsx") == [(1, "port\tfare\nNorth\t12"), (2, "calm sea")]
        assert pages("deck.pptx") == [(1, "Harbour"), (2, "Ferry\n\nleaves at dawn")]
        assert images("deck.pptx") == [("p1-i0", 1, "embedded")]
        assert images("memo.docx") == [("p1-i0", 1, "embedded")]


def test_a_binary_workbook_xlsb_fails_with_a_convert_message_not_as_an_archive(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:  # the parts an .xlsb has, binary records
        for part in ("[Content_Types].xml", "xl/workbook.bin", "xl/worksheets/sheet1.bin"):
            archive.writestr(part, b"\x83\x01\x00")
    blob = Blob(uri="mem://b.xlsb", name="b.xlsb", data=out.getvalue())
    assert sniff(blob.data, "b.zip") == XLSB
    with pytest.raises(CrackError) as failed:
        crack(blob)
    assert str(failed.value) == f"Excel binary workbook (.xlsb) is not supported: {CONVERT_HINT}"


def test_a_sheet_whose_xml_breaks_off_keeps_the_rows_before(tmp_path):
    data = office.xlsx(tmp_path / "d.xlsx", {"Data": [[f"row {n}", n] for n in range(400)],
                                             "Other": [["fine"]]}).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    doc = crack(Blob(uri="mem://d.xlsx", name="d.xlsx",
                     data=replace_member(data, "xl/worksheets/sheet1.xml",
                                         sheet[: len(sheet) // 2])))[0]
    kept = doc["pages"][0]["text"].splitlines()
    assert 10 < len(kept) < 400 and kept[0] == "row 0\t0"
    assert doc["pages"][1]["text"] == "fine"
    assert len(doc["warnings"]) == 1
    assert doc["warnings"][0].startswith(f"sheet 'Data' damaged: kept the {len(kept)} rows")


# ----------------------------------------------- XLSX rows as documents (like CSV)


def test_parsing_mode_xlsx_makes_each_row_a_document_under_its_sheets_header(tmp_path):
    from indexers.sources import open_source

    path = office.xlsx(tmp_path / "crew.xlsx", {
        "Crew": [["name", "role", "joined"], ["Ana", "captain", datetime(2020, 5, 1)],
                 [], ["Ivo", "cook", None]],
        "Ships": [["name", "tons"], ["Gull", 120]]})
    source = open_source(str(path), parsing_mode="xlsx")
    items = list(source.list())
    assert [item.name for item in items] == ["crew.xlsx#row=1", "crew.xlsx#row=2",
                                             "crew.xlsx#row=3"]
    docs = [crack(Blob(uri=item.uri, name=item.name, data=source.read(item),
                       mime_type=item.content_type))[0] for item in items]
    assert [doc["uri"] for doc in docs] == [f"{path.as_uri()}#row={n}" for n in (1, 2, 3)]
    assert docs[0]["content"] == "name: Ana\nrole: captain\njoined: 2020-05-01"
    assert docs[1]["metadata"]["record"] == {"name": "Ivo", "role": "cook", "joined": ""}
    assert docs[2]["content"] == "name: Gull\ntons: 120"
    assert docs[0]["metadata"]["title"] == "Ana" and docs[0]["metadata"]["format"] == "xlsx"
    assert docs[0]["metadata"]["content_type"] == XLSX


def test_parsing_mode_xlsx_with_a_key_and_a_sheet_without_it(tmp_path):
    from indexers.sources import SourceError, open_source

    path = office.xlsx(tmp_path / "k.xlsx", {"S": [["id", "text"], ["a7", "first"],
                                                   ["b9", "second"]]})
    source = open_source(str(path), parsing_mode="xlsx", key="id")
    assert [item.name for item in source.list()] == ["k.xlsx#id=a7", "k.xlsx#id=b9"]
    office.xlsx(path, {"S": [["id"], ["a7"]], "Notes": [["remark"], ["x"]]})
    with pytest.raises(SourceError, match="no column 'id'"):
        list(open_source(str(path), parsing_mode="xlsx", key="id").list())


def test_parsing_mode_xlsx_reports_a_damaged_workbook_by_its_file_item(tmp_path):
    from indexers.sources import SourceError, open_source

    data = office.xlsx(tmp_path / "d.xlsx", {"S": [["a"], ["b"]]}).read_bytes()
    (tmp_path / "d.xlsx").write_bytes(data[: len(data) // 2])
    source = open_source(str(tmp_path / "d.xlsx"), parsing_mode="xlsx")
    items = list(source.list())
    assert [item.uri.rsplit("#", 1)[1] for item in items] == ["file"]
    with pytest.raises(SourceError, match="unreadable XLSX"):
        source.read(items[0])
