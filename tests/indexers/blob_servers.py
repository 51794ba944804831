"""Blob stores for the source tests, started and stopped by the test session.

* ``azurite``: Microsoft's Azurite emulator (npm package ``azurite``, installed by
  ``npm ci`` at the repository root), on a free loopback port. Without it the Azure
  tests skip, or fail when ``ENRICH_REQUIRE_EMULATORS=1`` (as in CI).
* ``moto_server``: moto's S3 on a free loopback port. moto is a mock of S3, not S3.
* GCS has no emulator here: its tests use fsspec's in-memory filesystem, which has
  gcsfs's API, in place of gcsfs (not a server).

``bucket`` (parametrized with "az", "s3" or "gs") is a fresh, empty bucket with the
environment set so that ``open_source(bucket.uri(...))`` reaches it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
AZURITE = ROOT / "node_modules" / ".bin" / "azurite-blob"
# Azurite's well-known development account (published by Microsoft, not a secret)
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")
AZURE_VARIABLES = ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
                   "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_ACCOUNT_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connection_string(port: int, key: str = AZURITE_KEY) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={account_url(port)};")


def account_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"azurite-blob exited with {process.returncode}: {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    pytest.fail(f"azurite-blob did not listen on port {port} within {timeout}s: {log.read_text()}")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Iterator[int]:
    """Azurite's blob service for the session; yields its port."""
    if not AZURITE.exists():
        reason = (f"Azurite is not installed ({AZURITE.relative_to(ROOT)} is missing): "
                  "run `npm ci` at the repository root")
        if os.environ.get("ENRICH_REQUIRE_EMULATORS") == "1":
            pytest.fail(reason + " (ENRICH_REQUIRE_EMULATORS=1)")
        pytest.skip(reason)
    port, folder = free_port(), tmp_path_factory.mktemp("azurite")
    log = folder / "azurite.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port),
             "--location", str(folder / "data"), "--silent", "--skipApiVersionCheck",
             "--disableTelemetry"], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's S3 mock on loopback for the session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def aws_test_environment(monkeypatch, endpoint: str) -> None:
    """Fake AWS credentials, no ~/.aws files, no instance metadata, this endpoint."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("ENRICH_S3_ENDPOINT_URL", endpoint)


def azure_test_environment(monkeypatch, connection: str | None) -> None:
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if connection:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection)


class _Bucket:
    scheme = name = ""

    def uri(self, prefix: str = "") -> str:
        return f"{self.scheme}://{self.name}/{prefix}".rstrip("/")


class AzureBucket(_Bucket):
    scheme = "az"

    def __init__(self, port: int) -> None:
        from azure.storage.blob import BlobServiceClient
        from indexers.sources.azure import AzureBlobSource
        self.source_class = AzureBlobSource
        self.name = f"t{uuid.uuid4().hex[:12]}"
        service = BlobServiceClient.from_connection_string(connection_string(port))
        self.container = service.create_container(self.name)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        from azure.storage.blob import ContentSettings
        settings = ContentSettings(content_type=content_type) if content_type else None
        self.container.upload_blob(key, data, overwrite=True, content_settings=settings)

    def delete(self, key: str) -> None:
        self.container.delete_blob(key)


class S3Bucket(_Bucket):
    scheme = "s3"

    def __init__(self, endpoint: str) -> None:
        import boto3
        from indexers.sources.s3 import S3Source
        self.source_class = S3Source
        self.name = f"t{uuid.uuid4().hex[:12]}"
        self.client = boto3.client("s3", endpoint_url=endpoint)
        self.client.create_bucket(Bucket=self.name)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.name, Key=key, Body=data, **extra)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)


class MemoryGcsBucket(_Bucket):
    """A bucket in fsspec's in-memory filesystem, put where GcsSource opens gcsfs."""

    scheme = "gs"

    def __init__(self, monkeypatch) -> None:
        from fsspec.implementations.memory import MemoryFileSystem
        from indexers.sources import gcs
        self.source_class = gcs.GcsSource
        monkeypatch.setattr(MemoryFileSystem, "store", {})  # the class keeps one store
        monkeypatch.setattr(MemoryFileSystem, "pseudo_dirs", [""])
        self.name = f"t{uuid.uuid4().hex[:12]}"
        self.fs = MemoryFileSystem()
        monkeypatch.setattr(gcs, "_filesystem", lambda: self.fs)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self.fs.pipe(f"/{self.name}/{key}", data)

    def delete(self, key: str) -> None:
        self.fs.rm(f"/{self.name}/{key}")


@pytest.fixture
def bucket(request, monkeypatch):
    """An empty bucket of the kind named by the parameter ("az", "s3" or "gs")."""
    if request.param == "az":
        port = request.getfixturevalue("azurite")
        azure_test_environment(monkeypatch, connection_string(port))
        return AzureBucket(port)
    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_server")
        aws_test_environment(monkeypatch, endpoint)
        return S3Bucket(endpoint)
    return MemoryGcsBucket(monkeypatch)


class _Unavailable(BaseHTTPRequestHandler):
    """Answers every request 503 Service Unavailable, and counts them."""

    def _answer(self) -> None:
        self.server.requests += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def unavailable() -> Iterator[ThreadingHTTPServer]:
    """A loopback HTTP server that answers 503 to everything; ``.requests`` counts."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    server.requests = 0
    # shutdown() waits for the loop to notice: poll often, not every 0.5 s.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
