"""Azure Blob Storage as a source: ``az://container/prefix``.

Credentials come from the environment, first match wins:

* ``AZURE_STORAGE_CONNECTION_STRING`` (or the ``connection_string`` option);
* ``AZURE_STORAGE_ACCOUNT`` with ``AZURE_STORAGE_KEY`` (an account key) or
  ``AZURE_STORAGE_SAS_TOKEN``; with neither, anonymous access (a public container).
  The account URL is ``https://ACCOUNT.blob.core.windows.net`` unless
  ``AZURE_STORAGE_ACCOUNT_URL`` says otherwise.

Requests are retried by the SDK's ``ExponentialRetry`` policy; what still fails is a
:class:`TransientSourceError` (network, timeouts, 5xx, throttling) or a
:class:`SourceError` (a blob gone since listing, refused credentials, no container).
"""

from __future__ import annotations

import os
from typing import IO, Any, Iterator

from indexers.sources.base import SourceError, SourceItem, TransientSourceError
from indexers.sources.blob import (CHUNK_BYTES, RETRIES, blob_name, blob_uri, by_uri,
                                   check_size, content_type, is_item, retried, spool,
                                   split_uri)

try:
    from azure.core.credentials import AzureSasCredential
    from azure.core.exceptions import (AzureError, ClientAuthenticationError, HttpResponseError,
                                       IncompleteReadError, ResourceModifiedError,
                                       ResourceNotFoundError, ServiceRequestError,
                                       ServiceResponseError)
    from azure.storage.blob import BlobProperties, BlobServiceClient, ExponentialRetry
except ImportError as exc:  # pragma: no cover - the SDK is a dependency
    raise SourceError("az:// sources need azure-storage-blob: "
                      "pip install azure-storage-blob") from exc

__all__ = ["AzureBlobSource"]

CREDENTIALS = ("AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY "
               "or AZURE_STORAGE_SAS_TOKEN")
_TRANSIENT_STATUS = (408, 429, 500, 502, 503, 504)


def _client(connection_string: str | None, retries: int) -> tuple[BlobServiceClient, str]:
    """The service client, and which setting gave its credentials (for messages)."""
    options = {"retry_policy": ExponentialRetry(initial_backoff=0.5, increment_base=2,
                                                retry_total=retries, random_jitter_range=0.5),
               "connection_timeout": 10, "read_timeout": 60,
               # the SDK fetches at most this much per request and holds no more
               "max_single_get_size": CHUNK_BYTES, "max_chunk_get_size": CHUNK_BYTES}
    if connection_string:
        return _connect(connection_string, "the connection_string option", options)
    if os.environ.get("AZURE_STORAGE_CONNECTION_STRING"):
        return _connect(os.environ["AZURE_STORAGE_CONNECTION_STRING"],
                        "AZURE_STORAGE_CONNECTION_STRING", options)
    account = os.environ.get("AZURE_STORAGE_ACCOUNT")
    url = os.environ.get("AZURE_STORAGE_ACCOUNT_URL") or (
        account and f"https://{account}.blob.core.windows.net")
    if not url:
        raise SourceError(f"no Azure Storage credentials for az://: set {CREDENTIALS} "
                          "(AZURE_STORAGE_ACCOUNT_URL overrides the account URL)")
    credential, where = _account_credential(account)
    return BlobServiceClient(url, credential=credential, **options), where


def _connect(connection_string: str, where: str, options: dict) -> tuple[BlobServiceClient, str]:
    try:
        return BlobServiceClient.from_connection_string(connection_string, **options), where
    except ValueError as exc:
        raise SourceError(f"{where} is not an Azure Storage connection string: {exc}") from None


def _account_credential(account: str | None) -> tuple[Any, str]:
    """The key or SAS token from the environment (None: anonymous), and its variables."""
    key, sas = os.environ.get("AZURE_STORAGE_KEY"), os.environ.get("AZURE_STORAGE_SAS_TOKEN")
    if key and not account:
        raise SourceError("AZURE_STORAGE_KEY needs AZURE_STORAGE_ACCOUNT, the account's name")
    if key:
        return ({"account_name": account, "account_key": key},
                "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY")
    if sas:
        return (AzureSasCredential(sas.lstrip("?")),
                "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_SAS_TOKEN")
    return None, "AZURE_STORAGE_ACCOUNT (anonymous: no AZURE_STORAGE_KEY or SAS token set)"


