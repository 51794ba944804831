"""--doc-memory: a worker process may allocate only so much; a document that needs more
fails with the reason and the run goes on."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from enrich.cli import app
from enrich.indexer import IndexOptions, run_index
from enrich.worker import default_memory_limit


def test_a_limited_process_gets_a_memory_error_instead_of_the_memory():
    code = ("from enrich.worker import limit_memory\n"
            "assert limit_memory(512 << 20)\n"
            "small = bytearray(64 << 20)\n"
            "try:\n    big = bytearray(1 << 30)\nexcept MemoryError:\n    print('refused')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "refused"


def test_the_default_share_splits_three_quarters_of_the_memory_between_workers():
    one, two = default_memory_limit(1), default_memory_limit(2)
    assert one >= two >= 1 << 30
    assert default_memory_limit(1000) == 1 << 30  # never below 1 GiB


@pytest.mark.parametrize(("value", "message"), [("lots", "use a number of bytes")])
def test_a_bad_size_is_refused(tmp_path, value, message):
    out = CliRunner().invoke(app, ["index", str(tmp_path), "--data", str(tmp_path / "d"),
                                   "--doc-memory", value])
    assert out.exit_code == 2 and message in out.output


@pytest.mark.slow  # writes 216 MB and runs a worker process
def test_a_document_over_the_limit_fails_with_the_reason_and_the_run_goes_on(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    line = "The ferry left the harbour at dawn. " * 30 + "\n"
    (docs / "huge.txt").write_text(line * 200_000)
    (docs / "small.txt").write_text("A small note about a ferry.")
    summary = run_index(str(docs), IndexOptions(
        data_dir=str(tmp_path / "data"), workers=1, doc_memory=600 << 20,
        skillset={"skills": ["language"], "entities": []}))
    assert summary.documents["indexed"] == 1 and summary.documents["failed"] == 1
    [error] = summary.errors
    assert error["uri"].endswith("huge.txt") and error["stage"] == "crack"
    assert error["message"].startswith("out of memory") and "600 MB, --doc-memory" in \
        error["message"]
