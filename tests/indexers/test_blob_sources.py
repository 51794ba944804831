"""Blob-store sources: ``az://`` against Microsoft's Azurite emulator, ``s3://`` against
moto (a mock of S3 on loopback, not S3), ``gs://`` against fsspec's in-memory
filesystem standing in for gcsfs (no GCS server at all). The servers are started and
stopped by the session (tests/indexers/blob_servers.py); tests that need one are
marked ``slow``. Retry and error mapping run against a loopback server answering 503.
"""

import re
import time
from pathlib import Path

import pytest

from enrich.indexer import IndexOptions, run_index
from enrich.searching import search
from indexers.sources import SourceError, TooLarge, TransientSourceError, open_source
from indexers.sources.blob import blob_name, blob_uri, is_item, split_uri, spool
from tests.indexers.blob_servers import (AZURITE_ACCOUNT, AZURITE_KEY,  # noqa: F401 - fixtures
                                         account_url, aws_test_environment,
                                         azure_test_environment, azurite, bucket,
                                         connection_string, free_port, moto_server,
                                         unavailable)

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
SAMPLES = sorted(path.name for path in CORPUS.iterdir())
LIGHT = {"skills": [{"skill": "language"}, {"skill": "entities"}],
         "entities": ["/document/pages/*/entities"]}
BACKENDS = [pytest.param("az", marks=pytest.mark.slow), pytest.param("s3", marks=pytest.mark.slow),
            "gs"]
servers = pytest.mark.parametrize("bucket", BACKENDS, indirect=True)


def count_reads(monkeypatch, source_class) -> list[str]:
    """The names of the items read through ``source_class.read`` from now on."""
    names, real_read = [], source_class.read

    def read(self, item):
        names.append(item.name)
        return real_read(self, item)

    monkeypatch.setattr(source_class, "read", read)
    return names


def index(uri, data, **options):
    return run_index(uri, IndexOptions(data_dir=data, workers=0, skillset=LIGHT, **options))


def indexed_items(data) -> set[str]:
    """The item URIs with documents in the search index (CSV rows share their file's)."""
    hits = search(data, "*", top=1000).results
    return {hit["uri"].split("#", 1)[0] for hit in hits}


# ---- the flow: index, change one blob, delete another, index again -----------

@servers
def test_second_run_processes_exactly_the_changed_and_the_deleted_blob(bucket, tmp_path,
                                                                        monkeypatch):
    """The issue's "done when": upload the demo corpus, index it, change one blob and
    delete another, index again. az runs against Azurite, Microsoft's emulator; s3
    against moto, a mock of S3 (not S3); gs against fsspec's in-memory filesystem in
    place of gcsfs (not a server; it has no version, so size and mtime decide)."""
    for name in SAMPLES:
        bucket.put(f"corpus/{name}", (CORPUS / name).read_bytes())
    root, data = bucket.uri("corpus"), tmp_path / "data"
    reads = count_reads(monkeypatch, bucket.source_class)
    first = index(root, data)
    assert first.status == "ok" and first.documents["failed"] == 0, first.errors
    assert first.documents["seen"] == len(SAMPLES) and sorted(reads) == SAMPLES
    assert indexed_items(data) == {f"{root}/{name}" for name in SAMPLES}
    assert [h["uri"] for h in search(data, "offence").results] == [
        f"{root}/warriors-scouting-report.md"]

    report = (CORPUS / "warriors-scouting-report.md").read_bytes()
    # the same size as before: the new version (ETag, generation) tells it changed
    changed = b"# Scouting report\n\nVictor Wembanyama visited.\n".ljust(len(report), b" ")
    bucket.put("corpus/warriors-scouting-report.md", changed)
    bucket.delete("corpus/celtics-vs-warriors-game-notes.pdf")
    reads.clear()
    second = index(root, data)
    assert second.documents == {"seen": len(SAMPLES) - 1, "indexed": 1,
                                "unchanged": len(SAMPLES) - 2, "partial": 0, "failed": 0,
                                "deleted": 1}, second.errors
    assert reads == ["warriors-scouting-report.md"]  # unchanged blobs are not downloaded
    assert [h["uri"] for h in search(data, "Wembanyama").results] == [
        f"{root}/warriors-scouting-report.md"]
    assert search(data, "offence").count == 0
    assert indexed_items(data) == {f"{root}/{name}" for name in SAMPLES
                                   if name != "celtics-vs-warriors-game-notes.pdf"}