def _is_folder(blob: BlobProperties) -> bool:
    """A directory of a hierarchical-namespace account (Data Lake Gen2) listed as a blob."""
    return (blob.metadata or {}).get("hdi_isfolder") == "true"


class AzureBlobSource:
    """The blobs under ``az://container/prefix``, sorted by URI; see the module docstring.

    ``version`` is the blob's ETag, ``mtime`` its last-modified time, ``content_type``
    its stored content type unless generic. Folder markers (names ending in ``/``),
    Data Lake directories and hidden names (a part starting with ``.``) are skipped.
    """

    def __init__(self, uri: str, *, max_bytes: int | None = None,
                 connection_string: str | None = None, retries: int | None = None) -> None:
        self.container_name, self.prefix = split_uri(uri, "az")
        self.uri = blob_uri("az", self.container_name, self.prefix)
        self.max_bytes = max_bytes
        self.retries = RETRIES if retries is None else retries
        service, self.credentials = _client(connection_string, self.retries)
        self.container = service.get_container_client(self.container_name)

    def list(self) -> Iterator[SourceItem]:
        try:
            blobs = [blob for blob in self.container.list_blobs(
                name_starts_with=self.prefix or None, include=["metadata"])
                if is_item(blob.name, self.prefix) and not _is_folder(blob)]
        except AzureError as exc:
            raise self._error(exc, self.uri) from exc
        return by_uri(self._item(blob) for blob in blobs)

    def _item(self, blob: BlobProperties) -> SourceItem:
        return SourceItem(uri=blob_uri("az", self.container_name, blob.name),
                          name=blob.name.rsplit("/", 1)[-1], size=blob.size,
                          mtime=blob.last_modified.timestamp(), version=blob.etag.strip('"'),
                          content_type=content_type(blob.content_settings.content_type))

    def read(self, item: SourceItem) -> bytes:
        with self.open(item) as file:
            return file.read()

    def open(self, item: SourceItem) -> IO[bytes]:
        """The blob, fetched CHUNK_BYTES at a time into a temporary file (the SDK never
        buffers the whole blob; the file is in memory up to SPOOL_BYTES, on disk beyond);
        ``max_bytes`` is checked against the listed size before downloading and against
        the bytes received while streaming."""
        check_size(item.name, item.size, self.max_bytes)
        name = blob_name(item.uri, "az", self.container_name)
        try:
            download = self.container.download_blob(name, max_concurrency=1)
            return spool(download.chunks(), item.name, item.size, self.max_bytes)
        except AzureError as exc:
            raise self._error(exc, item.uri) from exc

    def _error(self, exc: AzureError, uri: str) -> SourceError:
        """The source error for what the SDK raised, once its retries are spent."""
        code = getattr(exc, "error_code", None) or ""
        code = str(getattr(code, "value", code))  # a StorageErrorCode or a str
        status = getattr(exc, "status_code", None)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, ResourceNotFoundError) and code == "ContainerNotFound":
            return SourceError(f"container {self.container_name!r} does not exist in this "
                               f"storage account ({self.uri}); check the URI and "
                               f"{self.credentials}")
        if isinstance(exc, ResourceNotFoundError):
            return SourceError(f"{uri} is gone since it was listed (deleted meanwhile)")
        if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
            return SourceError(f"Azure Storage refused access to {self.uri} ({code or status}: a "
                               "wrong key, an expired SAS token or a missing permission); "
                               f"check {self.credentials}")
        if isinstance(exc, ResourceModifiedError):
            return TransientSourceError(f"{uri} changed while it was read; it is read again "
                                        "next run")
        if isinstance(exc, (ServiceRequestError, ServiceResponseError, IncompleteReadError)) \
                or (isinstance(exc, HttpResponseError) and status in _TRANSIENT_STATUS):
            return TransientSourceError(f"{uri}: {reason} ({retried(self.retries)})")
        return SourceError(f"{uri}: {reason}")
