"""Fixtures for the ``pii`` skill: letters with personal data, and skillsets using it.

The values are made here, not copied: card numbers get their Luhn digit computed,
IBANs their mod-97 check digits, and a "bad" variant of each changes only the last
digit, so it fails the checksum the recognizer applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["luhn_complete", "iban", "es_nif", "pesel", "nhs_number", "pii_values", "pii_letter",
           "pii_email", "pii_skillset", "write_letters"]


def luhn_complete(prefix: str) -> str:
    """``prefix`` with its Luhn check digit appended."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def iban(country: str, bban: str) -> str:
    """A valid IBAN for ``country`` and ``bban`` (check digits by ISO 13616 mod 97)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def es_nif(number: int) -> str:
    """A Spanish NIF: eight digits and their mod-23 letter."""
    return f"{number % 10**8:08d}" + "TRWAGMYFPDXBNJZSQVHLCKE"[number % 10**8 % 23]


def pesel(first10: str) -> str:
    """A Polish PESEL: ten digits and their weighted check digit."""
    total = sum(int(d) * w for d, w in zip(first10, (1, 3, 7, 9) * 3))
    return first10 + str((10 - total % 10) % 10)


def nhs_number(first9: str) -> str:
    """A UK NHS number: nine digits and their mod-11 check digit (none gives 10)."""
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11
    if check == 10:
        raise ValueError(f"{first9} has no NHS check digit; take other digits")
    return first9 + str(check % 11)


def _bad_last_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def _grouped(value: str, size: int = 4) -> str:
    return " ".join(value[i:i + size] for i in range(0, len(value), size))


def pii_values(seed: int = 0) -> dict[str, str]:
    """One value of each kind, varied by ``seed``; ``*_bad`` fail their checksum."""
    card = luhn_complete(f"4{seed % 10}{(seed * 7919) % 10**13:013d}")
    account = iban("DE", f"{(37040044 + seed) % 10**8:08d}{(532013000 + seed) % 10**10:010d}")
    return {
        "ssn": f"{536 + seed % 100:03d}-{22 + seed % 70:02d}-{8147 + seed % 1000:04d}",
        "phone": f"(212) 555-{(187 + seed) % 10000:04d}",
        "email": f"jane.roe{seed}@example.org",
        "card": _grouped(card), "card_bad": _grouped(_bad_last_digit(card)),
        "iban": _grouped(account), "iban_bad": _grouped(_bad_last_digit(account)),
        "ipv4": f"192.168.{seed % 250}.{25 + seed % 200}",
        "ipv6": f"2001:db8:85a3::8a2e:{370 + seed % 100}:7334",
    }


def pii_letter(values: dict[str, str]) -> str:
    """A short letter that mentions every value of :func:`pii_values`."""
    v = values
    return (f"Dear Mr. Miller, my SSN is {v['ssn']} and my card "
            f"{v['card']} was charged twice. The old card {v['card_bad']} was cancelled. "
            f"Please send the refund to IBAN {v['iban']}, not to {v['iban_bad']}. "
            f"Call me at {v['phone']} or write to {v['email']}. "
            f"The login came from {v['ipv4']} and from {v['ipv6']}. "
            "Regards, Anna Schmidt from Hamburg.")


def pii_email(values: dict[str, str]) -> bytes:
    """An e-mail whose subject and body carry the SSN, its body the rest of the letter."""
    return (f"From: Anna Schmidt <{values['email']}>\r\nTo: Payroll <payroll@example.com>\r\n"
            f"Subject: SSN {values['ssn']} for the form\r\n"
            "Date: Mon, 4 Mar 2024 10:00:00 +0000\r\nMessage-ID: <form@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{pii_letter(values)}\r\n").encode("utf-8")


def write_letters(folder: Path, count: int = 2) -> list[dict[str, str]]:
    """``count`` letters as ``letter{i}.txt`` in ``folder``; their values, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        values = pii_values(i)
        (folder / f"letter{i}.txt").write_text(pii_letter(values), encoding="utf-8")
        out.append(values)
    return out


def pii_skillset(mode: str = "redact", keep_original: bool = False, as_entities: bool = False,
                 semantic: bool = False, headers: bool = False) -> dict[str, Any]:
    """A skillset running ``pii`` the documented way: between ``merge`` and what reads
    ``merged_text`` (``join``, ``entities``, ``chunks``), with a ``pii_types`` facet;
    ``headers`` adds an instance over the e-mail subject and recipients."""
    params: dict[str, Any] = {"mode": mode, "keep_original": keep_original,
                              "as_entities": as_entities}
    skills: list[Any] = [
        {"skill": "merge", "outputs": {"merged_text": "raw_text"}},
        {"skill": "pii", "inputs": {"text": "/document/pages/*/raw_text"},
         "outputs": {"redacted_text": "merged_text"}, "params": params},
        "join", {"skill": "entities", "inputs": {"text": "/document/pages/*/merged_text"}},
    ]
    if mode != "redact":
        skills[:2] = ["merge", {"skill": "pii", "params": params}]
    if semantic:
        skills += ["chunks", "embeddings"]
    for name in ("subject", "to") if headers else ():
        skills.append({"skill": "pii", "name": f"pii_{name}", "context": "/document",
                       "inputs": {"text": f"/document/metadata/{name}"},
                       "outputs": {o: f"{o}_{name}" for o in ("pii", "redacted_text",
                                                              "pii_entities")},
                       "params": {"mode": "detect"}})
    entities = ["/document/pages/*/entities"]
    if as_entities:
        entities.append("/document/pages/*/pii_entities")
    return {"name": "pii-test", "skills": skills, "entities": entities,
            "fields": {"pii_types": "/document/pages/*/pii/*/type"}}
