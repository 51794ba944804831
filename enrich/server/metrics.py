"""Request counts and latencies, in the Prometheus text format (``GET /metrics``).

Counted by route template (``/api/documents/{doc_id}``, not each id) and by method
(GET, HEAD, POST, OPTIONS or ``other``), so the number of series stays bounded;
requests no route matched count under ``unmatched``.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "MetricsMiddleware"]

METHODS = {"GET", "HEAD", "POST", "OPTIONS"}  # any other method token counts as "other"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Thread-safe counters and histograms of HTTP requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.started = time.time()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, method, status)] += 1
            counts = self.buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self.sums[route] += seconds

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The exposition text; ``gauges`` maps a name to ``(help, value)``."""
        out = ["# HELP enrich_http_requests_total HTTP requests answered.",
               "# TYPE enrich_http_requests_total counter"]
        with self._lock:
            for (route, method, status), n in sorted(self.requests.items()):
                out.append(f'enrich_http_requests_total{{route="{_label(route)}",'
                           f'method="{method}",status="{status}"}} {n}')
            out += ["# HELP enrich_http_request_duration_seconds Time to answer a request.",
                    "# TYPE enrich_http_request_duration_seconds histogram"]
            for route, counts in sorted(self.buckets.items()):
                label, total = _label(route), 0
                for bound, n in zip(BUCKETS + (float("inf"),), counts):
                    total += n
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    out.append(f'enrich_http_request_duration_seconds_bucket{{route="{label}",'
                               f'le="{le}"}} {total}')
                out.append(f'enrich_http_request_duration_seconds_sum{{route="{label}"}} '
                           f"{self.sums[route]:.6f}")
                out.append(f'enrich_http_request_duration_seconds_count{{route="{label}"}} '
                           f"{total}")
        gauges = {"enrich_uptime_seconds": ("Seconds since the server started.",
                                            time.time() - self.started), **gauges}
        for name, (help_text, value) in gauges.items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(out) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """ASGI middleware timing every HTTP request into a :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.observe(route, method, status[0], time.perf_counter() - start)
