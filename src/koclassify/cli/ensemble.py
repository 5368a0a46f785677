"""``ensemble``: several models (or probability files made elsewhere) combined, weights and thresholds tuned on dev."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from koclassify.cli.app import app
from koclassify.cli.common import check_inputs, console, stdout, steps
from koclassify.cli.flags import LABELLED, Layout, TrustRemoteCodeOpt, Tuning, layout_flags, tuning_flags
from koclassify.errors import DataError, KoclassifyError

WeightsOpt = Annotated[
    str, typer.Option("--weights", help="mean | tuned (on dev, for --objective) | one number per member: 2,1")
]


@app.command()
@layout_flags(*LABELLED)
@tuning_flags
def ensemble(
    out: Annotated[Path, typer.Option("--out", "-o", help="ensemble model directory (with --probs: a JSON file)")],
    models: Annotated[list[Path] | None, typer.Argument(help="member model directories (any backends)")] = None,
    dev: Annotated[
        Path | None, typer.Option("--dev", help="labelled dev file: weights and thresholds are tuned on it")
    ] = None,
    probs: Annotated[
        list[Path] | None, typer.Option("--probs", help="instead of models: dev probability files (repeat --probs)")
    ] = None,
    gold: Annotated[Path | None, typer.Option("--gold", help="with --probs: the gold dev file, row-aligned")] = None,
    weights: WeightsOpt = "mean",
    trust_remote_code: TrustRemoteCodeOpt = False,
    layout: Layout | None = None,
    *,
    tuning: Tuning,
) -> None:
    """Combine models: `ensemble MODEL_A MODEL_B --dev DEV --out ENS`, or `ensemble --probs A --probs B --gold G
    --out ENS.json`. The ensemble's probability is the weighted mean of its members'; weights (--weights tuned)
    and then per-label thresholds are tuned on dev. ENS is a model directory like any other (predict, evaluate,
    report, serve), holding copies of its members."""
    objective, grid = tuning.objective, tuning.grid  # checked by tuning_flags: nothing is read before
    chosen = parse_weights(weights)
    layout = layout or Layout()
    if probs:
        if models or dev is not None:
            raise KoclassifyError("give either MODEL_DIR... --dev DEV or --probs FILE... --gold GOLD, not both")
        if gold is None:
            raise KoclassifyError("--probs needs --gold FILE (the labelled dev file the probabilities belong to)")
        _from_probs(probs, gold, out, chosen, objective, grid, tuning.scale, layout.read_options())
        return
    if not models:
        raise KoclassifyError("usage: koclassify ensemble MODEL_A MODEL_B ... --dev DEV --out ENS "
                              "(or --probs A --probs B --gold DEV --out ENS.json)")  # fmt: skip
    _from_models(models, dev, out, chosen, objective, grid, tuning.decision, tuning.max_labels, layout.flags(),
                 trust_remote_code)  # fmt: skip


def parse_weights(text: str) -> str | list[float]:
    """``mean``, ``tuned``, or comma-separated numbers."""
    if text in ("mean", "tuned"):
        return text
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise KoclassifyError(f"--weights must be mean, tuned or numbers like 2,1; got {text!r}") from None


def _from_models(
    models: list[Path],
    dev: Path | None,
    out: Path,
    weights: str | list[float],
    objective: str,
    grid: float,
    decision: str | None,
    max_labels: int | None,
    layout: dict[str, Any],
    trust_remote_code: bool = False,
) -> None:
    from koclassify.ensemble import Ensemble
    from koclassify.model.classifier import Classifier

    check_inputs(dev)
    target = out.resolve()
    for path in models:
        member = path.resolve()
        if target == member or member in target.parents or target in member.parents:
            raise KoclassifyError(f"--out {out} would overwrite member {path}: write the ensemble elsewhere")
    with steps() as step:
        with step(f"loading {len(models)} members"):
            members = [Classifier.load(path, trust_remote_code=trust_remote_code) for path in models]
        ens = Ensemble(members, weights=weights, decision=decision or "auto", max_labels=max_labels)
        space = ens.labels_
        assert space is not None
        if dev is None:
            if space.multi_label or weights == "tuned":
                raise KoclassifyError("--dev DEV is needed: thresholds (and tuned weights) are tuned on it")
            console.print("  no --dev: multi-class, fixed weights, nothing to tune")
        else:
            with step("reading dev data"):
                dataset = ens.read(dev, **layout)
            tuning = "weights and thresholds" if weights == "tuned" else "thresholds"
            with step(f"scoring {len(dataset)} dev rows with every member, tuning {tuning} ({objective})"):
                ens.calibrate(dataset.examples, objective=objective, grid=grid)
            ens.calibration_["source"] = str(dev)
        with step(f"saving to {out} (members copied inside)"):
            ens.save(out)
    names = [str(p) for p in models]
    fit = ens.fit_
    _print_members(names, [m.backend.name for m in members], ens.weights_, fit, space.multi_label)
    kind = "multi-label" if space.multi_label else "multi-class"
    console.print(f"[green]saved[/] {out}: ensemble of {len(members)}, {kind}, {len(space)} labels, "
                  f"decision {ens.decision_.rule}")  # type: ignore[union-attr]  # fmt: skip


def _from_probs(
    paths: list[Path], gold: Path, out: Path, weights: str | list[float], objective: str, grid: float, scale: str,
    layout: Any,
) -> None:  # fmt: skip
    from koclassify.cli.probfiles import PROBS_KIND, read_member_probs
    from koclassify.data.labels import LabelSpace
    from koclassify.data.read import read_examples
    from koclassify.ensemble.weights import fit_ensemble
    from koclassify.io import write_json

    names, matrices = read_member_probs(paths, scale)
    dataset = read_examples(gold, layout)
    if len(dataset) != len(matrices[0]):
        raise DataError(f"{len(matrices[0])} probability rows but {len(dataset)} gold rows in {gold}",
                        path=str(paths[0]))  # fmt: skip
    g = LabelSpace(tuple(names), multi_label=True).indicator(dataset.examples, source=str(gold))
    fit = fit_ensemble(matrices, g, multi_label=True, weights=weights, objective=objective, grid=grid)
    assert fit.thresholds is not None
    write_json(out, {
        "kind": PROBS_KIND,
        "labels": names,
        "members": [str(p) for p in paths],
        **fit.record(),
        "thresholds": fit.thresholds.as_dict(names),
        "untuned_labels": [names[j] for j in fit.thresholds.untuned],
        "source": str(gold),
    })  # fmt: skip
    _print_members([str(p) for p in paths], None, fit.weights, fit, True)
    console.print(f"[green]saved[/] weights and thresholds to {out} "
                  f"(apply them: koclassify merge --probs A_TEST --probs B_TEST ... --ensemble {out})")  # fmt: skip


def _print_members(names: list[str], backends: list[str] | None, weights: np.ndarray, fit: Any, multi: bool) -> None:
    from rich.table import Table

    if fit is None:
        return
    how = "at thresholds tuned on dev" if multi else "argmax"
    t = Table(show_edge=False, pad_edge=False, title=f"dev {fit.objective} ({how})")
    t.add_column("member")
    if backends is not None:
        t.add_column("backend")
    t.add_column("weight", justify="right")
    t.add_column(fit.objective, justify="right")
    for i, name in enumerate(names):
        t.add_row(name, *([backends[i]] if backends is not None else []), f"{weights[i]:.2f}",
                  f"{fit.member_scores[i]:.4f}")  # fmt: skip
    t.add_row(f"ensemble ({fit.weighting})", *([""] if backends is not None else []), "1.00", f"{fit.score:.4f}")
    stdout.print(t)
