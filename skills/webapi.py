"""``webapi``: call a custom skill over HTTP, as Azure AI Search's custom Web API skill does.

The records of a batch go to the endpoint ``batchSize`` at a time, up to
``degreeOfParallelism`` requests at once, each as Azure's contract has it::

    POST uri  {"values": [{"recordId": "0", "data": {"text": "..."}}, ...]}
    200       {"values": [{"recordId": "0", "data": {"words": [...]},
                           "errors": [], "warnings": [{"message": "..."}]}, ...]}

``data`` holds the skill's inputs by name; the answer's ``data`` holds its outputs,
which are whatever the skillset names: a web API skill declares its inputs and
outputs in the skillset (``io_from_skillset``), not in this class. A record the
answer leaves out, or answers with ``errors``, fails alone (its document ends
``partial`` with the reason); its ``warnings`` become the document's warnings.

HTTP 429 and 5xx answers and connection errors or timeouts (``timeout`` bounds the
whole attempt, redirects and a trickled answer included, as Azure's does: one read
in progress may finish first) are tried again, up to
``max_attempts`` in all, with exponential backoff (``backoff`` seconds doubled each
time, at most ``max_backoff``), waiting what ``Retry-After`` asks when the server
says (more than ``max_backoff`` and the batch fails at once). Other 4xx answers are
not tried again. Retries are tenacity's (maintained, Apache-2.0): its stop, wait and
retry predicates express exactly this, where httpx's own transport retries only
cover failed connections. A batch that still fails fails its records with the reason;
the run goes on. An answer that breaks HTTP (a body that is not the gzip it says, an
unreadable redirect) fails them at once: no remote's misbehaviour raises out of ``run``.

Only the hosts of ``allowed_hosts`` are reached (:mod:`skills.webapi_hosts`);
redirects are followed only with 307/308 (which keep the method and body) to an
allowed host, at most 3. Proxy settings of the environment are ignored
(``trust_env=False``): a proxy would connect on our behalf to an address we never
checked.
"""

from __future__ import annotations

import email.utils
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Sequence

from skills.base import WARNINGS, Record, RunContext, Skill, SkillError, SkillUnavailable
from skills.webapi_hosts import HostPolicy
from skills.webapi_params import WebApiConfigError, WebApiParams, expand, expand_headers, shown

from enrich.errors import EnrichError

__all__ = ["WebApiSkill", "WebApiCallFailed"]

KNOWN_PARAMS = frozenset({"uri", "httpMethod", "httpHeaders", "timeout", "batchSize",
                          "degreeOfParallelism", "allowed_hosts", "max_attempts", "backoff",
                          "max_backoff", "max_answer_bytes"})
MAX_REDIRECTS = 3
_sleep = time.sleep  # tenacity waits with this (tests replace it to see the waits)


