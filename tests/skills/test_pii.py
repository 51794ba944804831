"""The pii skill on real text: what Presidio's recognizers find, checksums, redaction."""

import socket

import pytest

from enrich.testing.pii_factories import es_nif, nhs_number, pesel, pii_letter, pii_values
from skills.pii import PiiSkill
from skills.pii_redact import is_pii_mention, redact_text, replacements, scrub

pytest.importorskip("presidio_analyzer")


@pytest.fixture(scope="module")
def skill():
    s = PiiSkill(mode="redact")
    s.warm_up()
    return s


@pytest.fixture(scope="module", params=[0, 3])
def letter(request, skill):
    values = pii_values(request.param)
    text = pii_letter(values)
    return values, text, skill.run([{"text": text}])[0]


def _by_text(found):
    return {f["text"]: f for f in found}


def test_each_kind_is_found_with_its_type_span_and_confidence(letter):
    values, text, out = letter
    found = _by_text(out["pii"])
    expected = {"ssn": "US_SSN", "card": "CREDIT_CARD", "iban": "IBAN_CODE",
                "phone": "PHONE_NUMBER", "email": "EMAIL_ADDRESS", "ipv4": "IP_ADDRESS",
                "ipv6": "IP_ADDRESS"}
    for kind, pii_type in expected.items():
        assert values[kind] in found, (kind, out["pii"])
        hit = found[values[kind]]
        assert hit["type"] == pii_type
        assert text[hit["start"]:hit["end"]] == values[kind]
        assert 0.3 < hit["confidence"] <= 1.0


def test_checksums_decide_cards_and_ibans(letter):
    values, text, out = letter
    found = _by_text(out["pii"])
    assert found[values["card"]]["confidence"] == 1.0  # Luhn-valid
    assert found[values["iban"]]["confidence"] == 1.0  # mod-97 valid
    bad_card = text.index(values["card_bad"]), text.index(values["card_bad"]) + 19
    bad_iban = text.index(values["iban_bad"]), text.index(values["iban_bad"]) + 27
    for f in out["pii"]:
        assert not (f["type"] == "CREDIT_CARD" and f["start"] == bad_card[0]), f
        assert not (f["type"] == "IBAN_CODE" and f["start"] < bad_iban[1]
                    and f["end"] > bad_iban[0]), f


def test_context_word_raises_the_confidence(skill):
    ssn = pii_values(1)["ssn"]
    with_context = skill.run([{"text": f"Her SSN is {ssn}."}])[0]["pii"]
    without = skill.run([{"text": f"Reference {ssn} was filed."}])[0]["pii"]
    assert with_context[0]["type"] == "US_SSN" and "ssn" in with_context[0]["context"]
    assert all(f["confidence"] < with_context[0]["confidence"] for f in without)


def test_national_ids_of_other_countries_in_an_english_text(skill):
    nif, pl, nhs = es_nif(48273561), pesel("8503151234"), nhs_number("943476591")
    text = f"Her Spanish NIF is {nif}, her PESEL {pl} and her NHS number {nhs}."
    found = {f["text"]: f["type"] for f in skill.run([{"text": text}])[0]["pii"]}
    assert found == {nif: "ES_NIF", pl: "PL_PESEL", nhs: "UK_NHS"}


def test_redact_mode_replaces_every_finding(letter):
    values, _, out = letter
    redacted = out["redacted_text"]
    for kind in ("ssn", "card", "iban", "phone", "email", "ipv4", "ipv6"):
        assert values[kind] not in redacted
    assert "[US_SSN]" in redacted and "[CREDIT_CARD]" in redacted
    assert values["card_bad"] in redacted  # a failed checksum is no card: left alone
    assert redacted.startswith("Dear Mr. Miller") and redacted.endswith("from Hamburg.")


def test_detect_mode_passes_the_text_on_unchanged():
    text = pii_letter(pii_values(2))
    out = PiiSkill().run([{"text": text}])[0]
    assert out["redacted_text"] == text and len(out["pii"]) >= 7


def test_list_parameters_given_as_one_string():
    text = pii_letter(pii_values(6))
    one = PiiSkill(entities="us_ssn", languages="en", needs_context="UK_NHS")
    assert one.entities == ["US_SSN"] and one.languages == ["en"]
    assert one.needs_context == {"UK_NHS"}
    assert {f["type"] for f in one.run([{"text": text}])[0]["pii"]} == {"US_SSN"}
    two = PiiSkill(entities="US_SSN, EMAIL_ADDRESS")
    assert two.entities == ["US_SSN", "EMAIL_ADDRESS"]
    assert PiiSkill(entities="all").entities is None


def test_the_model_id_names_the_versions_that_decide_the_findings():
    from importlib import metadata

    model = PiiSkill().model
    for package in ("presidio-analyzer", "phonenumbers", "tldextract"):
        assert f"{package}-{metadata.version(package)}" in model


