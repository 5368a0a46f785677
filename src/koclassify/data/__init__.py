"""Data in and out: readers for NIKL, CSV/TSV and JSON Lines, prediction and dataset writers, conversions."""

from koclassify.data.convert import collapse_per_label, convert_file, expand_per_label, output_format
from koclassify.data.dataset import Dataset
from koclassify.data.example import Example, Span
from koclassify.data.formats.table import split_multi
from koclassify.data.options import ReadOptions
from koclassify.data.read import detect_format, read_examples, read_label_names
from koclassify.data.writers import (
    decisions_to_labels,
    write_csv,
    write_examples_jsonl,
    write_examples_nikl,
    write_examples_table,
    write_nikl,
    write_predictions,
    write_probs_jsonl,
)

__all__ = [
    "Dataset",
    "Example",
    "ReadOptions",
    "Span",
    "collapse_per_label",
    "convert_file",
    "decisions_to_labels",
    "detect_format",
    "expand_per_label",
    "output_format",
    "read_examples",
    "read_label_names",
    "split_multi",
    "write_csv",
    "write_examples_jsonl",
    "write_examples_nikl",
    "write_examples_table",
    "write_nikl",
    "write_predictions",
    "write_probs_jsonl",
]
