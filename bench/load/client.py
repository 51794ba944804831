"""The load: client threads over a weighted mix of API requests, and their latencies."""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Any

from bench import prose
from bench.load import REQUEST_TIMEOUT, auth_headers

FACETS = ("people", "organizations", "keyphrases", "locations")
ERROR_EXAMPLES = 20

# Request types and their share of the mix (weights, in percent).
MIX = {
    "search": 30, "suggest": 14, "document": 12, "thumbnail": 8, "page_image": 3, "file": 2,
    "entity": 3, "neighbors": 8, "ego": 6, "evidence": 2, "graph_search": 5, "status": 5,
    "runs": 2,
}
WORDS = ["shoes", "sponsorship", "budget", "stadium", "merger", "contract", "clinic", "storm",
         "flight", "tickets", "committee", "report", "agreement", "charity", "broadcast",
         "points", "coach", "reporters", "schedule", "findings", "damage", "delayed", "training"]
PHRASES = ['"LeBron James"', '"World Bank"', '"stadium lease"', '"supply agreement"',
           '"Red Cross"', '"Golden State Warriors"', '"annual report"', '"New York City"',
           '"training centre"', '"youth basketball programme"']


class Pools:
    """What earlier answers taught the clients: ids, thumbnails, entities, facet values."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.docs: list[str] = []
        self.thumbs: list[str] = []
        self.entities: list[tuple[str, str, str]] = []  # (name, type, key)
        self.pairs: list[tuple[str, str]] = []  # keys of co-occurring entities
        self.facets: list[tuple[str, str]] = []  # (field, value)

    @staticmethod
    def _add(items: list, value: Any, cap: int, rng: random.Random) -> None:
        if value in items:
            return
        if len(items) < cap:
            items.append(value)
        else:
            items[rng.randrange(cap)] = value

    def add(self, kind: str, value: Any, rng: random.Random) -> None:
        cap = {"docs": 2000, "thumbs": 1000, "entities": 1000, "pairs": 1000, "facets": 500}[kind]
        with self.lock:
            self._add(getattr(self, kind), value, cap, rng)

    def pick(self, kind: str, rng: random.Random) -> Any:
        with self.lock:
            items = getattr(self, kind)
            return rng.choice(items) if items else None


def search_query(rng: random.Random, pools: Pools) -> str:
    """A query of the mix: words, phrases, boolean, prefix, field, match-all."""
    r = rng.random()
    if r < 0.30:
        return rng.choice([rng.choice(prose.PLACES).split()[-1], rng.choice(prose.LAST),
                           rng.choice(prose.BRANDS), rng.choice(WORDS), rng.choice(prose.FIRST)])
    if r < 0.45:
        return rng.choice(PHRASES)
    if r < 0.60:
        a, b = rng.choice(prose.BRANDS + prose.LAST), rng.choice(prose.PLACES).split()[0]
        return rng.choice([f"{a} AND {b}", f"{a} OR {b}", f"{b} NOT {a}", f"{a} {rng.choice(WORDS)}"])
    if r < 0.70:
        return rng.choice(prose.PLACES + prose.LAST + WORDS)[:4] + "*"
    if r < 0.80:
        name = pools.pick("entities", rng)
        field = {"PERSON": "people", "ORG": "organizations", "GPE": "locations"}.get(name[1] if name else "")
        if field:
            return f'{field}:"{name[0]}"'
        return "file_type:pdf"
    if r < 0.88:
        return "*"
    return f"{rng.choice(WORDS)} {rng.choice(prose.PLACES)}"


def build(kind: str, rng: random.Random, pools: Pools) -> tuple[str, str, list[tuple[str, str]]]:
    """(kind actually used, path, query parameters); falls back to a search when the pools
    have nothing for ``kind`` yet."""
    if kind == "suggest":
        name = rng.choice(prose.FAMOUS + prose.ORGS + prose.PLACES + [prose.person(rng)])
        name = name.removeprefix("the ")
        params = [("q", name[:rng.randint(2, 5)]), ("limit", "8")]
        entity = pools.pick("entities", rng)
        if entity and rng.random() < 0.2:
            params.append(("kind", entity[1]))
        return kind, "/api/suggest", params
    if kind in ("document", "page_image", "file"):
        doc = pools.pick("docs", rng)
        if doc:
            if kind == "document":
                return kind, f"/api/documents/{doc}", [("tree", "true")] if rng.random() < 0.1 else []
            if kind == "page_image":
                return kind, f"/api/documents/{doc}/pages/1/image", [("width", str(rng.choice([200, 200, 400, 800])))]
            return kind, f"/api/documents/{doc}/file", []
    if kind == "thumbnail":
        url = pools.pick("thumbs", rng)
        if url:
            return kind, url, [("size", str(rng.choice([64, 128, 256])))]
    if kind in ("entity", "neighbors", "ego", "evidence"):
        # Entities are named by key (``PERSON:lebron james``), as picked from suggest: a bare
        # name is often ambiguous (the same name tagged PERSON and ORG), a 400 by design.
        entity = pools.pick("entities", rng)
        if entity:
            name, etype, key = entity
            if kind == "entity":
                return kind, "/api/graph/entity", ([("name", name), ("kind", etype)]
                                                   if rng.random() < 0.5 else [("name", key)])
            if kind == "neighbors":
                return kind, "/api/graph/neighbors", [
                    ("entity", key), ("rank", rng.choice(["count", "npmi", "llr"])), ("limit", "20"),
                    *([("kind", rng.choice(["PERSON", "ORG", "GPE"]))] if rng.random() < 0.2 else [])]
            if kind == "ego":
                radius2 = rng.random() < 0.2  # radius 2 allows limit <= 14 (limit ** radius <= 200)
                return kind, "/api/graph/ego", [("entity", key), ("radius", "2" if radius2 else "1"),
                                                ("limit", "14" if radius2 else "25")]
            pair = pools.pick("pairs", rng)
            if pair:
                return kind, "/api/graph/evidence", [("a", pair[0]), ("b", pair[1]), ("limit", "10")]
    if kind == "graph_search":
        return kind, "/api/graph/search", [("q", search_query(rng, pools)), ("limit", "25")]
    if kind == "status":
        return kind, "/api/status", []
    if kind == "runs":
        return kind, "/api/runs", [("limit", "20")]
    # search (and every fallback)
    params = [("q", search_query(rng, pools))]
    params += [("facet", f) for f in rng.sample(FACETS, rng.randint(1, 3))]
    if rng.random() < 0.25:
        facet = pools.pick("facets", rng)
        if facet:
            params.append(("filter", f"{facet[0]}:{facet[1]}"))
    if rng.random() < 0.2:
        params.append(("top", "25"))
    if rng.random() < 0.15:
        params.append(("skip", "10"))
    if rng.random() < 0.1:
        params.append(("sort", rng.choice(["uri", "-uri"])))
    return "search", "/api/search", params


def harvest(kind: str, body: Any, pools: Pools, rng: random.Random) -> str | None:
    """Feed the pools from an answer; return a problem with its shape, or None."""
    if not isinstance(body, dict):
        return "not a JSON object"
    if kind == "search":
        if not isinstance(body.get("results"), list):
            return "no results list"
        for hit in body["results"]:
            if hit.get("id"):
                pools.add("docs", hit["id"], rng)
            if "/images/" in (hit.get("thumbnail") or ""):  # not page renders: see page_image
                pools.add("thumbs", hit["thumbnail"], rng)
        for field, values in (body.get("facets") or {}).items():
            for v in values[:20]:
                if field != "keyphrases" or rng.random() < 0.2:
                    pools.add("facets", (field, v.get("value")), rng)
    elif kind == "suggest":
        if not isinstance(body.get("suggestions"), list):
            return "no suggestions list"
        for s in body["suggestions"]:
            if s.get("name") and s.get("type") and s.get("key"):
                pools.add("entities", (s["name"], s["type"], s["key"]), rng)
    elif kind == "document":
        if not body.get("id"):
            return "no id"
        for image in body.get("images") or []:
            if "/images/" in (image.get("thumbnail") or ""):
                pools.add("thumbs", image["thumbnail"], rng)
    elif kind == "neighbors":
        center = (body.get("entity") or {}).get("key")
        if not isinstance(body.get("neighbors"), list):
            return "no neighbors list"
        for n in body["neighbors"][:5]:
            if center and n.get("key"):
                pools.add("pairs", (center, n["key"]), rng)
    elif kind in ("ego", "graph_search") and not (
            isinstance(body.get("nodes"), list) and isinstance(body.get("edges"), list)):
        return "no nodes/edges"
    return None


def check(kind: str, response: Any, elapsed: float, pools: Pools, rng: random.Random
          ) -> tuple[str | None, str]:
    """(problem or None, the body to show): an answer must be 2xx, in time and of its kind."""
    status, ctype, content = response.status_code, response.headers.get("content-type", ""), response.content
    if not 200 <= status < 300:
        return f"HTTP {status}", response.text[:500]
    if elapsed > REQUEST_TIMEOUT:
        return "timeout (answered after 10 s)", ""
    if kind in ("thumbnail", "page_image"):
        if not ctype.startswith("image/") or not content:
            return f"not an image ({ctype})", content[:200].decode("latin-1")
        return None, ""
    if kind == "file":
        return ("empty file" if not content else None), ""
    try:
        problem = harvest(kind, response.json(), pools, rng)
    except ValueError:
        problem = f"not JSON ({ctype})"
    return problem, response.text[:500] if problem else ""


def note_example(examples: list, lock: threading.Lock, example: dict[str, Any]) -> None:
    """Keep the first ERROR_EXAMPLES errors, at most three of each request type and problem."""
    with lock:
        same = sum(1 for e in examples
                   if e["type"] == example["type"] and e["problem"] == example["problem"])
        if len(examples) < ERROR_EXAMPLES and same < 3:
            examples.append(example)


def client(number: int, base: str, deadline: float, pools: Pools, think: float,
           results: list, examples: list, examples_lock: threading.Lock) -> None:
    """One client thread: requests from the mix until ``deadline``, each timed and checked."""
    import httpx

    rng = random.Random(f"client-{number}")
    kinds, weights = list(MIX), list(MIX.values())
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, headers=auth_headers()) as http:
        while time.monotonic() < deadline:
            kind, path, params = build(rng.choices(kinds, weights)[0], rng, pools)
            status, t0 = None, time.perf_counter()
            try:
                response = http.get(path, params=params)
                elapsed = time.perf_counter() - t0
                status = response.status_code
                problem, body_text = check(kind, response, elapsed, pools, rng)
            except httpx.TimeoutException as exc:
                elapsed, problem, body_text = time.perf_counter() - t0, f"timeout ({type(exc).__name__})", ""
            except httpx.HTTPError as exc:
                elapsed, problem, body_text = time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", ""
            results.append((kind, elapsed * 1000.0, problem and problem.split(":")[0], status))
            if problem is not None:
                url = path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")
                note_example(examples, examples_lock, {
                    "type": kind, "url": url, "status": status, "problem": problem,
                    "body": body_text, "at_s": None, "t": time.monotonic()})
            if think:
                time.sleep(rng.uniform(0, 2 * think))


def warm_up(base: str, pools: Pools) -> dict[str, Any]:
    """Seed the pools (not measured): one facetted search and suggest calls for its values."""
    import httpx

    rng = random.Random("warm-up")
    notes: dict[str, Any] = {"problems": []}
    with httpx.Client(base_url=base, timeout=30.0, headers=auth_headers()) as http:
        r = http.get("/api/search", params=[("q", "*"), ("top", "100"), ("facet_size", "30")]
                     + [("facet", f) for f in FACETS])
        if r.status_code != 200:
            notes["problems"].append(f"search q=*: {r.status_code} {r.text[:300]}")
            names = prose.FAMOUS + prose.ORGS[:8]
        else:
            body = r.json()
            notes["documents"] = body.get("count")
            harvest("search", body, pools, rng)
            facets = body.get("facets") or {}
            names = [v["value"] for f in ("people", "organizations", "locations")
                     for v in (facets.get(f) or [])[:15]]
        for name in names:
            r = http.get("/api/suggest", params={"q": name, "limit": "3"})
            if r.status_code == 200:
                harvest("suggest", {"suggestions": r.json().get("suggestions", [])[:1]}, pools, rng)
            else:
                notes["problems"].append(f"suggest q={name}: {r.status_code} {r.text[:300]}")
    notes.update({k: len(getattr(pools, k)) for k in ("docs", "thumbs", "entities", "facets")})
    return notes


def percentile(sorted_values: list[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile of already sorted values."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def summarize(results: list, seconds: float) -> dict[str, Any]:
    """Per request type and ``all``: requests, errors, latency percentiles, requests/s."""
    by_kind: dict[str, list] = {}
    for item in results:
        by_kind.setdefault(item[0], []).append(item)
    rows = {}
    for kind in [k for k in MIX if k in by_kind] + ["all"]:
        items = results if kind == "all" else by_kind[kind]
        lat = sorted(i[1] for i in items)
        rows[kind] = {"requests": len(items), "errors": sum(1 for i in items if i[2] is not None),
                      "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
                      "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else None,
                      "per_s": len(items) / seconds if seconds else None}
    return rows


def run_load(base: str, clients: int, seconds: float, think: float, pools: Pools
             ) -> tuple[list, list, float, float, float]:
    """``clients`` threads for ``seconds``: (results, error examples, seconds, client CPU, start)."""
    results: list = []  # list.append is atomic: one list for every thread
    examples: list = []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + seconds
    cpu0 = time.process_time()
    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True,
                                args=(i, base, deadline, pools, think, results, examples, lock))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT * 3 + 30)
    elapsed = time.monotonic() - start
    for e in examples:
        e["at_s"] = round(e.pop("t") - start, 2)
    return results, examples, elapsed, time.process_time() - cpu0, start
