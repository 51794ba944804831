"""LanguageSkill: real detection on small texts."""

import pytest

from skills.language import LanguageSkill

ENGLISH = "The players reviewed the game notes after a long season, and the coach was pleased."
GERMAN = ("Die Spieler lasen nach einer langen Saison die Spielberichte, "
          "und der Trainer war zufrieden.")
FRENCH = ("Les joueurs ont relu les notes du match après une longue saison, "
          "et l'entraîneur était content.")


@pytest.fixture(scope="module")
def skill():
    skill = LanguageSkill()
    skill.warm_up()
    return skill


def test_detects_english_german_french(skill):
    results = skill.run([{"text": ENGLISH}, {"text": GERMAN}, {"text": FRENCH}])
    assert [r["language"] for r in results] == ["en", "de", "fr"]
    for r in results:
        assert 0.5 < r["language_confidence"] <= 1.0


def test_short_or_missing_text_gives_none(skill):
    results = skill.run([{"text": "Hi there"}, {"text": "12345 67890 !!! 2024-01-01"},
                         {"text": ""}, {"text": None}, {}])
    assert results == [{"language": None, "language_confidence": None}] * 5


def test_only_the_first_max_chars_are_read():
    skill = LanguageSkill(max_chars=len(GERMAN))
    [result] = skill.run([{"text": GERMAN + " " + ENGLISH * 20}])
    assert result["language"] == "de"


def test_min_confidence_abstains_but_keeps_confidence():
    [result] = LanguageSkill(min_confidence=1.01).run([{"text": ENGLISH}])
    assert result["language"] is None
    assert 0.5 < result["language_confidence"] <= 1.0


def test_languages_restricts_the_candidates():
    [result] = LanguageSkill(languages=["de", "fr"]).run([{"text": ENGLISH}])
    assert result["language"] in {"de", "fr"}


def test_declaration_and_provenance():
    skill = LanguageSkill()
    assert (skill.name, skill.context, skill.outputs) == (
        "language", "/document", ("language", "language_confidence"))
    assert skill.inputs == {"text": "/document/content"}
    assert skill.model.startswith("py3langid-0.")
    assert skill.params["max_chars"] == 5000
