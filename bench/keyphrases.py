"""Key phrases against a public keyphrase benchmark: F1@5 and F1@10.

Reads a benchmark file the user gives (nothing is downloaded) in the JSON-lines
layout of the Hugging Face ``midas/inspec``-style datasets: one document a line,
``"document"`` (a list of tokens, or a string), and the reference key phrases in
``"extractive_keyphrases"`` and ``"abstractive_keyphrases"`` (or ``"keyphrases"``).
PTB brackets (``-LRB-``) are turned back into ``(``.

Each document's text runs through the ``phrases`` skill (with ``--entities``, after
the spaCy ``entities`` skill, as in the default skillset) and then ``keyphrases``
as the indexer runs them; the script scores (a) the ranked candidates of
``phrases`` and (b) the key phrases ``keyphrases`` keeps (sub-phrases of a better
phrase dropped). As the published baselines do, predicted and reference phrases
are compared exactly after Porter stemming of every word, duplicates (after
stemming) are removed from the predictions, precision at k divides by k, and
F1@k is averaged over documents (macro), in percent, against *all* reference
phrases (present in the text or not).

    .venv/bin/python -m bench.keyphrases PATH/test.jsonl [--limit N] [--entities]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from bench.machine import describe, machine_info

BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}

# Published baselines on Inspec test (500 abstracts), from boudinfl/pke results.md
# ("Benchmarking on inspec", F@5 / F@10, stemmed exact match): theirs, not ours.
BASELINES = {"FirstPhrases": (24.17, 28.68), "TextRank": (26.91, 33.95),
             "SingleRank": (27.40, 34.15), "TopicRank": (24.57, 28.35),
             "PositionRank": (27.90, 32.94), "MultipartiteRank": (25.02, 29.34),
             "TfIdf": (28.37, 35.00)}


def read(path: Path, limit: int | None) -> list[tuple[str, list[str]]]:
    """``(text, reference phrases)`` per document."""
    docs = []
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not JSON ({exc})") from exc
            doc = item.get("document") or item.get("text") or ""
            if isinstance(doc, list):
                doc = " ".join(BRACKETS.get(t, t) for t in doc)
            gold = [*item.get("extractive_keyphrases", []), *item.get("abstractive_keyphrases", []),
                    *item.get("keyphrases", [])]
            docs.append((doc, gold))
            if limit and len(docs) >= limit:
                break
    return docs


# --- Porter stemmer (Porter, 1980), as the keyphrase literature applies it ----------

_V = "aeiou"


def _cons(w: str, i: int) -> bool:
    if w[i] in _V:
        return False
    return not (w[i] == "y" and i > 0 and not _cons(w, i - 1))


def _m(stem: str) -> int:
    form = "".join("c" if _cons(stem, i) else "v" for i in range(len(stem)))
    return len(re.findall("vc", re.sub(r"(.)\1+", r"\1", form)))


def _vowel(stem: str) -> bool:
    return any(not _cons(stem, i) for i in range(len(stem)))


def _cvc(w: str) -> bool:
    return (len(w) >= 3 and _cons(w, -3 % len(w)) and not _cons(w, len(w) - 2)
            and _cons(w, len(w) - 1) and w[-1] not in "wxy")


def _dbl(w: str) -> bool:
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _rules(w: str, rules: list[tuple[str, str]], m_min: int) -> str:
    for suf, rep in rules:
        if w.endswith(suf):
            stem = w[: len(w) - len(suf)]
            return stem + rep if _m(stem) > m_min else w
    return w


_S2 = [("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
       ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
       ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
       ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")]
_S3 = [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
       ("ful", ""), ("ness", "")]
_S4 = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
       "ou", "ism", "ate", "iti", "ous", "ive", "ize"]


def stem(word: str) -> str:
    """The Porter stem of one lower-case word."""
    w = word.lower()
    if len(w) <= 2:
        return w
    if w.endswith("sses") or w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if w.endswith("eed"):
        w = w[:-1] if _m(w[:-3]) > 0 else w
    else:
        for suf in ("ed", "ing"):
            if w.endswith(suf) and _vowel(w[: -len(suf)]):
                w = w[: -len(suf)]
                if w.endswith(("at", "bl", "iz")):
                    w += "e"
                elif _dbl(w) and w[-1] not in "lsz":
                    w = w[:-1]
                elif _m(w) == 1 and _cvc(w):
                    w += "e"
                break
    if w.endswith("y") and _vowel(w[:-1]):
        w = w[:-1] + "i"
    w = _rules(w, _S2, 0)
    w = _rules(w, _S3, 0)
    for suf in sorted(_S4, key=len, reverse=True):
        if w.endswith(suf):
            s = w[: -len(suf)]
            if _m(s) > 1 and (suf != "ion" or s.endswith(("s", "t"))):
                w = s
            break
    if w.endswith("e"):
        s = w[:-1]
        if _m(s) > 1 or (_m(s) == 1 and not _cvc(s)):
            w = s
    if _m(w) > 1 and _dbl(w) and w.endswith("l"):
        w = w[:-1]
    return w


def stems(phrase: str) -> str:
    return " ".join(stem(t) for t in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", phrase.lower()))


def f1_at(pred: list[str], gold: list[str], k: int) -> float:
    seen, top = set(), []
    for p in map(stems, pred):
        if p and p not in seen:
            seen.add(p)
            top.append(p)
    top = top[:k]
    ref = {stems(g) for g in gold if stems(g)}
    hits = sum(p in ref for p in top)
    if not hits:
        return 0.0
    precision, recall = hits / k, hits / len(ref)
    return 2 * precision * recall / (precision + recall)


def run(docs: list[tuple[str, list[str]]], entities: bool, batch: int) -> dict[str, Any]:
    from skills.keyphrases import KeyPhraseSkill
    from skills.phrases import NounPhraseSkill

    nouns, keys = NounPhraseSkill(max_candidates=50), KeyPhraseSkill(top=10)
    nouns.warm_up()
    ents = None
    if entities:
        from skills.entities import EntitySkill
        ents = EntitySkill()
        ents.warm_up()
    candidates, kept, started = [], [], time.perf_counter()
    for start in range(0, len(docs), batch):
        texts = [t for t, _ in docs[start:start + batch]]
        found = [r["entities"] for r in ents.run([{"text": t} for t in texts])] if ents else \
            [[] for _ in texts]
        out = nouns.run([{"pages": [t], "entities": [e]} for t, e in zip(texts, found)])
        candidates.extend([c["text"] for c in r["phrases"]] for r in out)
        records = [{"_doc_id": str(i), "candidates": r["phrases"]} for i, r in enumerate(out)]
        kept.extend([k["text"] for k in r["keyphrases"]]
                    for r in keys.run(records, corpus=_NoStats()))
    seconds = time.perf_counter() - started
    golds = [g for _, g in docs]
    score = {}
    for name, preds in (("phrases (ranked candidates)", candidates), ("keyphrases (deduped)", kept)):
        score[name] = {f"F1@{k}": round(100 * sum(f1_at(p, g, k) for p, g in zip(preds, golds))
                                        / max(1, len(docs)), 2) for k in (5, 10)}
    return {"documents": len(docs), "seconds": round(seconds, 2), "scores": score}


class _NoStats:
    """A TermStats that keeps nothing (keyphrases ranks each document alone)."""

    def add(self, doc_id: str, namespace: str, terms: Any) -> None:
        return None

    def df(self, namespace: str, terms: Any) -> dict[str, int]:
        return {t: 0 for t in terms}

    def documents(self, namespace: str) -> int:
        return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.keyphrases", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", type=Path, help="benchmark JSON lines (e.g. Inspec test.jsonl)")
    p.add_argument("--limit", type=int, default=None, help="only the first N documents")
    p.add_argument("--entities", action="store_true",
                   help="run the spaCy entities skill first, as the default skillset does")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    args = p.parse_args(argv)
    if not args.path.is_file():
        p.error(f"{args.path}: no such file")
    docs = read(args.path, args.limit)
    result = run(docs, args.entities, max(1, args.batch_size))
    result["machine"] = machine_info("spacy")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(describe(result["machine"]))
    print(f"{result['documents']} documents from {args.path}, {result['seconds']} s "
          f"({'with' if args.entities else 'without'} entities)\n")
    print(f"{'method':<36}{'F1@5':>8}{'F1@10':>8}")
    for name, s in result["scores"].items():
        print(f"{'enrich ' + name:<36}{s['F1@5']:>8.2f}{s['F1@10']:>8.2f}")
    print("published (Inspec test, boudinfl/pke results.md; theirs):")
    for name, (f5, f10) in BASELINES.items():
        print(f"{'  ' + name:<36}{f5:>8.2f}{f10:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
