"""Generators of small, deterministic inputs for tests and benchmarks.

Importable from the installed package (like haystack's ``haystack.testing``), so the
test suite, ``bench/`` and a plugin's own tests build their fixtures the same way and
none of them imports another's test modules:

- :mod:`enrich.testing.factories`: tiny files of every format the crackers read, good
  and deliberately broken (PDFs, scans, images, DOCX, CSV, bad UTF-8);
- :mod:`enrich.testing.tiny_models`: tiny random BLIP and CLIP model folders, so the
  image skills run without a download.

Nothing here runs at import time; the PDF generators need ``fpdf2`` (the ``dev`` extra)
and say so when it is missing. The runtime never imports this package.
"""

__all__ = ["factories", "tiny_models"]