class WebApiCallFailed(EnrichError):
    """A request of the web API skill failed: its records fail with this reason."""

    code = "E862"

    def __init__(self, message: str, retry_after: float | None = None,
                 transient: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.transient = transient


class WebApiSkill(Skill):
    """Azure's custom Web API skill: records to an HTTP endpoint, its answers back."""

    name = "webapi"
    version = "1"
    description = ("Call a custom skill over HTTP with Azure AI Search's Web API skill "
                   "contract; inputs and outputs are the ones the skillset names.")
    io_from_skillset: ClassVar[bool] = True
    cacheable = False  # the answer is the remote's, now
    runtime_params = frozenset({"batchSize", "degreeOfParallelism", "timeout", "max_attempts",
                                "backoff", "max_backoff"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        unknown = sorted(set(params) - KNOWN_PARAMS)
        if unknown:
            raise WebApiConfigError(f"webapi: unknown parameters {unknown}; known: "
                                    f"{sorted(KNOWN_PARAMS)}")
        self.config = WebApiParams.read(params)
        try:
            self.policy = HostPolicy(self.config.allowed_hosts, self.config.uri)
        except ValueError as exc:
            raise WebApiConfigError(str(exc)) from None
        expand_headers(self.config.headers)  # a missing variable fails the skillset now
        expand(self.config.uri, "uri")
        self.shown = shown(self.config.uri)
        self._client: Any = None
        self._headers: dict[str, str] = {}
        self._uri = ""

    @property
    def model(self) -> str | None:
        return self.shown  # provenance: which endpoint gave the values (no query: no key)

    def warm_up(self, context: RunContext = RunContext()) -> None:
        if self._client is not None:
            return
        try:
            self._headers = expand_headers(self.config.headers)
            self._uri = expand(self.config.uri, "uri")
        except WebApiConfigError as exc:
            raise SkillUnavailable(str(exc)) from None
        import httpx  # a dependency; imported here so that importing skills stays cheap

        self._client = httpx.Client(timeout=self.config.timeout, follow_redirects=False,
                                    trust_env=False)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        self.warm_up()
        results: list[Any] = [None] * len(records)
        ready: list[int] = []
        for i, record in enumerate(records):
            try:
                json.dumps(dict(record))
                ready.append(i)
            except (TypeError, ValueError) as exc:
                results[i] = SkillError(f"the inputs cannot be sent as JSON: {exc}")
        size = self.config.batch_size
        batches = [ready[n:n + size] for n in range(0, len(ready), size)]
        if not batches:
            return results
        with ThreadPoolExecutor(max_workers=min(self.config.parallelism, len(batches))) as pool:
            for batch, answers in zip(batches, pool.map(
                    lambda b: self._batch(b, records), batches)):
                for i in batch:
                    results[i] = answers[i]
        return results

    def _batch(self, batch: list[int], records: Sequence[Record]) -> dict[int, Any]:
        body = {"values": [{"recordId": str(i), "data": dict(records[i])} for i in batch]}
        try:
            answer = self._send(body)
        except Exception as exc:  # the one catch-all: whatever the remote sets off fails
            failed = SkillError(f"web API {self.shown}: {self._reason(exc)}",  # the batch's
                                transient=_transient(exc))  # records, never run()
            return {i: failed for i in batch}
        return {i: _result(answer.get(str(i))) for i in batch}

    def _reason(self, error: Exception) -> str:
        if not isinstance(error, EnrichError):  # an unexpected failure: name it
            return f"{type(error).__name__}: {error}"
        wait = getattr(error, "retry_after", None) or 0
        if wait > self.config.max_backoff:
            return f"{error} (asks to retry after {wait:g} s, more than max_backoff)"
        if getattr(error, "transient", False):
            return f"{error} (tried {self.config.max_attempts} times)"
        return str(error)

    def _send(self, body: dict) -> dict[str, dict]:
        """The answer's values by record id, after the retries tenacity allows."""
        import tenacity

        limit = self.config.max_backoff
        retrying = tenacity.Retrying(
            stop=tenacity.stop_any(tenacity.stop_after_attempt(self.config.max_attempts),
                                   lambda state: _asks_to_wait(state) > limit),
            wait=self._wait, retry=tenacity.retry_if_exception(_transient), reraise=True,
            sleep=lambda seconds: _sleep(seconds))
        for attempt in retrying:
            with attempt:
                return _values(self._request(body))
        raise AssertionError("tenacity gave up without an exception")  # reraise=True

    def _wait(self, state: Any) -> float:
        error = state.outcome.exception()
        if getattr(error, "retry_after", None) is not None:
            return _asks_to_wait(state)
        return min(self.config.max_backoff, self.config.backoff * 2 ** (state.attempt_number - 1))

    def _request(self, body: dict) -> Any:
        """One attempt: the body of a 2xx answer, following allowed 307/308 redirects,
        within ``timeout`` in all (httpx's own timeouts are per read, so a server that
        trickles its answer would otherwise hold the worker far longer)."""
        import httpx

        timeout = self.config.timeout
        deadline = time.monotonic() + timeout
        url = self._uri
        for _ in range(MAX_REDIRECTS + 1):
            pinned = self.policy.pin(url)
            extensions = {"sni_hostname": pinned.server_name} if pinned.server_name else {}
            try:
                with self._client.stream(
                        self.config.method, pinned.url, json=body, extensions=extensions,
                        timeout=_left(deadline, timeout),
                        headers={**self._headers, "Host": pinned.host,
                                 "Accept": "application/json"}) as response:
                    if response.status_code in (307, 308) and "location" in response.headers:
                        url = str(httpx.URL(url).join(response.headers["location"]))
                        continue
                    content = _read(response, self.config.max_answer_bytes, deadline, timeout)
            except httpx.TimeoutException:
                raise _timed_out(timeout) from None
            except httpx.TransportError as exc:
                raise WebApiCallFailed(f"cannot connect: {type(exc).__name__}: {exc}",
                                       transient=True) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # e.g. a body that is not
                raise WebApiCallFailed(  # the gzip it says, a Location that is no URL
                    f"a broken answer: {type(exc).__name__}: {exc}") from None
            return _checked(response, content)
        raise WebApiCallFailed(f"more than {MAX_REDIRECTS} redirects")


def _left(deadline: float, timeout: float) -> float:
    """Seconds left before the deadline (a timeout at once when none are)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timed_out(timeout)
    return left


def _timed_out(timeout: float) -> WebApiCallFailed:
    return WebApiCallFailed(f"timed out after {timeout:g} s", transient=True)


def _read(response: Any, limit: int, deadline: float, timeout: float) -> bytes:
    """The answer's body, or WebApiCallFailed once it is past ``limit`` bytes or the
    deadline (checked after every read; one read waits at most the time that was left
    when the request was sent)."""
    declared = response.headers.get("content-length", "")
    body = bytearray()
    for chunk in [] if declared.isdigit() and int(declared) > limit else response.iter_bytes():
        _left(deadline, timeout)
        body += chunk
        if len(body) > limit:
            break
    if len(body) > limit or (declared.isdigit() and int(declared) > limit):
        raise WebApiCallFailed(f"the answer is larger than max_answer_bytes ({limit})")
    return bytes(body)


def _checked(response: Any, content: bytes) -> bytes:
    status = response.status_code
    if 200 <= status < 300:
        return content
    text = content[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if status == 429 or status >= 500:
        raise WebApiCallFailed(detail, retry_after=_retry_after(response), transient=True)
    if 300 <= status < 400:
        where = shown(response.headers.get("location", "nowhere"))
        raise WebApiCallFailed(f"HTTP {status} redirect to {where}: only 307/308 to an "
                               "allowed host are followed; point uri at the final address")
    raise WebApiCallFailed(detail)


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _values(content: bytes) -> dict[str, dict]:
    try:
        answer = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
        raise WebApiCallFailed("the answer is not JSON") from None
    values = answer.get("values") if isinstance(answer, dict) else None
    if not isinstance(values, list):
        raise WebApiCallFailed("the answer has no 'values' list (the custom skill contract)")
    return {str(v.get("recordId")): v for v in values if isinstance(v, dict)}


def _messages(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(item.get("message", item)) if isinstance(item, dict) else str(item)
            for item in items]


def _result(value: dict | None) -> Any:
    """One record's answer as the engine takes it: its data, or its error."""
    if value is None:
        return SkillError("the web API's answer has no record with this recordId")
    errors = _messages(value.get("errors"))
    if errors:
        return SkillError("the web API says: " + "; ".join(errors))
    data = value.get("data")
    if not isinstance(data, dict):
        return SkillError("the web API's answer for this record has no 'data' object")
    warnings = _messages(value.get("warnings"))
    return {**data, WARNINGS: warnings} if warnings else dict(data)


def _transient(error: BaseException) -> bool:
    return isinstance(error, WebApiCallFailed) and error.transient


def _asks_to_wait(state: Any) -> float:
    """Seconds the server's Retry-After asks for (0 when it does not say)."""
    return getattr(state.outcome.exception(), "retry_after", None) or 0.0
