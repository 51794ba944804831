"""The parameters of the web API skill, read as Azure AI Search's custom Web API
skill writes them (``uri``, ``httpMethod``, ``httpHeaders``, ``timeout``,
``batchSize``, ``degreeOfParallelism``), plus enrich's own (``allowed_hosts``,
``max_attempts``, ``backoff``, ``max_backoff``, ``max_answer_bytes``: an answer
larger than this, 64 MiB by default, fails its records instead of filling memory).

Header values may name environment variables, ``${FUNCTION_KEY}``: they are
expanded when the skill warms up, never written to the skillset, the logs or an
error message (an error names the variable, not its value). A header whose name says
it carries a credential (``x-functions-key``, ``Authorization``, ``api-key``, a token,
secret or password) must take its value from the environment: a key written into
the skillset file is refused. So is a key in the ``uri``'s query (Azure Functions'
``?code=``): write ``?code=${FUNCTION_CODE}``; errors and provenance show the uri
without its query.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from enrich.errors import ConfigError

__all__ = ["WebApiConfigError", "WebApiParams", "parse_duration", "expand", "expand_headers",
           "shown", "FORBIDDEN_HEADERS"]

# Azure refuses these in httpHeaders; enrich sets Host and Content-Type itself.
FORBIDDEN_HEADERS = frozenset({"accept", "accept-charset", "accept-encoding", "content-length",
                               "content-type", "cookie", "host", "te", "upgrade", "via"})
# Headers that carry credentials: their values must come from the environment.
_SECRET_HEADER = re.compile(r"authorization|key|token|secret|password|signature|credential",
                            re.IGNORECASE)
_SECRET_QUERY = re.compile(r"code|sig|.*(key|token|secret|password).*", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
                       re.IGNORECASE)


class WebApiConfigError(ConfigError):
    """A web API skill's parameters are wrong (a bad uri, method, timeout or header, an
    environment variable a header names that is not set)."""

    code = "E860"


def parse_duration(value: Any) -> float:
    """Seconds from an ISO 8601 duration (``PT30S``, ``PT1M30S``, as Azure writes
    ``timeout``) or a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())) \
            and any(match.groups()):
        days, hours, minutes, secs = (float(g or 0) for g in match.groups())
        seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
    else:
        raise WebApiConfigError(f"timeout {value!r}: give an ISO 8601 duration like PT30S, "
                                "or a number of seconds")
    if seconds <= 0:
        raise WebApiConfigError(f"timeout {value!r} must be more than 0 seconds")
    return seconds


def expand(value: str, where: str, environ: Mapping[str, str] = os.environ) -> str:
    """``value`` with every ``${NAME}`` replaced by the environment variable NAME; a
    variable that is not set is a WebApiConfigError naming it and ``where`` it is."""
    missing = [var for var in _VARIABLE.findall(value) if var not in environ]
    if missing:
        raise WebApiConfigError("; ".join(
            f"environment variable {var} (named by {where}) is not set" for var in missing))
    return _VARIABLE.sub(lambda m: environ[m[1]], value)


def expand_headers(headers: Mapping[str, str], environ: Mapping[str, str] = os.environ
                   ) -> dict[str, str]:
    """``headers`` with their variables expanded (:func:`expand`), every missing one named."""
    out, problems = {}, []
    for name, value in headers.items():
        try:
            out[name] = expand(value, f"httpHeaders[{name!r}]", environ)
        except WebApiConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise WebApiConfigError("; ".join(problems))
    return out


def shown(url: str) -> str:
    """``url`` as errors and provenance show it: without its query, which may hold a key."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path,
                       "..." if parts.query else "", ""))


def _env_name(header: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", header.upper()).strip("_") or "SECRET"


def _integer(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low \
            or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise WebApiConfigError(f"{name} {value!r} must be a whole number {bound}")
    return value


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise WebApiConfigError(f"{name} {value!r} must be a number of seconds, 0 or more")
    return float(value)


@dataclass(frozen=True)
class WebApiParams:
    """The checked parameters of one web API skill (no secret: headers as written)."""

    uri: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    batch_size: int = 1000
    parallelism: int = 5
    allowed_hosts: tuple[str, ...] | None = None
    max_attempts: int = 3
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_answer_bytes: int = 64 * 2 ** 20

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> "WebApiParams":
        uri = params.get("uri")
        if not isinstance(uri, str) or not re.match(r"https?://[^/?#]+", uri, re.IGNORECASE):
            raise WebApiConfigError(f"uri {uri!r}: the web API skill needs the http(s) URL "
                                    "of the custom skill")
        keys = sorted(k for k, v in parse_qsl(urlsplit(uri).query)
                      if _SECRET_QUERY.fullmatch(k) and not _VARIABLE.search(v))
        if keys:
            raise WebApiConfigError(f"uri {shown(uri)} carries a key in its query ({keys}); "
                                    "take it from the environment instead, e.g. "
                                    f"{keys[0]}=${{{_env_name('function ' + keys[0])}}}")
        method = str(params.get("httpMethod", "POST")).upper()
        if method not in ("POST", "PUT"):
            raise WebApiConfigError(f"httpMethod {params.get('httpMethod')!r}: POST or PUT")
        headers = params.get("httpHeaders") or {}
        if not isinstance(headers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise WebApiConfigError("httpHeaders is a mapping of header names to strings")
        forbidden = sorted(k for k in headers if k.lower() in FORBIDDEN_HEADERS)
        if forbidden:
            raise WebApiConfigError(f"httpHeaders may not set {forbidden} (enrich sets them)")
        literal = sorted(k for k, v in headers.items()
                         if _SECRET_HEADER.search(k) and not _VARIABLE.search(v))
        if literal:
            raise WebApiConfigError(f"httpHeaders {literal} carry credentials written in the "
                                    "skillset; take them from the environment instead, e.g. "
                                    f"{literal[0]}: ${{{_env_name(literal[0])}}}")
        allowed = params.get("allowed_hosts")
        if allowed is not None and (isinstance(allowed, str) or not isinstance(allowed, list)):
            raise WebApiConfigError(f"allowed_hosts {allowed!r} is a list of hosts, addresses "
                                    "or networks")
        return cls(uri=uri, method=method, headers=dict(headers),
                   timeout=parse_duration(params.get("timeout", "PT30S")),
                   batch_size=_integer("batchSize", params.get("batchSize", 1000), 1),
                   parallelism=_integer("degreeOfParallelism",
                                        params.get("degreeOfParallelism", 5), 1, 10),
                   allowed_hosts=tuple(allowed) if allowed is not None else None,
                   max_attempts=_integer("max_attempts", params.get("max_attempts", 3), 1, 20),
                   backoff=_seconds("backoff", params.get("backoff", 1.0)),
                   max_backoff=_seconds("max_backoff", params.get("max_backoff", 60.0)),
                   max_answer_bytes=_integer("max_answer_bytes",
                                             params.get("max_answer_bytes", 64 * 2 ** 20), 1))