@servers
def test_a_blob_over_the_size_limit_is_reported_and_the_rest_indexed(bucket, tmp_path):
    for name in ("memo-1963-scan.pdf", "warriors-scouting-report.md"):
        bucket.put(f"corpus/{name}", (CORPUS / name).read_bytes())
    summary = index(bucket.uri("corpus"), tmp_path / "data", max_bytes=50_000)
    assert summary.documents["failed"] == 1 and summary.documents["indexed"] == 1
    error, = summary.errors
    assert error["uri"] == bucket.uri("corpus/memo-1963-scan.pdf")
    assert re.search(r"144,?101 bytes, over the limit of 50,?000", error["message"])


@pytest.mark.slow
@pytest.mark.parametrize("bucket", ["s3"], indirect=True)
def test_a_new_mtime_with_the_same_etag_is_unchanged_and_not_read(bucket, tmp_path,
                                                                  monkeypatch):
    """S3 keeps the ETag (the MD5 of the bytes) when an object is copied onto itself to
    change its metadata, but gives it a new mtime: the version decides, nothing is read."""
    bucket.put("docs/report.md", b"# Report\n\nThe offence runs through Curry.\n")
    root, data = bucket.uri("docs"), tmp_path / "data"
    index(root, data)
    before, = open_source(root).list()
    time.sleep(1.1)  # S3 times have a resolution of one second
    bucket.client.copy_object(Bucket=bucket.name, Key="docs/report.md",
                              CopySource={"Bucket": bucket.name, "Key": "docs/report.md"},
                              MetadataDirective="REPLACE", Metadata={"reviewed": "yes"})
    after, = open_source(root).list()
    assert after.mtime > before.mtime and after.version == before.version
    reads = count_reads(monkeypatch, bucket.source_class)
    assert index(root, data).documents["unchanged"] == 1 and reads == []


# ---- listing ---------------------------------------------------------------------------

@servers
def test_listing_is_the_prefix_sorted_without_markers_or_hidden_blobs(bucket):
    for key in ("notes/b.md", "notes/a b#1.md", "notes/sub/c.txt", "notes/.hidden",
                "notes/.git/config", "notes-old/d.md", "other.md"):
        bucket.put(key, b"# " + key.encode())
    if bucket.scheme != "gs":  # a "folder" made by a console: a zero-size name ending in /
        bucket.put("notes/empty/", b"")
    source = open_source(bucket.uri("notes/"))
    items = list(source.list())
    assert source.uri == bucket.uri("notes")
    assert [i.uri for i in items] == [f"{source.uri}/a%20b%231.md", f"{source.uri}/b.md",
                                      f"{source.uri}/sub/c.txt"]
    assert [i.name for i in items] == ["a b#1.md", "b.md", "c.txt"]
    assert items[0].size == len(b"# notes/a b#1.md")
    assert abs(items[0].mtime - time.time()) < 120
    assert source.read(items[0]) == b"# notes/a b#1.md"
    assert [i.uri for i in open_source(bucket.uri()).list()][-1] == bucket.uri("other.md")


@pytest.mark.slow
@pytest.mark.parametrize("bucket", ["az", "s3"], indirect=True)
def test_version_is_the_etag_and_changes_with_the_content(bucket):
    bucket.put("a.md", b"one")
    source = open_source(bucket.uri())
    first, = source.list()
    bucket.put("a.md", b"two")
    second, = source.list()
    assert first.version and '"' not in first.version and second.version != first.version


def test_gcs_version_is_the_generation_and_times_parse():
    from datetime import datetime, timezone
    from indexers.sources.gcs import _mtime, _version
    # what gcsfs gives for an object (see gcsfs.core._process_object)
    info = {"name": "b/a.pdf", "size": 3, "type": "file", "generation": "1712345678901234",
            "etag": "CPLx", "updated": "2024-04-05T10:00:00.123Z",
            "mtime": datetime(2024, 4, 5, 10, 0, 0, 123000, tzinfo=timezone.utc)}
    assert _version(info) == "1712345678901234"
    assert _version({"etag": "CPLx"}) == "CPLx" and _version({}) == ""
    stamp = datetime(2024, 4, 5, 10, 0, 0, 123000, tzinfo=timezone.utc).timestamp()
    assert _mtime(info) == stamp
    assert _mtime({"updated": "2024-04-05T10:00:00.123Z"}) == stamp
    assert _mtime({"created": 12.5}) == 12.5


@pytest.mark.slow
@pytest.mark.parametrize("bucket", ["az"], indirect=True)
def test_azure_passes_on_a_meaningful_content_type(bucket):
    bucket.put("a.md", b"# A", content_type="text/markdown")
    bucket.put("b.bin", b"\x00")  # the SDK's default, application/octet-stream
    assert [i.content_type for i in open_source(bucket.uri()).list()] == ["text/markdown", None]


