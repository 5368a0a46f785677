"""One entry point for classifying files: :func:`predict`, on the local engine or on Ray.

The engines themselves stay where they are (:mod:`koclassify.engines.local`: one process, chunk by chunk;
:mod:`koclassify.engines.ray`: Ray Data over splits, resumable, one output shard per split). This module is what a
Python user and the CLI's ``predict`` call: it checks every option first (:class:`~koclassify.options.PredictOptions`
and :class:`~koclassify.data.ranges.SplitOptions`, each declared once), before a model or Ray is loaded, then
hands over to the engine asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from koclassify.data.ranges import SplitOptions
from koclassify.data.stream import CHUNK_ROWS
from koclassify.options import PredictOptions, unknown_key_error

__all__ = ["predict", "predict_options"]


def predict_options(**given: Any) -> tuple[PredictOptions, SplitOptions]:
    """``given`` checked: :class:`PredictOptions` keys and (Ray) :class:`SplitOptions` keys; an unknown key is an
    :class:`~koclassify.options.OptionError` naming the nearest known one."""
    own, split_keys = PredictOptions.keys(), SplitOptions.keys()
    for key in given:
        if key not in own and key not in split_keys:
            raise unknown_key_error(key, [*own, *split_keys], PredictOptions.owner)
    options = PredictOptions.parse({k: v for k, v in given.items() if k in own})
    splits = SplitOptions.parse({k: v for k, v in given.items() if k in split_keys and v is not None})
    if options.engine == "local" and splits != SplitOptions():
        raise options.fail("engine", "ray, for split_rows / split_bytes (the local engine reads one stream)")
    return options, splits


def predict(
    model: Any,
    source: str | Path | Sequence[str | Path],
    out: str | Path,
    *,
    layout: Mapping[str, Any] | None = None,
    kind: str = "auto",
    errors_path: str | Path | None = None,
    trust_remote_code: bool = False,
    **options: Any,
) -> Any:
    """Classify ``source`` into ``out`` with ``model`` (a fitted :class:`~koclassify.Classifier`, or a model
    directory) on ``engine="local"`` (the default) or ``engine="ray"``.

    - ``layout``: read options on top of the layout the model remembers (``{"text_col": "body"}``).
    - ``kind``: ``auto`` (by the output's extension; Ray: parquet), ``probs``, ``csv``, ``parquet``, ``nikl``.
    - ``options``: :class:`~koclassify.options.PredictOptions` (``engine``, ``chunk_rows``, ``top_k``,
      ``workers``, ``gpus_per_worker``, ``address``) and, for Ray, ``split_rows`` / ``split_bytes``.
    - Local: ``out`` is a file, written atomically; with ``layout={"lenient": True}`` bad rows are set aside into
      ``errors_path`` (default: beside ``out``). Returns a :class:`koclassify.engines.local.PredictResult`.
    - Ray: ``source`` is a file, a directory or a glob of shards, ``model`` a model directory and ``out`` a
      directory (one shard per split, a manifest; a rerun skips what is done). Returns a
      :class:`koclassify.engines.ray.RunSummary`.
    """
    checked, splits = predict_options(**options)
    flags = dict(layout or {})
    lenient = bool(flags.get("lenient", False))
    if checked.engine == "ray":
        from koclassify.engines.ray import predict_to_directory
        from koclassify.model.classifier import layout_options

        if not isinstance(model, (str, Path)):
            raise checked.fail("engine", "local for a Classifier in memory (Ray workers load a model directory)")
        if errors_path is not None:
            raise checked.fail("engine", "local for errors_path (Ray sets bad rows aside under OUT/errors)")
        return predict_to_directory(
            model, source, out, flags=layout_options(None, **flags), kind="parquet" if kind == "auto" else kind,
            workers=checked.workers, gpus_per_worker=checked.gpus_per_worker,
            batch_size=checked.chunk_rows or CHUNK_ROWS, lenient=lenient, address=checked.address,
            trust_remote_code=trust_remote_code, splits=splits,
        )  # fmt: skip
    from koclassify.engines.local import predict_file
    from koclassify.model.classifier import Classifier

    if not isinstance(source, (str, Path)):
        raise checked.fail("engine", "ray for several inputs (the local engine reads one file)")
    clf = Classifier.load(model, trust_remote_code=trust_remote_code) if isinstance(model, (str, Path)) else model
    if lenient and errors_path is None:
        errors_path = Path(out).with_name(Path(out).name + ".errors.jsonl")
    return predict_file(
        clf, source, out, clf.layout_for(source, **flags), kind=kind, chunk_rows=checked.chunk_rows or CHUNK_ROWS,
        errors_path=errors_path if lenient else None, top_k=checked.top_k,
    )  # fmt: skip
