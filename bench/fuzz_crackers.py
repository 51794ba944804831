"""Mutation fuzzing of the crackers, the long run (``enrich.testing.fuzz``).

    .venv/bin/python -m bench.fuzz_crackers [--seconds 300] [--seed 1] [--limit N]

Damages the seed files of every supported format at random (flips, deletions,
duplications, insertions, truncations, splices) and cracks each result the way a run
does, for ``--seconds`` (or ``--limit`` inputs). Prints the outcomes per format (ok,
partial, failed with a reason, error, timeout) and, for each error or timeout, the
format, the reason and the (seed, input number) that reproduces it. Exit status 1 when
any input gave an error or a timeout: a cracker to fix.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import time
import warnings

from bench.machine import describe, machine_info
from enrich.testing.fuzz import OUTCOMES, mutate, outcome, seeds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_crackers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="how long (default 300)")
    parser.add_argument("--limit", type=int, default=None, help="stop after N inputs")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.simplefilter("ignore")  # pypdf/Pillow complain of every damaged file
    logging.disable(logging.CRITICAL)
    print(describe(machine_info("pypdfium2", "pillow", "python-docx")))
    files = seeds()
    names, others = sorted(files), list(files.values())
    rng = random.Random(args.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems: list[tuple[int, str, str, str]] = []
    started, tried = time.monotonic(), 0
    while time.monotonic() - started < args.seconds and (args.limit is None
                                                          or tried < args.limit):
        name = rng.choice(names)
        kind, detail = outcome(name, mutate(files[name], rng, others))
        counts[name.rsplit(".", 1)[-1]][kind] += 1
        if kind in ("error", "timeout"):
            problems.append((tried, name, kind, detail))
        tried += 1
    took = time.monotonic() - started
    print(f"{tried:,} damaged inputs from {len(files)} seed files in {took:.0f} s "
          f"(seed {args.seed})\n")
    print(f"{'format':8}" + "".join(f"{kind:>10}" for kind in OUTCOMES))
    for fmt in sorted(counts):
        print(f"{fmt:8}" + "".join(f"{counts[fmt][kind]:>10,}" for kind in OUTCOMES))
    total = collections.Counter()
    for fmt_counts in counts.values():
        total.update(fmt_counts)
    print(f"{'all':8}" + "".join(f"{total[kind]:>10,}" for kind in OUTCOMES))
    for number, name, kind, detail in problems[:20]:
        print(f"\n{kind}: {name}, input {number} of seed {args.seed}: {detail[:300]}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
