"""Originals of documents indexed from blob storage, served through the API.

Against moto's S3 on loopback (moto is a mock of S3, not S3); the Azure and GCS
sources answer the same ``list``/``read`` calls (tests/indexers/test_blob_sources.py).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from enrich.indexer import IndexOptions, run_index
from enrich.records import document_id
from enrich.server import create_app
from indexers.sources.s3 import S3Source
from enrich.testing import factories
from tests.indexers.blob_servers import S3Bucket, aws_test_environment, moto_server  # noqa: F401
from tests.server.conftest import error_of

pytestmark = pytest.mark.slow


def test_a_blobs_original_and_its_pages_are_served_and_gone_when_deleted(
        moto_server, monkeypatch, tmp_path):  # noqa: F811 - the fixture
    aws_test_environment(monkeypatch, moto_server)
    bucket = S3Bucket(moto_server)
    pdf = factories.text_pdf(tmp_path / "notes.pdf", ["Zorvex sailed at dawn.", "Page two."])
    original = pdf.read_bytes()
    bucket.put("docs/notes.pdf", original, "application/pdf")
    data = tmp_path / "data"
    summary = run_index(bucket.uri("docs"), IndexOptions(
        data_dir=data, workers=0, skillset={"skills": [{"skill": "language"}]}))
    assert summary.documents["indexed"] == 1
    doc = document_id(bucket.uri("docs/notes.pdf"))
    with TestClient(create_app(data)) as client:
        answer = client.get(f"/api/documents/{doc}/file")
        assert answer.status_code == 200 and answer.content == original
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == "inline; filename*=utf-8''notes.pdf"
        reads = []
        real = S3Source.read
        monkeypatch.setattr(S3Source, "read",
                            lambda self, item: reads.append(item) or real(self, item))
        for _ in range(2):  # the second render comes from the cache: the blob is not fetched
            page = client.get(f"/api/documents/{doc}/pages/2/image", params={"width": 300})
            assert page.status_code == 200 and page.headers["content-type"] == "image/png"
        assert len(reads) == 1
        bucket.delete("docs/notes.pdf")
        error = error_of(client.get(f"/api/documents/{doc}/file"))
        assert (error["status"], error["code"]) == (410, "file_gone")
