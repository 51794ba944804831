"""Google Cloud Storage as a source: ``gs://bucket/prefix`` (or ``gcs://``), through gcsfs.

Credentials are Google's defaults: ``GOOGLE_APPLICATION_CREDENTIALS`` (a service
account key file), ``gcloud auth application-default login``, or the metadata server
on Google Cloud. ``STORAGE_EMULATOR_HOST`` points gcsfs at an emulator.

gcsfs retries requests itself (exponential backoff on 5xx, 408, 429 and network
errors); what still fails is a :class:`TransientSourceError` or a :class:`SourceError`
(an object gone since listing, refused credentials, no bucket).
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any, Iterator

from indexers.sources.base import SourceError, SourceItem, TransientSourceError
from indexers.sources.blob import (CHUNK_BYTES, blob_name, blob_uri, by_uri, check_size,
                                   content_type, is_item, split_uri, spool)

__all__ = ["GcsSource"]

CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS (or `gcloud auth application-default login`)"
_TRANSIENT_STATUS = ("408", "429", "500", "502", "503", "504")


def _filesystem() -> Any:
    """A gcsfs filesystem (fsspec's API; the tests put an in-memory one here)."""
    try:
        import gcsfs
    except ImportError as exc:  # pragma: no cover - gcsfs is a dependency
        raise SourceError("gs:// sources need gcsfs: pip install gcsfs") from exc
    return gcsfs.GCSFileSystem()


def _mtime(info: dict[str, Any]) -> float:
    """gcsfs gives ``mtime`` (a datetime) and ``updated`` (RFC 3339); fsspec's memory
    filesystem gives ``created`` (a timestamp)."""
    value = info.get("mtime") or info.get("updated") or info.get("created") or 0
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _version(info: dict[str, Any]) -> str:
    """The object's generation (a new one at every write), else its ETag or MD5."""
    return str(info.get("generation") or info.get("etag") or info.get("md5Hash") or "")


def _transient() -> tuple[type[BaseException], ...]:
    """What gcsfs gives up on after its retries, for errors that may go away."""
    from gcsfs.retry import RETRIABLE_EXCEPTIONS
    return (*RETRIABLE_EXCEPTIONS, TimeoutError, ConnectionError)


class GcsSource:
    """The objects under ``gs://bucket/prefix``, sorted by URI; see the module docstring.

    ``version`` is the object's generation, ``mtime`` its update time, ``content_type``
    its stored content type unless generic. Folder markers (names ending in ``/``)
    and hidden names (a part starting with ``.``) are skipped.
    """

    def __init__(self, uri: str, *, max_bytes: int | None = None) -> None:
        self.scheme = uri.partition("://")[0].lower()  # gs or gcs
        self.bucket, self.prefix = split_uri(uri, self.scheme)
        self.uri = blob_uri(self.scheme, self.bucket, self.prefix)
        self.max_bytes = max_bytes
        self.fs = _filesystem()

    def list(self) -> Iterator[SourceItem]:
        try:
            found = self.fs.find(f"{self.bucket}/{self.prefix}".rstrip("/"), detail=True)
            missing = not found and not self.fs.exists(self.bucket)
        except FileNotFoundError:
            missing = True
        except Exception as exc:  # noqa: BLE001 - mapped to a SourceError
            raise self._error(exc, self.uri) from exc
        if missing:
            raise SourceError(f"bucket {self.bucket!r} does not exist ({self.uri}); check the "
                              f"URI and {CREDENTIALS}")
        infos = [(self._name(path), info) for path, info in found.items()
                 if info.get("type", "file") == "file"]
        return by_uri(self._item(name, info) for name, info in infos
                      if is_item(name, self.prefix))

    def _name(self, path: str) -> str:
        """The object name of a filesystem path: ``bucket/a/b.pdf`` -> ``a/b.pdf``."""
        return path.lstrip("/").removeprefix(self.bucket + "/")

    def _item(self, name: str, info: dict[str, Any]) -> SourceItem:
        return SourceItem(uri=blob_uri(self.scheme, self.bucket, name),
                          name=name.rsplit("/", 1)[-1], size=int(info.get("size") or 0),
                          mtime=_mtime(info), version=_version(info),
                          content_type=content_type(info.get("contentType")))

    def read(self, item: SourceItem) -> bytes:
        with self.open(item) as file:
            return file.read()

    def open(self, item: SourceItem) -> IO[bytes]:
        """The object, read CHUNK_BYTES at a time into a temporary file (in memory up
        to SPOOL_BYTES, on disk beyond); ``max_bytes`` is checked against the listed
        size before opening and against the bytes received."""
        check_size(item.name, item.size, self.max_bytes)
        path = f"{self.bucket}/{blob_name(item.uri, self.scheme, self.bucket)}"
        try:
            with self.fs.open(path, "rb", block_size=CHUNK_BYTES) as file:
                chunks = iter(lambda: file.read(CHUNK_BYTES), b"")
                return spool(chunks, item.name, item.size, self.max_bytes)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to a SourceError
            raise self._error(exc, item.uri) from exc

    def _error(self, exc: Exception, uri: str) -> SourceError:
        """The source error for what gcsfs raised, once its retries are spent."""
        status = str(getattr(exc, "code", ""))
        if isinstance(exc, FileNotFoundError):
            return SourceError(f"{uri} is gone since it was listed (deleted meanwhile)")
        if status in ("401", "403") or str(exc).startswith("Forbidden") \
                or type(exc).__module__.startswith("google.auth"):
            return SourceError(f"Google Cloud Storage refused access to {self.uri}: {exc}; "
                               f"check {CREDENTIALS}")
        if status in _TRANSIENT_STATUS or isinstance(exc, _transient()):
            return TransientSourceError(f"{uri}: {exc} (after gcsfs's retries)")
        return SourceError(f"{uri}: {type(exc).__name__}: {exc}")
