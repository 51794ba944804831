"""Small spaCy pipelines for any language, built in code: no download, no training.

:func:`ruler_pipeline` saves a blank pipeline of a language with an ``entity_ruler``
that labels the given phrases, the way a CoNLL-style model would (``PER``, ``LOC``,
``ORG``, ``MISC``). The ``entities`` skill loads it from its folder like any installed
model, so tests can give a page in any language a model whose entities are known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

__all__ = ["ruler_pipeline", "TEXTS"]

# One paragraph per language, long enough for a confident py3langid guess.
TEXTS = {
    "en": "The minister met the delegation in the capital on Monday and spoke about the "
          "economy, the harbour and the future of the industry in the whole region.",
    "fr": "Le ministre a rencontré la délégation dans la capitale lundi et a parlé de "
          "l'économie, du port et de l'avenir de l'industrie dans toute la région.",
    "de": "Der Minister traf die Delegation am Montag in der Hauptstadt und sprach über die "
          "Wirtschaft, den Hafen und die Zukunft der Industrie in der ganzen Region.",
    "es": "El ministro se reunió con la delegación en la capital el lunes y habló de la "
          "economía, del puerto y del futuro de la industria en toda la región.",
}


def ruler_pipeline(path: Path, language: str, phrases: Mapping[str, str]) -> Path:
    """A blank ``language`` pipeline whose ``entity_ruler`` labels each phrase
    (phrase -> label), saved to ``path``."""
    import spacy

    nlp = spacy.blank(language)
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": label, "pattern": phrase} for phrase, label in phrases.items()])
    nlp.meta["name"] = f"ruler_{language}"
    nlp.meta["version"] = "0.0.1"
    nlp.to_disk(path)
    return path
