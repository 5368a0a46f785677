"""``calibrate`` and ``merge``: per-label thresholds, for our models and for probabilities made elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from koclassify.cli.app import app
from koclassify.cli.common import check_inputs, console, stdout
from koclassify.cli.flags import (
    LABELLED,
    DecisionOpt,
    Layout,
    MaxLabelsOpt,
    ScaleOpt,
    TrustRemoteCodeOpt,
    Tuning,
    layout_flags,
    tuning_flags,
)
from koclassify.errors import DataError, KoclassifyError

__all__ = ["calibrate", "merge"]


@app.command()
@layout_flags(*LABELLED, config=True)
@tuning_flags
def calibrate(
    model_dir: Annotated[Path | None, typer.Argument(help="model directory: thresholds are saved into it")] = None,
    dev: Annotated[Path | None, typer.Argument(help="labelled held-out file to tune on")] = None,
    probs: Annotated[
        Path | None, typer.Option("--probs", help="instead of a model: JSON list or jsonl of {label: p} rows")
    ] = None,
    gold: Annotated[Path | None, typer.Option("--gold", help="with --probs: the gold file, row-aligned")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="with --probs: thresholds.json to write")] = None,
    table: Annotated[bool, typer.Option("--table", help="print threshold -> TP+TN per label (NIKL style)")] = False,
    trust_remote_code: TrustRemoteCodeOpt = False,
    layout: Layout | None = None,
    *,
    tuning: Tuning,
) -> None:
    """Tune one threshold per label: `calibrate MODEL_DIR DEV`, or `calibrate --probs P --gold G --out T`."""
    from koclassify.cli.core import describe_calibration
    from koclassify.decide.calibration import find_thresholds, seed_table

    objective, grid = tuning.objective, tuning.grid  # checked by tuning_flags: nothing is read before
    layout = layout or Layout()
    flags = layout.flags()
    if probs is not None:
        if model_dir is not None or dev is not None:
            raise KoclassifyError("give either MODEL_DIR DEV or --probs/--gold, not both")
        if gold is None or out is None:
            raise KoclassifyError("--probs needs --gold FILE and --out THRESHOLDS.json")
        names, p, g = _foreign(probs, gold, tuning.scale, layout.read_options())
        result = find_thresholds(p, g, objective=objective, grid=grid)
        from koclassify.io import write_json

        write_json(out, result.as_dict(names))
        destination = str(out)
    else:
        if model_dir is None or dev is None:
            raise KoclassifyError("usage: koclassify calibrate MODEL_DIR DEV (or --probs P --gold G --out T)")
        from koclassify.model.classifier import Classifier

        check_inputs(dev)
        clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
        if tuning.decision is not None:
            clf.set_decision(tuning.decision, tuning.max_labels)
        dataset = clf.read(dev, **flags)
        space = clf._check()
        names = list(space.names)
        g = space.indicator(dataset.examples, source=str(dev))
        p = clf.predict_proba(dataset.examples, use_stack=False)  # a second stage is refitted on these
        if not space.multi_label:
            raise KoclassifyError(f"{model_dir} is multi-class: it decides by argmax, there are no thresholds to tune")
        clf.calibrate(probs=p, gold=g, objective=objective, grid=grid)
        clf.calibration_["source"] = str(dev)
        clf.save_calibration(model_dir)
        result = clf.calibration_result_
        destination = str(model_dir)
        console.print(f"  {describe_calibration(clf)}", highlight=False)
    if table and result.curves is not None:
        for line in seed_table(result.curves, names):
            print(line)
    _print_result(result, names, destination)


def _foreign(probs: Path, gold: Path, scale: str, layout: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Probabilities from a file, gold labels from a row-aligned labelled file, in the probs file's label order."""
    from koclassify.cli.probfiles import say_scale
    from koclassify.data.labels import LabelSpace
    from koclassify.data.probs import read_probs
    from koclassify.data.read import read_examples
    from koclassify.decide.calibration import to_unit_scale

    names, matrix = read_probs(probs)
    try:
        matrix = to_unit_scale(matrix, say_scale(probs, matrix, scale))
    except ValueError as exc:
        raise DataError(str(exc), path=str(probs)) from None
    dataset = read_examples(gold, layout)
    if len(dataset) != len(matrix):
        raise DataError(f"{len(matrix)} probability rows but {len(dataset)} gold rows in {gold}", path=str(probs))
    space = LabelSpace(tuple(names), multi_label=True)
    return names, matrix, space.indicator(dataset.examples, source=str(gold)).astype(bool)


