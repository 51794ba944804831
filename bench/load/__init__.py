"""Load on ``enrich serve``: concurrent clients while an index run writes.

    .venv/bin/python -m bench.load [--clients 50] [--seconds 30] [--docs 150] [--work DIR]
        [--keep] [--json]

Steps (printed as they run, then one table; nothing is asserted):

a. **corpus** (``WORK/corpus/{first,second,third}``): ``--docs`` text PDFs in each folder,
   ``--pages`` pages of English prose from :mod:`bench.prose` (people, players, teams,
   brands, organisations, places), written with ``enrich.testing.factories.text_pdf``; every fourth PDF carries an embedded photo, so some results have image
   thumbnails (the others' thumbnail is a page render, requested as ``page_image``).
   Fixed seed; reused under ``--work`` when ``WORK/corpus.json`` matches the parameters.
b. **first index**: ``python -m enrich index WORK/corpus/first --data WORK/data`` (fresh
   data directory, ``HF_HUB_OFFLINE=1``).
c. **server**: ``python -m enrich serve --data WORK/data --host 127.0.0.1 --port P``
   (a free port; loopback only), ready when ``/api/health`` answers 200.
d. **writer**: ``enrich index`` of ``second``, then ``third``, then ``--reindex`` of
   each in turn, one run after the other until the load ends, so the store and the
   search index are written during the whole window. The load starts once the first
   new document is in the store.
e. **load**: ``--clients`` threads, each with its own ``httpx.Client``, loop for
   ``--seconds`` (back to back, or ``--think`` seconds apart on average) over the
   ``MIX`` of requests: search with facets and filters, suggest, documents, image
   thumbnails, page images, files, graph entity / neighbors / ego / evidence / search,
   status, runs. Ids and entity keys come from earlier answers (a warm-up search and
   suggest calls, not measured, seed them). An error is a non-2xx answer, a 2xx answer
   whose body is not what the endpoint promises (JSON, an image), a connection error,
   or no answer within 10 s.
f. **stop**: the writer is interrupted (SIGINT, like Ctrl-C), the server terminated;
   the work folder is deleted unless ``--keep`` or ``--work``.

Printed: per request type and overall, requests, errors, p50/p95/p99/max latency (ms)
and requests/s; the error examples (status and body); how long the index runs
overlapped the window and how many documents they wrote in it; CPU time of server,
index runs and clients (the machine's cores are shared by all three); the server's
log problems. ``--json`` prints the same as one JSON object (progress goes to stderr).
Target: 0 errors. Exit status 2 when the setup failed (no index, no server).

Modules: :mod:`~bench.load.corpus` (a), :mod:`~bench.load.processes` (b-d, f: index runs,
the server, store read-outs), :mod:`~bench.load.client` (e), :mod:`~bench.load.cpu` (CPU
seconds by role), :mod:`~bench.load.report` (the table); ``__main__`` runs the steps.
"""


from __future__ import annotations

import os
import sys
from typing import Any

REQUEST_TIMEOUT = 10.0  # seconds; a slower answer is an error
_progress = {"stream": sys.stdout}


def say(*args: Any) -> None:
    """Print a progress line (to stderr under ``--json``, so stdout stays one JSON object)."""
    print(*args, file=_progress["stream"], flush=True)


def progress_to_stderr(flag: bool) -> None:
    """Send progress lines to stderr (``--json``) or stdout."""
    _progress["stream"] = sys.stderr if flag else sys.stdout


def auth_headers() -> dict[str, str]:
    """The bearer token of ``ENRICH_API_KEY``, when the server is started with one."""
    key = os.environ.get("ENRICH_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}
