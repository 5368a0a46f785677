"""``koclassify split``: make train / dev / test files from one labelled file, with no leak across them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from koclassify.cli.app import app
from koclassify.cli.common import console, stdout
from koclassify.cli.flags import Layout, OverwriteOpt, hidden, layout_flags, renamed
from koclassify.errors import KoclassifyError
from koclassify.io import write_json
from koclassify.options import OptionError

REPORT_FILE = "split.json"


@app.command()
@layout_flags("format", "text_col", "label_col", "label_sep", "no_header", "id_col", "lenient")
def split(
    data: Annotated[Path, typer.Argument(help="the file to split (NIKL jsonl, jsonl, CSV or TSV)")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="folder for train/dev/test files and split.json")
    ] = None,
    dev: Annotated[float, typer.Option("--dev", help="fraction for dev")] = 0.1,
    test: Annotated[float, typer.Option("--test", help="fraction for test (0: no test file)")] = 0.0,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="field(s), comma-separated, whose values never cross parts (e.g. artist)"),
    ] = None,
    stratify: Annotated[
        bool, typer.Option("--stratify", help="balance labels across parts (iterative stratification)")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    field_sep: Annotated[str, typer.Option("--field-sep", help="separator of several values in a field cell")] = ",",
    overwrite: OverwriteOpt = False,
    out_dir: Annotated[Path | None, hidden("--out-dir")] = None,  # the old names of --out and --overwrite
    force: Annotated[bool, hidden("--force")] = False,
    layout: Layout | None = None,
) -> None:
    """Split DATA into train/dev[/test] files in its own layout. Rows with the same text, the same source_id
    or a shared --group-by value stay in one part; nothing is dropped."""
    from koclassify.data.read import read_examples, sniff_format
    from koclassify.metadata.fields import check_fields
    from koclassify.metadata.splits import train_dev_test, write_split

    out_dir = renamed(out, out_dir, new="--out", old="--out-dir")
    force = renamed(overwrite, force, new="--overwrite", old="--force")
    if out_dir is None:
        raise KoclassifyError("split needs --out FOLDER (where train/dev/test files and split.json go)")
    if not field_sep:
        raise OptionError("--field-sep", field_sep, message="--field-sep must be at least one character, e.g. ','")
    read_options = (layout or Layout()).read_options()
    detected = sniff_format(data) if data.is_file() else None
    if (read_options.format or detected) == "parquet":  # parts are written line by line, in its layout
        raise KoclassifyError(f"{data}: split writes text formats; convert the Parquet file first "
                              f"(koclassify convert {data} data.jsonl)")  # fmt: skip
    dataset = read_examples(data, read_options, need_labels=stratify)
    fields = [f.strip() for f in (group_by or "").split(",") if f.strip()]
    check_fields(dataset.examples, fields, f"{data} (--group-by)")
    try:
        result = train_dev_test(
            dataset.examples, dev=dev, test=test, group_by=fields, stratify=stratify, seed=seed, sep=field_sep
        )
    except ValueError as exc:  # bad fractions or field specs: a usage error, not a bug
        raise KoclassifyError(str(exc)) from None
    paths = write_split(data, dataset, result, out_dir, force=force)
    n = len(dataset.examples)
    summary: dict[str, Any] = {
        "source": str(data),
        "rows": n,
        "dev": dev,
        "test": test,
        "group_by": fields,
        "stratify": stratify,
        "seed": seed,
        "parts": {name: {"file": str(paths[name]), "rows": int(len(idx))} for name, idx in result.parts().items()},
        "label_counts": _label_counts(dataset.examples, result.parts()),
        "notes": result.notes,
    }
    write_json(out_dir / REPORT_FILE, summary)
    assert sum(p["rows"] for p in summary["parts"].values()) == n, "every row is in exactly one part"
    for name, part in summary["parts"].items():
        stdout.print(f"{name:5s} {part['rows']:7d} rows ({part['rows'] / n:6.1%})  {part['file']}", highlight=False)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    for name, asked in (("dev", dev), ("test", test)):
        got = summary["parts"].get(name, {}).get("rows", 0) / n
        if asked and abs(got - asked) > 0.05:
            console.print(f"  [yellow]{name} is {got:.1%} of the rows (asked {asked:.0%}): the groups are large[/]")
    missing = _labels_missing(summary["label_counts"])
    if missing:
        console.print(f"  [yellow]labels absent from a part[/]: {json.dumps(missing, ensure_ascii=False)}")
    console.print(f"[green]wrote[/] {out_dir / REPORT_FILE}")


def _label_counts(examples: list, parts: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, idx in parts.items():
        counts: dict[str, int] = {}
        for i in idx:
            for lab in examples[i].labels or ("(no label)",):
                counts[lab] = counts.get(lab, 0) + 1
        out[name] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
    return out


def _labels_missing(counts: dict[str, dict[str, int]]) -> dict[str, list[str]]:
    """Labels in the training part that a dev/test part lacks: those cannot be evaluated there."""
    train = set(counts.get("train", {})) - {"(no label)"}
    return {name: sorted(train - set(c)) for name, c in counts.items() if name != "train" and train - set(c)}
