"""What the API tests share: the corpus's document names and small request helpers."""

from __future__ import annotations

ALL = ["again.pdf", "harbour.pdf", "ledger.csv#row=1", "ledger.csv#row=2", "memo.docx",
       "notes.md", "roster.txt", "gone.txt", "visit.pdf"]


def get(client, url, **params):
    response = client.get(url, params=params)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()


def search(client, **params) -> dict:
    return get(client, "/api/search", **params)


def names_of(found: dict, indexed) -> list[str]:
    by_id = {doc_id: name for name, doc_id in indexed.ids.items()}
    return [by_id[hit["id"]] for hit in found["results"]]


def buckets(found: dict, field: str) -> dict[str, int]:
    return {b["value"]: b["count"] for b in found["facets"][field]}
