"""``enrich train``: learn from the analysts' corrections.

* :func:`train_entities` fine-tunes a spaCy recogniser on the corrected and accepted
  mentions in their sentences (plus an optional gold file), with pseudo-rehearsal
  against forgetting, and writes a model folder the ``entities`` skill loads by path
  (:mod:`enrich.train.ner`);
* :func:`write_dictionary` writes the entities analysts kept, with their aliases, as
  a dictionary for the ``entity_lookup`` skill (:mod:`enrich.train.dictionary`).

The store is read, never written (:mod:`enrich.train.rows`).
"""

from __future__ import annotations

from enrich.train.dictionary import dictionary_entries, write_dictionary
from enrich.train.errors import BaseModelMissing, NothingToLearn, OutputExists, TrainError
from enrich.train.ner import META_FILE, TrainOptions, check_output, train_entities

__all__ = ["BaseModelMissing", "NothingToLearn", "OutputExists", "TrainError", "META_FILE",
           "TrainOptions", "check_output", "train_entities", "dictionary_entries",
           "write_dictionary"]
