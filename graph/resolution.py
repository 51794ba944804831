"""Corpus-level entity resolution: the decision for each name, from corpus evidence.

Pure functions: no I/O. The store keeps the evidence up to date, document by
document, and asks :func:`decide` again for every name a batch touched; this
docstring is the contract between them.

A mention's **name** is the name part of its per-document key (``raw_key``, from
:func:`graph.normalize.resolve`). For each name the corpus holds :class:`Facts`: its
documents and mentions (how many start a sentence, how many are written in capitals),
its type votes, the acronym it is defined as, the longer names that share its words,
and the case counts of its words. :func:`decide` gives a :class:`Decision`: the
*target* name, the *type* (None: each mention keeps its own per-document type) and
whether the name is *rejected*; ``Decision.key(raw_key)`` is the mention's entity key
(None when rejected). The switchable rules (:data:`RULES`, all on by default):

- ``acronyms``: a name defined as an acronym somewhere ("Federal Bureau of
  Investigation (FBI)") stands for its long form (the target most documents define).
- ``common_words``: a capitalised name is rejected when every word of it is mostly
  written in lower case elsewhere in the corpus: more lower-case occurrences than
  capitalised ones that do not start a sentence, and at least two; for a name found
  only at sentence starts (or line and field starts), one lower-case occurrence and
  no fewer than capitalised ones suffice. A name mostly written in capitals (an
  acronym) is never rejected.
- ``short_forms``: a name joins the one longer name it abbreviates: the leading or
  trailing words of a PERSON name (a first name, a surname), the trailing words of
  an ORG name (not after a function word: "Hartwell" is not "Bank of Hartwell"), or two or
  more leading words of one when the name is itself voted ORG
  (:func:`graph.resolution_forms.abbreviates`). A long form in fewer than one
  :data:`SUPPORT`-th of the documents where the short name stands alone is not one
  (a recogniser's run-on span, "Kim Lee hired Ann Bo", must not swallow a name used
  everywhere; a surname far more common alone than its full name is left alone).
  With several candidates, the one in the most documents wins if it is in at least
  :data:`DOMINANCE` times as many as the next (so one stray namesake does not stop
  the join, while two comparable ones do). Any model type may join (a surname typed
  GPE joins the PERSON).
- ``type_vote``: the type is the vote of the name's mentions across the corpus, each
  for its per-document type, weighing its confidence (:data:`NO_CONFIDENCE` when it
  has none); a type given by the user's dictionary or gallery (mentions marked
  ``authority``, from :data:`AUTHORITY_SKILLS`) wins over the model's. A split vote
  (:func:`clear_type`: the runner-up given in several mentions, the winner short of
  two thirds of the weight) decides nothing: each mention keeps its own type. The key
  is ``TYPE:target``, so every raw key of a name lands on one entity. Off, a mention
  keeps its per-document type, and a joined one takes the long form's commonest.
- ``boundaries``: spans are cleaned before any of this (``graph.resolution_text``).

>>> facts = Facts(stats={"james": (3, 4, 0, 0), "kim james": (5, 9, 0, 0)},
...               votes={"james": {"GPE": (0.5, 0, 1), "PERSON": (1.2, 0, 3)},
...                      "kim james": {"PERSON": (4.0, 0, 9)}},
...               containing={"james": ["kim james"]})
>>> d = decide("james", facts, DEFAULT_RULES)
>>> d, d.key("GPE:james")
(Decision(target='kim james', type='PERSON', rejected=False), 'PERSON:kim james')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.normalize import type_rank
from graph.resolution_forms import abbreviates, affixes

__all__ = ["RULES", "DEFAULT_RULES", "check_rules", "AUTHORITY_SKILLS", "FACET_FIELDS",
           "NO_CONFIDENCE", "DOMINANCE", "SUPPORT", "CLEAR_SHARE", "SPLIT_MENTIONS",
           "vote_weight",
           "clear_type", "Decision", "Facts", "decide", "name_of",
           "type_of", "name_contributions", "voted_type", "is_common", "words_of",
           "affixes"]

RULES = ("acronyms", "short_forms", "type_vote", "boundaries", "common_words")
DEFAULT_RULES = dict.fromkeys(RULES, True)
AUTHORITY_SKILLS = frozenset({"entity_lookup", "labels"})  # the user's dictionary, gallery
FACET_FIELDS = {"PERSON": "people", "ORG": "organizations", "GPE": "locations",
                "LOC": "locations", "FAC": "locations"}
NO_CONFIDENCE = 0.5
DOMINANCE = 3
SUPPORT = 3
CLEAR_SHARE = 2 / 3
SPLIT_MENTIONS = 3

Stats = tuple[int, int, int, int]  # documents, mentions, sentence-initial, in capitals
Votes = dict[str, tuple[float, float, int]]  # type -> (weight, authority, raw mentions)


def check_rules(value: Any) -> dict[str, bool]:
    """The switches of a skillset's ``resolution:`` mapping, defaults filled in.

    >>> check_rules({"short_forms": False})["short_forms"], check_rules(None)["acronyms"]
    (False, True)
    """
    if value is None:
        return dict(DEFAULT_RULES)
    if not isinstance(value, Mapping):
        raise ValueError(f"resolution must be a mapping of rule -> true/false, got {value!r}")
    unknown = sorted(set(value) - set(RULES))
    if unknown:
        raise ValueError(f"unknown resolution rules {unknown}; the rules are {list(RULES)}")
    bad = sorted(k for k, v in value.items() if not isinstance(v, bool))
    if bad:
        raise ValueError(f"resolution rules {bad} must be true or false")
    return {**DEFAULT_RULES, **value}


def name_of(key: str) -> str:
    return key.split(":", 1)[-1]


def type_of(key: str) -> str:
    return key.split(":", 1)[0]


def words_of(name: str) -> list[str]:
    return name.split()


@dataclass(frozen=True)
class Decision:
    """What a name resolves to (see the module doc)."""

    target: str
    type: str | None = None
    rejected: bool = False

    def key(self, raw_key: str) -> str | None:
        """The entity key of a mention with this ``raw_key``, None when rejected."""
        if self.rejected:
            return None
        return f"{self.type or type_of(raw_key)}:{self.target}"


@dataclass
class Facts:
    """The corpus evidence :func:`decide` reads (missing entries mean none)."""

    stats: dict[str, Stats] = field(default_factory=dict)
    votes: dict[str, Votes] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # name -> the key it stands for
    containing: dict[str, list[str]] = field(default_factory=dict)  # name -> longer names
    cases: dict[str, tuple[int, int]] = field(default_factory=dict)  # word -> (low, capital)


def name_contributions(mentions: Iterable[Mapping[str, Any]]
                       ) -> tuple[dict[str, list[int]], dict[tuple[str, str], list[float]]]:
    """One document's share of the evidence: ``{name: [1, mentions, initial, capitals]}``
    and ``{(name, type): [weight, authority, raw mentions]}``. A mention votes for its
    per-document type (the raw key's: the document's majority, or the long form's for
    a short form), weighing its confidence; one from the user's dictionary or gallery
    votes with authority for the type it gave (``label``)."""
    stats: dict[str, list[int]] = {}
    votes: dict[tuple[str, str], list[float]] = {}
    for m in mentions:
        raw = m["key"]
        name, raw_type = name_of(raw), type_of(raw)
        text = m.get("text") or ""
        row = stats.setdefault(name, [1, 0, 0, 0])
        row[1] += 1
        row[2] += bool(m.get("initial"))
        row[3] += sum(c.isalpha() for c in text) > 1 and text.upper() == text
        authority = bool(m.get("authority"))
        voted = (m.get("label") or raw_type) if authority else raw_type
        confidence = m.get("confidence")
        vote = votes.setdefault((name, voted), [0.0, 0.0, 0])
        vote[0] += vote_weight(confidence)
        vote[1] += authority
        votes.setdefault((name, raw_type), [0.0, 0.0, 0])[2] += 1
    return stats, votes


def vote_weight(confidence: float | None) -> int:
    """A mention's weight in the type vote, in thousandths of a confidence: whole numbers,
    so that adding a document's votes and subtracting them again (a deletion, another
    batch order) gives exactly the sums a fresh index gives; floats would drift, and a
    drifted tie could flip an entity's type.

    >>> vote_weight(0.3) + vote_weight(0.7) - vote_weight(0.7) == vote_weight(0.3)
    True
    """
    return round(1000 * (NO_CONFIDENCE if confidence is None else float(confidence)))


def voted_type(votes: Votes | None, weighted: bool = True) -> str | None:
    """The winning type: authority votes first, else confidence weights (``weighted``),
    or the commonest raw type; ties by ``TYPE_PREFERENCE``."""
    if not votes:
        return None
    if weighted:
        ballots = {t: a for t, (_, a, _) in votes.items() if a > 0} or \
            {t: w for t, (w, _, _) in votes.items() if w > 0}
    else:
        ballots = {t: n for t, (_, _, n) in votes.items() if n > 0}
    if not ballots:
        return None
    return min(ballots, key=lambda t: (-ballots[t], type_rank(t)))


def clear_type(votes: Votes | None) -> str | None:
    """The voted type, or None (each mention keeps its own) when the vote is split: the
    runner-up was given in at least :data:`SPLIT_MENTIONS` mentions and the winner holds
    less than :data:`CLEAR_SHARE` of the weight (a model that types a name one way
    here and another way there, many times each, is not overruled by a narrow
    majority; a few odd ones are). An authority vote is never split."""
    winner = voted_type(votes)
    if winner is None or not votes or votes[winner][1] > 0:
        return winner
    total = sum(w for w, _, _ in votes.values() if w > 0)
    split = any(t != winner and n >= SPLIT_MENTIONS and w > 0
                for t, (w, _, n) in votes.items())
    return None if split and votes[winner][0] < CLEAR_SHARE * total else winner


def is_common(name: str, facts: Facts) -> bool:
    """Whether the name is a capitalised common word (rule ``common_words``)."""
    documents, mentions, initial, capitals = facts.stats.get(name, (0, 0, 0, 0))
    words = [w for w in words_of(name) if any(c.isalpha() for c in w)]
    if not mentions or not words or capitals * 2 > mentions:
        return False
    only_initial = initial >= mentions
    for word in words:
        low, cap = facts.cases.get(word, (0, 0))
        if not ((low >= 1 and low >= cap) if only_initial else (low >= 2 and low > cap)):
            return False
    return True


def _long_form(name: str, own_type: str | None, facts: Facts, weighted: bool) -> str | None:
    """The one longer name ``name`` abbreviates, or None."""
    found = []
    floor = facts.stats.get(name, (0,))[0] / SUPPORT
    for long in facts.containing.get(name, ()):
        long_type = voted_type(facts.votes.get(long), weighted)
        documents = facts.stats.get(long, (0,))[0]
        if long != name and documents >= floor and not is_common(long, facts) and \
                abbreviates(name, own_type, long, long_type):
            found.append((documents, long))
    found.sort(key=lambda hit: (-hit[0], hit[1]))
    if len(found) == 1 or (len(found) > 1 and found[0][0] >= DOMINANCE * found[1][0]):
        return found[0][1]
    return None


def decide(name: str, facts: Facts, rules: Mapping[str, bool]) -> Decision:
    """The decision for ``name`` under ``rules`` (see the module doc)."""
    weighted = rules.get("type_vote", True)
    own_type = voted_type(facts.votes.get(name), weighted)
    alias = facts.aliases.get(name) if rules.get("acronyms", True) else None
    if alias is not None and name_of(alias) != name:
        target = name_of(alias)
        voted = voted_type(facts.votes.get(target), True) if weighted else None
        return Decision(target, voted or type_of(alias))
    if rules.get("common_words", True) and is_common(name, facts):
        return Decision(name, None, True)
    long = _long_form(name, own_type, facts, weighted) if rules.get("short_forms", True) \
        else None
    if long is not None:
        return Decision(long, voted_type(facts.votes.get(long), weighted))
    return Decision(name, clear_type(facts.votes.get(name)) if weighted else None)
