"""Amazon S3 and S3-compatible stores (MinIO, Ceph, R2...) as a source: ``s3://bucket/prefix``.

Credentials and region come from the standard AWS chain (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws``, an instance role...). The
endpoint is the ``endpoint_url`` option, else ``ENRICH_S3_ENDPOINT_URL``, else
``AWS_ENDPOINT_URL`` (read by boto3 itself), else AWS.

Requests are retried by botocore's ``standard`` retry mode; what still fails is a
:class:`TransientSourceError` (network, timeouts, 5xx, throttling) or a
:class:`SourceError` (an object gone since listing, refused credentials, no bucket).
"""

from __future__ import annotations

import os
from contextlib import closing
from typing import IO, Any, Iterator

from indexers.sources.base import SourceError, SourceItem, TransientSourceError
from indexers.sources.blob import (CHUNK_BYTES, RETRIES, blob_name, blob_uri, by_uri,
                                   check_size, is_item, retried, split_uri, spool)

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import IncompleteReadError, NoCredentialsError
except ImportError as exc:  # pragma: no cover - the SDK is a dependency
    raise SourceError("s3:// sources need boto3: pip install boto3") from exc

__all__ = ["S3Source"]

CREDENTIALS = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
_GONE = ("NoSuchKey", "404")
_DENIED = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
           "InvalidToken", "403", "401")
_THROTTLED = ("SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
              "RequestLimitExceeded", "TooManyRequests", "ServiceUnavailable", "InternalError")
# network failures, including those while streaming a body (not retried by botocore)
_NETWORK = (BotoConnectionError, HTTPClientError, IncompleteReadError)


def _client(endpoint_url: str | None, retries: int) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": retries + 1},
                    connect_timeout=10, read_timeout=60)
    endpoint = endpoint_url or os.environ.get("ENRICH_S3_ENDPOINT_URL") or None
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)


class S3Source:
    """The objects under ``s3://bucket/prefix``, sorted by URI; see the module docstring.

    ``version`` is the object's ETag, ``mtime`` its last-modified time; S3 listings
    carry no content type, so the bytes are sniffed. Folder markers (keys ending in
    ``/``) and hidden names (a part starting with ``.``) are skipped.
    """

    def __init__(self, uri: str, *, max_bytes: int | None = None,
                 endpoint_url: str | None = None, retries: int | None = None) -> None:
        self.bucket, self.prefix = split_uri(uri, "s3")
        self.uri = blob_uri("s3", self.bucket, self.prefix)
        self.max_bytes = max_bytes
        self.retries = RETRIES if retries is None else retries
        self.client = _client(endpoint_url, self.retries)

    def list(self) -> Iterator[SourceItem]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix)
        try:
            objects = [obj for page in pages for obj in page.get("Contents", [])
                       if is_item(obj["Key"], self.prefix)]
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, self.uri) from exc
        return by_uri(self._item(obj) for obj in objects)

    def _item(self, obj: dict[str, Any]) -> SourceItem:
        return SourceItem(uri=blob_uri("s3", self.bucket, obj["Key"]),
                          name=obj["Key"].rsplit("/", 1)[-1], size=obj["Size"],
                          mtime=obj["LastModified"].timestamp(), version=obj["ETag"].strip('"'))

    def read(self, item: SourceItem) -> bytes:
        with self.open(item) as file:
            return file.read()

    def open(self, item: SourceItem) -> IO[bytes]:
        """The object, streamed CHUNK_BYTES at a time into a temporary file (in memory
        up to SPOOL_BYTES, on disk beyond); ``max_bytes`` is checked against the listed
        size before the request and against the bytes received while streaming."""
        check_size(item.name, item.size, self.max_bytes)
        key = blob_name(item.uri, "s3", self.bucket)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            with closing(response["Body"]) as body:
                return spool(body.iter_chunks(CHUNK_BYTES), item.name, item.size,
                             self.max_bytes)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, item.uri) from exc

    def _error(self, exc: Exception, uri: str) -> SourceError:
        """The source error for what botocore raised, once its retries are spent."""
        if isinstance(exc, NoCredentialsError):
            return SourceError(f"no AWS credentials for {self.uri}: set {CREDENTIALS}")
        if isinstance(exc, _NETWORK):
            return TransientSourceError(f"{uri}: {exc} ({retried(self.retries)})")
        if not isinstance(exc, ClientError):
            return SourceError(f"{uri}: {exc}")
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code == "NoSuchBucket":
            return SourceError(f"bucket {self.bucket!r} does not exist ({self.uri}); check the "
                               "URI and the endpoint (ENRICH_S3_ENDPOINT_URL)")
        if code in _GONE:
            return SourceError(f"{uri} is gone since it was listed (deleted meanwhile)")
        if code in _DENIED:
            return SourceError(f"S3 refused access to {self.uri} ({code}): check {CREDENTIALS}")
        if code in _THROTTLED or status >= 500 or status == 429:
            return TransientSourceError(f"{uri}: {exc} ({retried(self.retries)})")
        return SourceError(f"{uri}: {exc}")
