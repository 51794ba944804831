"""Office crackers on files made by the tests (enrich/testing/office_factories.py): XLSX
sheets as pages, PPTX slides as pages with their pictures, DOCX pictures, and the bad
variants (truncated, password-protected, huge, legacy binary formats)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from enrich.testing import office_factories as office
from indexers.crackers import Blob, CrackError, crack, pick_cracker, sniff
from indexers.crackers import xlsx as xlsx_module
from indexers.crackers.sniff import DOCX, PPTX, XLSX


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