# ---- reading: size limit, blobs gone or grown since listing -----------------------------

@servers
def test_a_blob_listed_over_the_limit_is_refused_without_downloading(bucket):
    bucket.put("big.txt", b"x" * 100)
    item, = open_source(bucket.uri(), max_bytes=10).list()
    bucket.delete("big.txt")  # a download would now fail as "gone"
    with pytest.raises(TooLarge, match="100 bytes, over the limit of 10"):
        open_source(bucket.uri(), max_bytes=10).read(item)


@servers
def test_a_blob_grown_past_the_limit_since_listing_stops_the_download(bucket):
    bucket.put("grows.txt", b"small")
    source = open_source(bucket.uri(), max_bytes=1000)
    item, = source.list()
    bucket.put("grows.txt", b"x" * 5000)
    with pytest.raises(TooLarge, match="listed with 5 bytes but sent more than 1,000"):
        source.read(item)


def test_streaming_stops_at_the_first_chunk_over_the_limit():
    sent = []

    def chunks():
        for number in range(10):
            sent.append(number)
            yield b"x" * 400

    with pytest.raises(TooLarge):
        spool(chunks(), "a.bin", 100, 1000)
    assert sent == [0, 1, 2]  # the third chunk crosses 1,000 bytes; nothing more is asked
    with spool(iter([b"ab", b"cd"]), "a.bin", 4, 4) as file:
        assert file.read() == b"abcd"


@servers
def test_a_blob_deleted_since_listing_fails_for_good(bucket):
    bucket.put("gone.md", b"# gone")
    source = open_source(bucket.uri())
    item, = source.list()
    bucket.delete("gone.md")
    with pytest.raises(SourceError, match="gone since it was listed") as error:
        source.read(item)
    assert not isinstance(error.value, TransientSourceError)


@servers
def test_a_missing_bucket_is_named(bucket):
    missing = f"{bucket.scheme}://no-such-{bucket.name}/docs"
    with pytest.raises(SourceError, match=f"'no-such-{bucket.name}' does not exist"):
        list(open_source(missing).list())


# ---- credentials ----------------------------------------------------------------------

@pytest.mark.slow
def test_azure_wrong_key_names_the_variable_that_gave_it(azurite, monkeypatch):
    wrong = AZURITE_KEY.replace("Eby8", "Xby8")
    azure_test_environment(monkeypatch, connection_string(azurite, key=wrong))
    with pytest.raises(SourceError, match="refused access.*AZURE_STORAGE_CONNECTION_STRING"):
        list(open_source("az://docs").list())
    azure_test_environment(monkeypatch, None)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_URL", account_url(azurite))
    monkeypatch.setenv("AZURE_STORAGE_KEY", wrong)
    with pytest.raises(SourceError, match="check AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"):
        list(open_source("az://docs").list())