def _thresholds(table: dict[str, Any], names: list[str], path: Path) -> np.ndarray:
    """Each threshold a number in [0, 1]: ``"high"``, ``null``, NaN or -1 are errors, never silently used."""
    from koclassify.errors import ModelError
    from koclassify.modeldir import check_threshold

    try:
        return np.array([check_threshold(table[n], f"label {n!r}") for n in names])
    except ModelError as exc:
        raise DataError(str(exc), path=str(path)) from None


def _print_result(result: Any, names: list[str], destination: str) -> None:
    from rich.table import Table

    score_name = {"accuracy": "mean TP+TN per label", "micro-f1": "micro-F1"}.get(result.objective, "mean label F1")
    t = Table(show_edge=False, pad_edge=False, title=f"{result.objective}: {score_name} {result.score:.4f}")
    t.add_column("label")
    t.add_column("threshold", justify="right")
    t.add_column("TP+TN" if result.objective == "accuracy" else "F1", justify="right")
    for j, name in enumerate(names):
        note = "  (no positive row: default kept)" if j in result.untuned else ""
        value = f"{result.label_scores[j]:.0f}" if result.objective == "accuracy" else f"{result.label_scores[j]:.3f}"
        t.add_row(name, f"{result.thresholds[j]:.3f}", value + note)
    stdout.print(t)
    console.print(f"[green]saved[/] thresholds to {destination}")


@app.command()
@layout_flags("format", "text_col", "lenient")
def merge(
    probs: Annotated[
        list[Path],
        typer.Option("--probs", help="test probabilities: JSON list or jsonl of {label: p}; repeated: averaged"),
    ],
    data: Annotated[Path, typer.Option("--data", help="the file the probabilities belong to (row-aligned)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output: NIKL submission for NIKL data, else jsonl")],
    thresholds: Annotated[
        Path | None, typer.Option("--thresholds", help="thresholds.json (label -> threshold)")
    ] = None,
    ensemble: Annotated[
        Path | None, typer.Option("--ensemble", help="not --thresholds: weights + thresholds by `ensemble --probs`")
    ] = None,
    decision: DecisionOpt = None,
    max_labels: MaxLabelsOpt = None,
    scale: ScaleOpt = "auto",
    layout: Layout | None = None,
) -> None:
    """Apply thresholds to probabilities made elsewhere and write predictions (the NIKL 2023 recipe's merge_predict).

    Several --probs files are averaged: with equal weights and --thresholds, or with the weights and thresholds
    that `koclassify ensemble --probs ... --out ENS.json` tuned on dev (--ensemble ENS.json)."""
    from koclassify.cli.probfiles import read_member_probs, read_probs_ensemble
    from koclassify.data.read import read_examples
    from koclassify.data.writers import write_predictions
    from koclassify.decide.decision import DecisionRule, given_rule
    from koclassify.ensemble.weights import combine
    from koclassify.io import read_json

    rule = given_rule(decision, max_labels) if decision is not None else DecisionRule()  # the rule's own default
    if (thresholds is None) == (ensemble is None):
        raise KoclassifyError("give exactly one of --thresholds FILE and --ensemble ENS.json")
    names, matrices = read_member_probs(probs, scale)
    if ensemble is not None:
        ens_names, weights, table = read_probs_ensemble(ensemble, len(probs))
        if set(ens_names) != set(names):
            raise DataError(f"the ensemble was tuned on labels {ens_names}, the --probs files hold {names}",
                            path=str(ensemble))  # fmt: skip
        matrix = combine(matrices, weights)
        source = ensemble
    else:
        matrix = combine(matrices, [1.0] * len(matrices))
        try:
            table = read_json(thresholds)  # type: ignore[arg-type]
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read thresholds: {exc}", path=str(thresholds)) from None
        source = thresholds  # type: ignore[assignment]
    if not isinstance(table, dict) or set(table) != set(names):
        raise DataError(f"thresholds must map exactly the labels {names}", path=str(source))
    dataset = read_examples(data, (layout or Layout()).read_options(), need_labels=False)
    if len(dataset) != len(matrix):
        raise DataError(f"{len(matrix)} probability rows but {len(dataset)} rows in {data}", path=str(probs[0]))
    decisions = rule.apply(matrix, _thresholds(table, names, source))
    kind = write_predictions(dataset, decisions, matrix, names, out)
    console.print(f"[green]wrote[/] {out}: {len(dataset)} rows ({kind})")
