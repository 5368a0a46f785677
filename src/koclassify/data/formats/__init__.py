"""The file formats, one module each (nikl, jsonl, table: CSV/TSV, parquet); data.read dispatches to them."""
