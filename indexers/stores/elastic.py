"""The search index on an Elasticsearch cluster (the official ``elasticsearch`` client).

The same protocol and query features as the embedded ``TantivyIndex``: Lucene's
query string syntax (words, ``"phrases"``, ``AND``/``OR``/``NOT``, ``+``/``-``,
``field:value``, ``word*``), filters, facets (terms aggregations), highlights (HTML,
the text escaped, matches in ``<b>``), paging and sorting. The request bodies are
built in ``elastic_body``.

Layout: an index template (``<name>-template``) gives every concrete index
``<name>.v<timestamp>`` the settings and explicit mappings. The alias ``<name>``
points at the concrete index searches use; ``rebuild()`` fills a new one and swaps
the alias atomically (zero downtime), then deletes the old one.

Opened for reading, nothing is created (a read-only key works, and a mistyped name
is an ``IndexMissingError``, not an empty index). Opened for writing, the template,
a concrete index and the alias are created if missing, at once, so that a wrong URL
or key fails before a run does any work.

Writes are queued by ``upsert``/``delete`` and sent by ``commit`` with
``helpers.streaming_bulk``; ``refresh`` (the policy) says when they become visible:
``"wait_for"`` (default: ``commit`` returns once searches see them, as the protocol
says, without forcing a refresh per request), ``True`` (refresh now: costly under
load) or ``False`` (within the index's refresh interval, 1s: fastest bulk loads).

``ElasticIndex.from_url("es+https://host:9200/name")`` reads credentials and TLS
settings from the environment (never logged): ``ENRICH_ES_API_KEY`` or
``ENRICH_ES_USERNAME``/``ENRICH_ES_PASSWORD``, ``ENRICH_ES_CA_CERTS``,
``ENRICH_ES_VERIFY_CERTS`` (default true), ``ENRICH_ES_REFRESH``.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

from enrich.errors import optional_import

from .base import IndexLayoutError, IndexMissingError, QueryError, SearchResult, StoreError, \
    check_search
from .elastic_body import (LAYOUT, alias_swap_actions, bulk_actions, check_query,
                           client_options, concrete_name, failures, index_template,
                           missing_delete, reason, search_body, to_result)
from .tantivy_query import locate

__all__ = ["ElasticIndex"]

log = logging.getLogger(__name__)

REFRESH_CHOICES = {"false": False, "true": True, "wait_for": "wait_for"}


FEATURE = "an Elasticsearch search index (--index es+https://...)"


def _client_module() -> Any:
    """The ``elasticsearch`` package, or MissingPackage naming the ``es`` extra."""
    return optional_import("elasticsearch", "es", FEATURE)


class ElasticIndex:
    """The ``SearchIndex`` protocol over the Elasticsearch alias ``name``.

    ``client`` is an ``elasticsearch.Elasticsearch``. ``write`` prepares the index for
    writing now (see the module docstring); otherwise it is prepared by the first
    ``commit``. ``target`` is the concrete index a rebuild fills (reads and writes
    then go there instead of the alias).
    """

    def __init__(self, client: Any, name: str, *, refresh: bool | str = "wait_for",
                 owns_client: bool = False, write: bool = False,
                 target: str | None = None) -> None:
        if refresh not in (True, False, "wait_for"):
            raise StoreError(f"refresh must be true, false or wait_for, not {refresh!r}")
        self.client, self.name, self.refresh_policy = client, name, refresh
        self.stale: str | None = None
        self._owns_client = owns_client
        self._actions: list[dict[str, Any]] = []
        self._ready = target is not None
        self._exists = False  # known to exist (reads check once; writes ensure())
        self._target = target
        if write:
            try:
                self.ensure()
            except IndexLayoutError as error:
                self.stale = str(error)

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None, *,
                 write: bool = False) -> ElasticIndex:
        """The index named by ``es+https://host:9200/name``, auth and TLS from ``env``."""
        env = os.environ if env is None else env
        name, options = client_options(url, env)
        refresh = env.get("ENRICH_ES_REFRESH", "wait_for").strip().lower()
        if refresh not in REFRESH_CHOICES:
            raise StoreError(f"ENRICH_ES_REFRESH={refresh!r}: use false, true or wait_for")
        client = _client_module().Elasticsearch(**options)
        try:
            return cls(client, name, refresh=REFRESH_CHOICES[refresh], owns_client=True,
                       write=write)
        except BaseException:
            client.close()
            raise

    @property
    def _using(self) -> str:
        """What reads and writes address: the alias, or the index a rebuild fills."""
        return self._target or self.name

    def __enter__(self) -> ElasticIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Client errors as StoreError saying what failed and what to check."""
        es = _client_module()
        try:
            yield
        except es.TransportError as error:  # connection refused, TLS, timeout
            raise StoreError(f"cannot reach Elasticsearch to {doing} {self.name!r}: "
                             f"{error}; check the URL, the network and the TLS settings "
                             "(ENRICH_ES_CA_CERTS, ENRICH_ES_VERIFY_CERTS)") from None
        except es.AuthenticationException:
            raise StoreError(f"Elasticsearch refused the credentials to {doing} "
                             f"{self.name!r}: set ENRICH_ES_API_KEY, or ENRICH_ES_USERNAME "
                             "and ENRICH_ES_PASSWORD") from None
        except es.AuthorizationException as error:
            raise StoreError(f"the Elasticsearch user may not {doing} {self.name!r}: "
                             f"{reason(error)}") from None
        except es.ApiError as error:
            raise StoreError(f"Elasticsearch could not {doing} {self.name!r}: "
                             f"{reason(error)}") from None

    # -- layout ---------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the template, and a concrete index with the alias, if missing;
        IndexLayoutError when the alias's index was built with another layout."""
        if self._ready:
            return
        if self.stale:
            raise IndexLayoutError(self.stale)
        with self._errors("prepare the index"):
            self.client.indices.put_index_template(name=f"{self.name}-template",
                                                   **index_template(self.name))
            if self.client.indices.exists(index=self.name):
                self._check_layout()
            else:
                self.client.indices.create(index=concrete_name(self.name),
                                           aliases={self.name: {}})
        self._ready = True

    def readable(self) -> None:
        """Reads need the index to exist with this layout (checked once, by reading
        its mappings: nothing is created for a read, so a read-only key works)."""
        if self.stale:
            raise IndexLayoutError(self.stale)
        if self._ready or self._exists:
            return
        with self._errors("find"):
            try:
                self._check_layout()
            except _client_module().NotFoundError:
                raise IndexMissingError(
                    f"there is no Elasticsearch index {self.name!r}: index into it first "
                    f"(enrich index SOURCE --index es+...//{self.name})") from None
        self._exists = True

    def _check_layout(self) -> None:
        found = self.client.indices.get_mapping(index=self.name)
        for index, mapping in dict(found).items():
            layout = mapping.get("mappings", {}).get("_meta", {}).get("enrich_layout")
            if layout != LAYOUT:
                raise IndexLayoutError(
                    f"the Elasticsearch index {index!r} behind {self.name!r} has layout "
                    f"{layout} (expected {LAYOUT}): rebuild it from the store with "
                    "`enrich index --rebuild-index`")

    @contextmanager
    def rebuild(self) -> Iterator[ElasticIndex]:
        """A new concrete index to fill; the alias moves to it in one atomic request
        when the block ends without an error, and the old indices are deleted. After
        an error the new index is deleted and the alias never moved."""
        new = concrete_name(self.name)
        with self._errors("create a new index for"):
            self.client.indices.put_index_template(name=f"{self.name}-template",
                                                   **index_template(self.name))
            self.client.indices.create(index=new)
        fresh = ElasticIndex(self.client, self.name, refresh=self.refresh_policy, target=new)
        try:
            yield fresh
            fresh.commit()
        except BaseException:
            with self._errors("delete the unfinished rebuild of"):
                self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self._swap(new)

    def _swap(self, new: str) -> None:
        """Point the alias at ``new`` atomically and delete the indices it leaves."""
        es = _client_module()
        with self._errors("swap the alias of"):
            try:
                old = list(dict(self.client.indices.get_alias(name=self.name)))
            except es.NotFoundError:  # the first build: nothing to swap out
                old = []
            self.client.indices.update_aliases(
                actions=alias_swap_actions(self.name, old, new))
            for index in old:
                if index != new:
                    self.client.indices.delete(index=index)
        self.stale, self._ready = None, True

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Queue documents to add or replace by ``id`` (sent and visible at ``commit``)."""
        self._actions += bulk_actions(documents, (), self._using)

    def delete(self, ids: Sequence[str]) -> None:
        self._actions += bulk_actions((), ids, self._using)

    def commit(self) -> None:
        """Send the queued writes; raises StoreError naming the documents that failed.

        The queue is emptied either way: the store keeps its own queue until a
        commit succeeds, so failed documents are sent again by the next sync.
        """
        if not self._actions:
            return
        helpers = optional_import("elasticsearch.helpers", "es", FEATURE)
        self.ensure()
        actions, self._actions = self._actions, []
        failed = []
        with self._errors("write to"):
            for ok, item in helpers.streaming_bulk(
                    self.client, actions, raise_on_error=False, raise_on_exception=False,
                    max_retries=3, refresh=self.refresh_policy):
                if not ok and not missing_delete(item):
                    failed.append(item)
        if failed:
            raise StoreError(f"Elasticsearch did not write {len(failed)} of {len(actions)} "
                             f"documents to {self.name!r}: {failures(failed)}")

    def close(self) -> None:
        """Drop uncommitted writes; close the client if this index made it."""
        self._actions = []
        if self._owns_client:
            self.client.close()

    # -- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        self.readable()
        with self._errors("count the documents of"):
            return int(self.client.count(index=self._using)["count"])

    def refresh(self) -> None:
        """Nothing to do: every search asks the cluster, which answers from its latest
        refresh (a commit waits for it, with the default policy)."""

    def search(self, query: str, *, top: int = 10, offset: int = 0,
               filters: dict[str, list[str]] | None = None,
               facets: Sequence[str] = (), facet_size: int = 10,
               sort: str | None = None, highlight: bool = True) -> SearchResult:
        """Query string search; see the module docstring and ``search_body``."""
        check_query(query)
        check_search(filters, facets, sort)
        body = search_body(query, filters=filters, facets=facets, facet_size=facet_size,
                           top=top, offset=offset, sort=sort, highlight=highlight)
        self.readable()
        return to_result(self._search(query, body), facets, sorted_=bool(body.get("sort")))

    def _search(self, query: str, body: dict[str, Any]) -> Mapping[str, Any]:
        with self._errors("search"):
            try:
                return self.client.search(index=self._using, body=body)
            except _client_module().BadRequestError as error:  # parsed here, refused there
                position, _ = locate(query)
                raise QueryError(f"cannot run query {query!r}: {reason(error)}",
                                 position) from None
