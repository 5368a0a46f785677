"""Probability files made elsewhere (the NIKL 2023 recipe's ``--probs``), as ``calibrate``, ``ensemble`` and
``merge`` read them: the scale said aloud, several files in one label order, the file ``ensemble --probs`` writes.

Its own module so that those commands import it rather than each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from koclassify.cli.common import console
from koclassify.decide.calibration import decide_scale, to_unit_scale
from koclassify.errors import DataError, KoclassifyError

PROBS_KIND = "koclassify-probs-ensemble"  # the "kind" of the weights + thresholds file `ensemble --probs` writes


def say_scale(path: Path, matrix: np.ndarray, scale: str) -> str:
    """Decide the scale once and say which: a wrong guess would shift every threshold silently."""
    decided = decide_scale(matrix, scale)
    if matrix.size:
        how = "as given by --scale" if scale != "auto" else "decided from the value range"
        console.print(
            f"  {path}: probabilities read as {decided} ({how}: {matrix.min():.6g}..{matrix.max():.6g})",
            highlight=False,
        )
    return decided


def read_member_probs(paths: list[Path], scale: str) -> tuple[list[str], list[np.ndarray]]:
    """Probability files in the first file's label order; other label sets or row counts are errors."""
    from koclassify.data.probs import read_probs
    from koclassify.ensemble.weights import label_order

    names: list[str] | None = None
    matrices: list[np.ndarray] = []
    for path in paths:
        own, matrix = read_probs(path)
        try:
            matrix = to_unit_scale(matrix, say_scale(path, matrix, scale))
        except ValueError as exc:
            raise DataError(str(exc), path=str(path)) from None
        if names is None:
            names = own
        else:
            try:
                matrix = matrix[:, label_order(names, own, what=str(path), reference_what=str(paths[0]))]
            except KoclassifyError as exc:
                raise DataError(str(exc)) from None
            if len(matrix) != len(matrices[0]):
                raise DataError(f"{len(matrix)} probability rows but {paths[0]} has {len(matrices[0])}", path=str(path))
        matrices.append(matrix)
    assert names is not None
    return names, matrices


def read_probs_ensemble(path: Path, n_files: int) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """(labels, weights, thresholds) of a file written by ``ensemble --probs``, checked against ``n_files``."""
    from koclassify.ensemble.weights import normalise
    from koclassify.io import read_json

    try:
        spec = read_json(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the ensemble file: {exc}", path=str(path)) from None
    if not isinstance(spec, dict) or spec.get("kind") != PROBS_KIND:
        raise DataError("not a file written by `koclassify ensemble --probs`", path=str(path))
    try:
        names, thresholds = [str(n) for n in spec["labels"]], {str(k): float(v) for k, v in spec["thresholds"].items()}
        weights = normalise(spec["weights"], n_files)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"malformed ensemble file ({exc})", path=str(path)) from None
    except KoclassifyError as exc:
        raise DataError(f"{exc} (one --probs file per member, in the order used to build it)", path=str(path)) from None
    if set(thresholds) != set(names):
        raise DataError(f"thresholds must map exactly the labels {names}", path=str(path))
    return names, weights, thresholds
