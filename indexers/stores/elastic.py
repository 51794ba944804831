"""The search index on an Elasticsearch cluster (the official ``elasticsearch`` client).

The same protocol and query features as the embedded ``TantivyIndex``: Lucene's
query string syntax (words, ``"phrases"``, ``AND``/``OR``/``NOT``, ``+``/``-``,
``field:value``, ``word*``), filters, facets (terms aggregations), highlights (HTML,
the text escaped, matches in ``<b>``), paging and sorting. The request bodies are
built in ``elastic_body``; chunk vectors (nested ``dense_vector`` fields, kNN) are
``elastic_vectors``'s.

Layout: an index template (``<name>-template``) gives every concrete index
``<name>.v<timestamp>`` the settings and explicit mappings. The alias ``<name>``
points at the concrete index searches use; ``rebuild()`` fills a new one and swaps
the alias atomically (zero downtime), then deletes the old one. The concrete index
names behind the alias are the index's ``index_id`` (a new one on every create and
rebuild). An alias whose indices lack enrich's ``_meta.enrich_layout``, a concrete
index named like the alias, or a template of that name enrich did not write, is a
``ForeignIndexError``: enrich writes nothing there and deletes nothing. An older
layout makes a writer ``stale`` (rebuilt by the indexer); a newer one is refused.

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

from .base import (ForeignIndexError, IndexLayoutError, IndexMissingError, QueryError,
                   SearchResult, StoreError, check_search)
from .elastic_body import (LAYOUT, alias_swap_actions, bulk_actions, check_query,
                           client_options, concrete_name, failures, index_template,
                           missing_delete, reason, search_body, to_result)
from .elastic_vectors import VectorMethods
from .fields import FieldSpec, from_json
from .query_syntax import check_syntax
from .tantivy_query import locate

__all__ = ["ElasticIndex", "client_module"]

log = logging.getLogger(__name__)

REFRESH_CHOICES = {"false": False, "true": True, "wait_for": "wait_for"}


FEATURE = "an Elasticsearch search index (--index es+https://...)"


def client_module() -> Any:
    """The ``elasticsearch`` package, or MissingPackage naming the ``es`` extra."""
    return optional_import("elasticsearch", "es", FEATURE)


class ElasticIndex(VectorMethods):
    """The ``SearchIndex`` protocol over the Elasticsearch alias ``name``.

    ``client`` is an ``elasticsearch.Elasticsearch``. ``write`` prepares the index for
    writing now (see the module docstring); otherwise it is prepared by the first
    ``commit``. ``target`` is the concrete index a rebuild fills (reads and writes
    then go there instead of the alias). ``fields``: the user fields a writer wants
    (None: those of the index, in its ``_meta.enrich_fields``); an index with others is
    ``stale``.
    """

    def __init__(self, client: Any, name: str, *, refresh: bool | str = "wait_for",
                 owns_client: bool = False, write: bool = False,
                 target: str | None = None,
                 fields: "tuple[FieldSpec, ...] | list[FieldSpec] | None" = None) -> None:
        if refresh not in (True, False, "wait_for"):
            raise StoreError(f"refresh must be true, false or wait_for, not {refresh!r}")
        self.client, self.name, self.refresh_policy = client, name, refresh
        self.stale: str | None = None
        self.index_id: str | None = target
        self._owns_client = owns_client
        self._actions: list[dict[str, Any]] = []
        self._queued_dims: dict[str, int] = {}  # models of queued chunk vectors
        self._ready = target is not None
        self._exists = False  # known to exist (reads check once; writes ensure())
        self._target = target
        self.fields: tuple[FieldSpec, ...] = tuple(fields or ())
        self._wanted = fields
        if write:
            try:
                self.ensure()
            except IndexLayoutError:
                if self.stale is None:  # a newer layout: not to rebuild
                    raise

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None, *,
                 write: bool = False, fields: Sequence[FieldSpec] | None = None
                 ) -> ElasticIndex:
        """The index named by ``es+https://host:9200/name``, auth and TLS from ``env``."""
        env = os.environ if env is None else env
        name, options = client_options(url, env)
        refresh = env.get("ENRICH_ES_REFRESH", "wait_for").strip().lower()
        if refresh not in REFRESH_CHOICES:
            raise StoreError(f"ENRICH_ES_REFRESH={refresh!r}: use false, true or wait_for")
        client = client_module().Elasticsearch(**options)
        try:
            return cls(client, name, refresh=REFRESH_CHOICES[refresh], owns_client=True,
                       write=write, fields=None if fields is None else tuple(fields))
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
        es = client_module()
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
        IndexLayoutError (``stale`` set) when the alias's index was built with an older
        layout, ForeignIndexError when it is not enrich's."""
        if self._ready:
            return
        if self.stale:
            raise IndexLayoutError(self.stale)
        with self._errors("prepare the index"):
            exists = self.client.indices.exists(index=self.name)
            if exists:
                self.stale = self._layout_problem()
                if self.stale:
                    raise IndexLayoutError(self.stale)
            self._put_template()
            if not exists:
                new = concrete_name(self.name)
                self.client.indices.create(index=new, aliases={self.name: {}})
                self.index_id = new
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
                problem = self._layout_problem()
            except client_module().NotFoundError:
                raise IndexMissingError(
                    f"there is no Elasticsearch index {self.name!r}: index into it first "
                    f"(enrich index SOURCE --index es+...//{self.name})") from None
        if problem:
            raise IndexLayoutError(problem)
        self._exists = True

    def _layout_problem(self) -> str | None:
        """None when the indices behind the alias are enrich's of this layout (their
        names become ``index_id``); why to rebuild when an older enrich made them.
        ForeignIndexError when one is not enrich's, or ``name`` is an index rather
        than an alias; IndexLayoutError when a newer enrich made one."""
        found = dict(self.client.indices.get_mapping(index=self.name))
        problem = None
        for index, mapping in found.items():
            layout = mapping.get("mappings", {}).get("_meta", {}).get("enrich_layout")
            if index == self.name or not isinstance(layout, int):
                raise ForeignIndexError(
                    f"the Elasticsearch {'index' if index == self.name else 'alias'} "
                    f"{self.name!r} is not one enrich made (" + (
                        "an index, where enrich makes an alias" if index == self.name
                        else f"{index!r} has no _meta.enrich_layout") + "): enrich neither "
                    "writes to it nor deletes it; name another index")
            if layout > LAYOUT:
                raise IndexLayoutError(
                    f"the Elasticsearch index {index!r} behind {self.name!r} was built by a "
                    f"newer enrich (layout {layout}, this one knows {LAYOUT}): upgrade "
                    "enrich, or name another index")
            if layout != LAYOUT:
                problem = (f"the Elasticsearch index {index!r} behind {self.name!r} has layout "
                           f"{layout} (expected {LAYOUT}): rebuild it from the store with "
                           "`enrich index --rebuild-index`")
            problem = problem or self._fields_problem(index, mapping)
        self.index_id = ",".join(sorted(found)) if found and not problem else None
        return problem

    def _fields_problem(self, index: str, mapping: Mapping[str, Any]) -> str | None:
        """Take the user fields of ``index``; why to rebuild when a writer wants others."""
        found = from_json(mapping.get("mappings", {}).get("_meta", {}).get("enrich_fields"))
        if self._wanted is not None and set(found) != set(self._wanted):
            return (f"the Elasticsearch index {index!r} behind {self.name!r} has other user "
                    f"fields ({', '.join(s.name for s in found) or 'none'}) than the skillset "
                    f"maps ({', '.join(s.name for s in self._wanted) or 'none'}): it is "
                    "rebuilt from the store")
        self.fields = found
        return None

    def _put_template(self) -> None:
        """Write the index template, unless one of that name is not enrich's."""
        template = f"{self.name}-template"
        try:
            found = self.client.indices.get_index_template(name=template)
        except client_module().NotFoundError:
            found = {}
        for item in dict(found).get("index_templates", []):
            if "enrich_layout" not in (item.get("index_template", {}).get("_meta") or {}):
                raise ForeignIndexError(f"the Elasticsearch index template {template!r} is "
                                        "not one enrich made: enrich will not replace it; "
                                        "name another index")
        self.client.indices.put_index_template(name=template,
                                               **index_template(self.name, self.fields))

    @contextmanager
    def rebuild(self) -> Iterator[ElasticIndex]:
        """A new concrete index to fill; the alias moves to it in one atomic request
        when the block ends without an error, and the old indices are deleted. After
        an error (the alias swap's included) the new index is deleted and the alias
        never moved. Only an alias enrich made is rebuilt (ForeignIndexError)."""
        new = concrete_name(self.name)
        with self._errors("create a new index for"):
            if not (self._ready or self.stale) and self.client.indices.exists(index=self.name):
                self._layout_problem()  # raises for an index or alias that is not enrich's
            self._put_template()
            self.client.indices.create(index=new)
        fresh = ElasticIndex(self.client, self.name, refresh=self.refresh_policy, target=new,
                             fields=self.fields)
        try:
            yield fresh
            fresh.commit()
            old = self._point_alias(new)
        except BaseException:
            with self._errors("delete the unfinished rebuild of"):
                if new not in self._behind_alias():
                    self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self.stale, self._ready, self.index_id = None, True, new
        self._spaces = self._held = None
        self._drop(old)

    def _behind_alias(self) -> list[str]:
        """The concrete indices the alias points at (none before the first build)."""
        try:
            return list(dict(self.client.indices.get_alias(name=self.name)))
        except client_module().NotFoundError:
            return []

    def _point_alias(self, new: str) -> list[str]:
        """Point the alias at ``new`` atomically; returns the indices it left."""
        with self._errors("swap the alias of"):
            old = self._behind_alias()
            self.client.indices.update_aliases(
                actions=alias_swap_actions(self.name, old, new))
        return [index for index in old if index != new]

    def _drop(self, old: list[str]) -> None:
        """Delete the indices a rebuild replaced (a failure leaves them, with a warning:
        the rebuild itself succeeded)."""
        for index in old:
            try:
                with self._errors("delete the replaced index of"):
                    self.client.indices.delete(index=index)
            except StoreError as error:
                log.warning("the rebuilt index %r is in place, but %s: delete %r by hand",
                            self.name, error, index)

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Queue documents to add or replace by ``id`` (sent and visible at ``commit``),
        with their chunk vectors (``elastic_vectors``)."""
        self._actions += self._with_chunks(
            documents, bulk_actions(documents, (), self._using, self.fields))

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
        self._prepare_spaces()  # the fields of models new to the index
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
        self._actions, self._queued_dims = [], {}
        if self._owns_client:
            self.client.close()

    # -- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        self.readable()
        with self._errors("count the documents of"):
            return int(self.client.count(index=self._using)["count"])

    def refresh(self) -> None:
        """Forget the vector models read (a writer may add some); otherwise nothing to do:
        every search asks the cluster, which answers from its latest refresh (a commit
        waits for it, with the default policy)."""
        self._spaces = self._held = None

    def search(self, query: str, *, top: int = 10, offset: int = 0,
               filters: dict[str, list[str]] | None = None,
               facets: Sequence[str] = (), facet_size: int = 10,
               sort: str | None = None, highlight: bool = True,
               syntax: str = "lenient") -> SearchResult:
        """Query string search; see the module docstring, ``search_body`` and
        ``query_syntax`` (``lenient``: a query the cluster refuses is asked again as words)."""
        check_syntax(syntax)
        if syntax == "strict":
            check_query(query, None)  # its syntax, before anything is asked of the cluster
        self.readable()  # the user fields are known once the mappings are read
        if syntax == "strict":
            check_query(query, [spec.name for spec in self.fields])
        check_search(filters, facets, sort, self.fields)
        options = {"filters": filters, "facets": facets, "facet_size": facet_size, "top": top,
                   "offset": offset, "sort": sort, "highlight": highlight, "syntax": syntax,
                   "user": self.fields}
        body = search_body(query, **options)
        try:
            found = self._search(query, body)
        except QueryError:
            if syntax == "strict":
                raise
            body = search_body(query, **options, as_words=True)
            found = self._search(query, body)
        return to_result(found, facets, sorted_=bool(body.get("sort")), user=self.fields)

    def _search(self, query: str, body: dict[str, Any]) -> Mapping[str, Any]:
        with self._errors("search"):
            try:
                return self.client.search(index=self._using, body=body)
            except client_module().BadRequestError as error:  # parsed here, refused there
                position, _ = locate(query)
                raise QueryError(f"cannot run query {query!r}: {reason(error)}",
                                 position) from None