@pytest.mark.slow
@pytest.mark.parametrize("bucket", ["az"], indirect=True)
def test_azure_account_key_and_sas_token_from_the_environment(bucket, azurite, monkeypatch):
    from datetime import datetime, timedelta, timezone
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas
    bucket.put("a.md", b"# A")
    azure_test_environment(monkeypatch, None)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_URL", account_url(azurite))
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
    source = open_source(bucket.uri())
    assert source.read(next(source.list())) == b"# A"
    monkeypatch.delenv("AZURE_STORAGE_KEY")
    sas = generate_container_sas(AZURITE_ACCOUNT, bucket.name, account_key=AZURITE_KEY,
                                 permission=ContainerSasPermissions(read=True, list=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", "?" + sas)
    source = open_source(bucket.uri())
    assert source.read(next(source.list())) == b"# A"


def test_azure_without_credentials_says_which_variables_to_set(monkeypatch):
    azure_test_environment(monkeypatch, None)
    with pytest.raises(SourceError, match="set AZURE_STORAGE_CONNECTION_STRING, or "
                                          "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY"):
        open_source("az://docs/notes")


def test_s3_refused_access_and_missing_credentials_are_permanent(monkeypatch):
    from botocore.stub import Stubber
    aws_test_environment(monkeypatch, "http://127.0.0.1:9")
    source = open_source("s3://docs/notes")
    with Stubber(source.client) as stub:
        stub.add_client_error("list_objects_v2", "AccessDenied", http_status_code=403)
        with pytest.raises(SourceError, match="refused access.*AccessDenied.*AWS_ACCESS_KEY_ID"):
            list(source.list())
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    with pytest.raises(SourceError, match="no AWS credentials") as error:
        list(open_source("s3://docs/notes").list())
    assert not isinstance(error.value, TransientSourceError)


# ---- transient errors: retried by the SDK, then TransientSourceError -----------------

def test_azure_retries_a_503_then_gives_a_transient_error(unavailable, monkeypatch):
    from azure.storage.blob import ExponentialRetry

    # The retry itself is under test, not its back-off: no 2-3 s wait before it.
    monkeypatch.setattr(ExponentialRetry, "get_backoff_time", lambda self, settings: 0)
    azure_test_environment(monkeypatch, connection_string(unavailable.server_port))
    source = open_source("az://docs", retries=1)
    with pytest.raises(TransientSourceError, match="after 1 retry"):
        list(source.list())
    assert unavailable.requests == 2  # the first try and one retry (ExponentialRetry)


def test_s3_retries_a_503_then_gives_a_transient_error(unavailable, monkeypatch):
    aws_test_environment(monkeypatch, f"http://127.0.0.1:{unavailable.server_port}")
    source = open_source("s3://docs", retries=2)
    with pytest.raises(TransientSourceError, match="after 2 retries"):
        list(source.list())
    assert unavailable.requests == 3  # botocore's standard retry mode


@pytest.mark.parametrize("scheme", ["az", "s3"])
def test_a_refused_connection_is_transient(scheme, monkeypatch):
    port = free_port()  # nothing listens there
    azure_test_environment(monkeypatch, connection_string(port))
    aws_test_environment(monkeypatch, f"http://127.0.0.1:{port}")
    with pytest.raises(TransientSourceError):
        list(open_source(f"{scheme}://docs", retries=0).list())


@pytest.mark.slow
def test_a_server_stopped_after_listing_fails_reads_as_transient(monkeypatch):
    import boto3
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        aws_test_environment(monkeypatch, f"http://{host}:{port}")
        client = boto3.client("s3", endpoint_url=f"http://{host}:{port}")
        client.create_bucket(Bucket="docs")
        client.put_object(Bucket="docs", Key="a.md", Body=b"# A")
        source = open_source("s3://docs", retries=1)
        item, = source.list()
    finally:
        server.stop()
    with pytest.raises(TransientSourceError, match="Could not connect.*after 1 retry"):
        source.read(item)


# ---- URIs and the scheme registry ---------------------------------------------------

def test_uris_split_quote_and_round_trip():
    assert split_uri("az://docs/notes/2024/", "az") == ("docs", "notes/2024")
    assert split_uri("s3://docs", "s3") == ("docs", "")
    assert split_uri("gs://docs/my%20notes", "gs") == ("docs", "my notes")
    for bad in ("az://", "az:/docs", "s3://docs", "docs/notes"):
        with pytest.raises(SourceError):
            split_uri(bad, "az")
    uri = blob_uri("s3", "docs", "a b/100%#1?.pdf")
    assert uri == "s3://docs/a%20b/100%25%231%3F.pdf"
    assert blob_name(uri, "s3", "docs") == "a b/100%#1?.pdf"
    assert blob_uri("az", "docs", "") == "az://docs"


def test_which_names_are_items():
    assert is_item("notes/a.pdf", "notes") and is_item("notes", "notes")
    assert is_item("a.pdf", "") and is_item("notes/sub/a.pdf", "notes")
    assert not is_item("notes-old/a.pdf", "notes")  # another folder with the same start
    assert not is_item("notes/sub/", "notes")  # a folder marker
    assert not is_item("notes/.cache/a.pdf", "notes") and not is_item(".env", "")


def test_schemes_open_their_source_with_their_options(monkeypatch):
    from indexers.sources.azure import AzureBlobSource
    from indexers.sources.gcs import GcsSource
    from indexers.sources.s3 import S3Source
    azure_test_environment(monkeypatch, connection_string(10000))
    aws_test_environment(monkeypatch, "http://127.0.0.1:9")
    monkeypatch.setattr("indexers.sources.gcs._filesystem", lambda: None)
    azure = open_source("az://docs/a", max_bytes=5, exclude=("data",))
    assert isinstance(azure, AzureBlobSource) and azure.max_bytes == 5
    s3 = open_source("s3://docs/a/", endpoint_url="http://127.0.0.1:1")
    assert isinstance(s3, S3Source) and s3.client.meta.endpoint_url == "http://127.0.0.1:1"
    assert open_source("s3://docs").client.meta.endpoint_url == "http://127.0.0.1:9"
    assert isinstance(open_source("gs://docs"), GcsSource)
    assert open_source("gcs://docs/x").uri == "gcs://docs/x"
