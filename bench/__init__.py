"""Benchmarks: scripts that print numbers and assert nothing.

Run each from the repository root as a module, ``python -m bench.throughput``;
``--help`` lists its options, and bench/README.md has a table of them all (a test
keeps it complete). Shared here: :mod:`bench.machine` (the
machine line every report starts with), :mod:`bench.runs` (``enrich`` subprocesses and
their JSON summaries) and :mod:`bench.prose` (the English prose of the PDF corpora).
Fixture files and tiny models come from :mod:`enrich.testing`, as in the tests.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # the default work folder, ignored by git
