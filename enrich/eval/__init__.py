"""``enrich eval``: measure entities and the graph against gold files.

Gold readers (:mod:`~enrich.eval.readers`: CoNLL, DocRED, spaCy JSONL), the label
map from the pipeline's types to the gold's (:mod:`~enrich.eval.labels`), the
metrics (:mod:`~enrich.eval.metrics`), and the runner that drives the real pipeline
over the gold texts (:mod:`~enrich.eval.runner`); :mod:`~enrich.eval.evaluate` puts
them together for the CLI (:mod:`enrich.cli.eval`). ``enrich eval retrieval``: BEIR
files (:mod:`~enrich.eval.retrieval_data`), ranking metrics
(:mod:`~enrich.eval.retrieval_metrics`) and the run (:mod:`~enrich.eval.retrieval`).
``enrich eval ocr``: scans and their transcripts read through the real OCR path
(:mod:`~enrich.eval.ocr`), scored by character and word error rates
(:mod:`~enrich.eval.ocr_metrics`).
"""

from __future__ import annotations

from enrich.eval.errors import EvalError, EvalRunError, GoldFormatError, LabelMapError
from enrich.eval.evaluate import (EvalOptions, ablation_skillsets, evaluate_entities,
                                  evaluate_graph)
from enrich.eval.gold import GoldDoc, GoldMention
from enrich.eval.labels import build_label_map, default_label_map, parse_labels
from enrich.eval.metrics import Found, calibration, graph_scores, score_entities
from enrich.eval.readers import FORMATS, guess_format, read_gold
from enrich.eval.retrieval import RetrievalOptions, evaluate_retrieval

__all__ = ["EvalError", "EvalRunError", "GoldFormatError", "LabelMapError", "EvalOptions",
           "ablation_skillsets", "evaluate_entities", "evaluate_graph", "GoldDoc",
           "GoldMention", "build_label_map", "default_label_map", "parse_labels", "Found",
           "calibration", "graph_scores", "score_entities", "FORMATS", "guess_format",
           "read_gold", "RetrievalOptions", "evaluate_retrieval"]
