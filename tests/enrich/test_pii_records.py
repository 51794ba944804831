"""Redaction in ``to_record`` (no Presidio: the findings are given): e-mail addresses
entity skills report, case, and the chunks kept with ``keep_original``."""

import pytest

from enrich.plan import build_plan
from enrich.records import attach_graph, to_record
from enrich.redaction import cache_allowed
from enrich.skillset import Skillset
from enrich.tree import strings
from enrich.testing.pii_factories import pii_skillset, pii_values
from skills.correspondents import correspondents


def _plan(extra=None, **params):
    data = pii_skillset(**params)
    data["skills"].append("correspondents")
    data["entities"].append("/document/correspondents")
    data["skills"][1]["params"].update(extra or {})
    return build_plan(Skillset.from_dict(data))


def _mail(findings=(), text="Please see the attached form."):
    sender, named, bare = (pii_values(n)["email"] for n in (11, 12, 13))
    headers = {"from": [f"Ann Lee <{sender}>"], "to": [f'"Bo Chan" <{named.upper()}>', bare],
               "cc": []}
    page = {"number": 1, "text": text, "merged_text": text, "pii": list(findings),
            "entities": []}
    provenance = {"/document/correspondents": {"skill": "correspondents", "version": "1"},
                  "/document/pages/*/entities": {"skill": "entities", "version": "3"}}
    doc = {"uri": "file:///mail.eml", "content": text, "pages": [page],
           "metadata": {"file_name": "mail.eml", "content_type": "message/rfc822", **headers},
           "correspondents": correspondents(headers), "provenance": provenance}
    return doc, (sender, named, bare)


@pytest.mark.parametrize("in_worker", [True, False])
def test_correspondent_addresses_never_reach_graph_facets_or_tree_when_redacting(in_worker):
    doc, addresses = _mail()
    plan = _plan()
    if in_worker:  # the graph is worked out before the document is redacted
        attach_graph([doc], plan)
    record = to_record(doc, "file:///", plan)
    people = {m["name"] for m in record.entities}
    assert people == {"Ann Lee", "Bo Chan"}  # the bare address has no name: left out
    seen = [text for part in (record.entities, record.aliases, record.fields, record.tree,
                              record.metadata) for text in strings(part, keys=True)]
    for address in addresses:
        assert not any(address in s.lower() for s in seen), address
    assert "Ann Lee <[EMAIL_ADDRESS]>" in record.metadata["from"]


def test_correspondent_addresses_stay_without_email_redaction():
    for plan in (_plan(mode="detect"), _plan(extra={"entities": "US_SSN"})):
        doc, addresses = _mail()
        record = to_record(doc, "file:///", plan)
        assert {m["text"] for m in record.entities} == set(addresses)


def test_findings_match_whatever_their_case():
    address = pii_values(14)["email"]
    shown = address.title()
    text = f"Write to {address} please."
    at = text.index(address)
    finding = {"type": "EMAIL_ADDRESS", "text": shown, "start": at,
               "end": at + len(address), "confidence": 1.0}
    doc, _ = _mail([finding], text)
    doc["metadata"]["subject"] = f"from {address.upper()}"
    doc["pages"][0]["entities"] = [{"text": address, "type": "ORG", "name": address,
                                    "key": f"ORG:{address}", "start": at,
                                    "end": at + len(address), "confidence": 0.5}]
    record = to_record(doc, "file:///", _plan(mode="redact"))
    assert record.metadata["subject"] == "from [EMAIL_ADDRESS]"
    assert record.content == "Write to [EMAIL_ADDRESS] please."
    assert not any(address in s.lower() for s in strings(record.entities, keys=True))


@pytest.mark.parametrize("keep", [True, False])
def test_stored_chunks_are_redacted_with_keep_original(keep):
    ssn = pii_values(15)["ssn"]
    text = f"My SSN is {ssn}."
    at = text.index(ssn)
    finding = {"type": "US_SSN", "text": ssn, "start": at, "end": at + len(ssn),
               "confidence": 0.85}
    doc, _ = _mail([finding], text)
    doc["chunks"] = [{"index": 0, "page": 1, "start": 0, "end": len(text), "text": text,
                      "vector": [0.5, 0.25]}]
    record = to_record(doc, "file:///", _plan(keep_original=keep))
    assert record.tree["chunks"][0]["text"] == "My SSN is [US_SSN]."
    assert record.tree["chunks"][0]["vector"] == [0.5, 0.25]
    assert (ssn in record.tree["content"]) is keep
    assert ssn not in record.content


def test_the_original_is_kept_only_when_every_redacting_skill_keeps_it():
    """The store and the enrichment cache agree: one redacting skill without
    keep_original wins, and the original is kept nowhere."""
    data = pii_skillset(keep_original=True, headers=True)
    data["skills"][-2]["params"] = {"mode": "redact"}  # pii_subject, keep_original unset
    mixed = build_plan(Skillset.from_dict(data))
    ssn = pii_values(16)["ssn"]
    text = f"My SSN is {ssn}."
    at = text.index(ssn)
    finding = {"type": "US_SSN", "text": ssn, "start": at, "end": at + len(ssn),
               "confidence": 0.85}
    for plan, keep in ((mixed, False), (_plan(keep_original=True), True)):
        doc, _ = _mail([finding], text)
        record = to_record(doc, "file:///", plan)
        assert cache_allowed(plan) is keep
        assert (ssn in record.tree["content"]) is keep
        assert ssn not in record.content