def test_types_and_min_confidence_are_parameters():
    text = pii_letter(pii_values(4))
    only_mail = PiiSkill(entities=["email_address"]).run([{"text": text}])[0]["pii"]
    assert [f["type"] for f in only_mail] == ["EMAIL_ADDRESS"]
    sure = PiiSkill(min_confidence=0.9).run([{"text": text}])[0]["pii"]
    types = {f["type"] for f in sure}
    assert {"CREDIT_CARD", "IBAN_CODE", "EMAIL_ADDRESS"} <= types
    assert not types & {"PHONE_NUMBER", "IP_ADDRESS"}  # 0.4 and 0.6 without context


def test_entities_only_when_asked():
    text = pii_letter(pii_values(5))
    assert PiiSkill().run([{"text": text}])[0]["pii_entities"] == []
    entities = PiiSkill(as_entities=True).run([{"text": text}])[0]["pii_entities"]
    ssn = next(e for e in entities if e["type"] == "US_SSN")
    assert ssn["key"].startswith("US_SSN:") and ssn["text"] == pii_values(5)["ssn"]


def test_empty_text_and_bad_mode():
    assert PiiSkill().run([{"text": ""}, {"text": None}])[0]["pii"] == []
    with pytest.raises(ValueError, match="mode"):
        PiiSkill(mode="erase")


def test_email_domain_check_never_uses_the_network(monkeypatch):
    from skills import pii_engine

    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    pii_engine._tld_extractor.cache_clear()
    recognizer = pii_engine.OfflineEmailRecognizer()
    assert recognizer.validate_result("someone@mail.example.co.uk") is True
    assert recognizer.validate_result("someone@host") is False


def test_redact_text_and_scrub_keep_ids():
    text = "call 555-0100 or 555-0100"
    findings = [{"type": "PHONE_NUMBER", "text": "555-0100", "start": 5, "end": 13},
                {"type": "PHONE_NUMBER", "text": "555-0100", "start": 17, "end": 25}]
    assert redact_text(text, findings, "<{type}>") == "call <PHONE_NUMBER> or <PHONE_NUMBER>"
    values = replacements(findings, "[{type}]")
    tree = {"uri": "file:///555-0100.txt", "pages": [{"text": text, "n": 1}],
            "metadata": {"subject": "555-0100"}}
    out = scrub(tree, values)
    assert out["uri"] == tree["uri"] and out["pages"][0]["n"] == 1
    assert out["pages"][0]["text"] == "call [PHONE_NUMBER] or [PHONE_NUMBER]"
    assert out["metadata"]["subject"] == "[PHONE_NUMBER]"
    assert tree["pages"][0]["text"] == text  # the original is left as it was


def test_values_match_whatever_their_case():
    address = pii_values(7)["email"]
    shown = address.title()
    findings = [{"type": "EMAIL_ADDRESS", "text": shown, "context": []}]
    out = scrub({"body": f"to {address}, cc {address.upper()}"},
                replacements(findings, "[{type}]"))
    assert out["body"] == "to [EMAIL_ADDRESS], cc [EMAIL_ADDRESS]"
    assert is_pii_mention({"text": address}, findings)
    assert is_pii_mention({"text": shown.upper()}, findings)


def test_pii_mentions():
    findings = [{"type": "US_SSN", "text": "536-22-8147", "context": ["ssn", "social",
                                                                      "security"]}]
    assert is_pii_mention({"text": "SSN"}, findings)
    assert is_pii_mention({"text": "Social Security"}, findings)
    assert is_pii_mention({"text": "536-22-8147"}, findings)
    assert is_pii_mention({"text": "[US_SSN]"}, findings)
    assert is_pii_mention({"text": "536-22"}, findings)
    assert not is_pii_mention({"text": "Anna Schmidt"}, findings)
    mail = [{"type": "EMAIL_ADDRESS", "text": "Anna.Schmidt@example.org", "context": []}]
    assert not is_pii_mention({"text": "Anna"}, mail)
    assert is_pii_mention({"text": "mail Anna.Schmidt@example.org"}, mail)
    assert not is_pii_mention({"text": "Social Democrats"}, findings)


def test_bare_checksummed_numbers_need_a_context_word(skill):
    nhs = nhs_number("943476591")
    bare = skill.run([{"text": f"Totals 2023: {nhs} units."}])[0]["pii"]
    assert not any(f["type"] == "UK_NHS" for f in bare)
    taken = PiiSkill(needs_context=[]).run([{"text": f"Totals 2023: {nhs} units."}])[0]["pii"]
    assert any(f["type"] == "UK_NHS" and f["text"] == nhs for f in taken)


def test_languages_use_presidio_recognizers_of_that_language():
    values = pii_values(6)
    text = (f"Mi tarjeta {values['card']} y mi NIF {es_nif(31415926)}; "
            f"escríbame a {values['email']}.")
    found = {f["type"] for f in PiiSkill(languages=["es"]).run([{"text": text}])[0]["pii"]}
    assert found == {"CREDIT_CARD", "ES_NIF", "EMAIL_ADDRESS"}
    german = f"Meine IBAN ist {values['iban']}, Telefon {values['phone']}."
    found = {f["type"] for f in PiiSkill(languages=["de"]).run([{"text": german}])[0]["pii"]}
    assert {"IBAN_CODE", "PHONE_NUMBER"} <= found
