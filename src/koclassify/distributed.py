"""Batch prediction over whole corpora on Ray Data: one machine or a cluster, CPU or GPU workers.

Two entry points:

* :func:`predict_to_directory` (``koclassify predict MODEL INPUT --engine ray --out OUTDIR``): every input shard
  (a file) is one unit of work. A pool of Ray Data actors, each holding the model loaded once, predicts a shard
  chunk by chunk and writes its output shard atomically; the driver records each finished shard in
  ``OUTDIR/manifest.json``. A re-run skips the shards whose output is already there for an unchanged input, so
  after a crash or ``kill -9`` only the missing shards are done, and every id appears exactly once.
* :func:`predict` returns a lazy Ray Dataset with ``id``, ``labels`` and ``probs`` columns, to chain in a Ray
  pipeline: input shards are read by Ray tasks, rows are predicted in batches by the actor pool.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.options import ReadOptions
from koclassify.errors import DataError, KoclassifyError, MissingDependencyError

MANIFEST = "manifest.json"
ERRORS_DIR = "errors"
EXTENSIONS = {"parquet": ".parquet", "probs": ".jsonl", "csv": ".csv", "nikl": ".jsonl"}
SHARD_BATCH = 1_000  # rows a worker predicts at a time


def ray_module() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError("ray[data]", "ray") from None
    return ray


def init_ray(address: str | None = None) -> None:
    """Connect to ``address`` (a running cluster), or start a local Ray, unless this process already has one."""
    ray = ray_module()
    if ray.is_initialized():
        quiet_ray_data()
        return
    try:
        ray.init(address=address, include_dashboard=False, logging_level="warning", log_to_driver=True)
    except ConnectionError as exc:
        raise KoclassifyError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    quiet_ray_data()


def quiet_ray_data() -> None:
    """No progress bars or per-run INFO lines from Ray Data: the CLI prints its own summary."""
    import logging

    ray_module().data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def expand_inputs(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """A file, a directory (its files, sorted; names starting with '.' or '_' skipped) or a glob -> shard files."""
    if isinstance(source, (list, tuple)):
        return [p for item in source for p in expand_inputs(item)]
    text = str(source)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
        if not files:
            raise DataError("the directory holds no input files", path=text)
        return files
    if path.is_file():
        return [path]
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError("no files match this pattern", path=text)
        return files
    raise DataError("no such file or directory", path=text)


# ------------------------------------------------------------------------------------------ workers
def shard_options(data_options: dict[str, Any], path: str | Path, flags: ReadOptions) -> ReadOptions:
    """The model's remembered layout unless ``path`` is of another format; given flags override either way."""
    from koclassify.data.read import sniff_format

    remembered = ReadOptions.from_json(data_options)
    if flags.format is None and remembered.format is not None:
        detected = sniff_format(path)
        if not ({remembered.format, detected} <= {"csv", "tsv"} or remembered.format == detected):
            remembered = ReadOptions()  # e.g. a model trained on CSV asked about a jsonl file
    return remembered.merged(**flags.to_json())


def _load(model_dir: str, trust_remote_code: bool = False) -> Any:
    from koclassify.api import Classifier

    return Classifier.load(model_dir, trust_remote_code=trust_remote_code)


class ShardPredictor:
    """A Ray Data actor: loads the model once, then predicts whole shards into their output files."""

    def __init__(
        self, model_dir: str, flags: dict[str, Any], kind: str, chunk_rows: int, lenient: bool, trust_remote_code: bool
    ) -> None:
        self.clf = _load(model_dir, trust_remote_code)
        self.flags, self.kind, self.chunk_rows, self.lenient = ReadOptions.from_json(flags), kind, chunk_rows, lenient

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from koclassify.streaming import predict_file

        out: dict[str, list[Any]] = {"input": [], "rows": [], "errors": [], "failure": []}
        for source, output, errors_file in zip(batch["input"], batch["output"], batch["errors_file"]):
            out["input"].append(source)
            try:
                options = shard_options(self.clf.data_options, source, self.flags)
                result = predict_file(
                    self.clf,
                    source,
                    output,
                    options,
                    kind=self.kind,
                    chunk_rows=self.chunk_rows,
                    errors_path=errors_file if self.lenient else None,
                )
            except KoclassifyError as exc:  # bad input: reported by the driver, other shards go on
                out["rows"].append(-1)
                out["errors"].append(0)
                out["failure"].append(str(exc))
            else:
                out["rows"].append(result.rows)
                out["errors"].append(result.errors)
                out["failure"].append("")
        return {k: np.asarray(v, dtype=object if k in ("input", "failure") else np.int64) for k, v in out.items()}


# ------------------------------------------------------------------------------------------ CLI engine
@dataclass
class RunSummary:
    """What a run did: shards done now, shards skipped as already done, rows, rows set aside, failures."""

    out_dir: Path
    shards: int
    done: int = 0
    skipped: int = 0
    rows: int = 0
    errors: int = 0
    failures: list[str] = field(default_factory=list)


def predict_to_directory(
    model_dir: str | Path,
    source: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    *,
    flags: ReadOptions | None = None,
    kind: str = "parquet",
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    batch_size: int = SHARD_BATCH,
    lenient: bool = False,
    address: str | None = None,
    trust_remote_code: bool = False,
) -> RunSummary:
    """Predict every shard of ``source`` into ``out_dir`` (one output shard per input shard, plus the manifest).

    Shards already done for the same model and an unchanged input are skipped. Raises :class:`KoclassifyError`
    naming the first bad shard (file, line, field) after the other shards are finished and recorded.
    """
    from koclassify.io import write_json

    if kind not in EXTENSIONS:
        raise KoclassifyError(f"--to must be one of {', '.join(EXTENSIONS)} with --engine ray, not {kind!r}")
    if workers < 1 or batch_size < 1 or gpus_per_worker < 0:
        raise KoclassifyError("--workers and --batch-size must be at least 1, --gpus-per-worker at least 0")
    model_dir = Path(model_dir).resolve()
    _load(str(model_dir), trust_remote_code)  # a bad model directory fails here, once, not in every worker
    inputs = [p.resolve() for p in expand_inputs(source)]
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise KoclassifyError(f"{out_dir}: exists and is not a directory; --out names a directory with --engine ray")
    manifest = _read_manifest(out_dir, model_dir, kind)
    for stale in [*out_dir.glob(".part-*.tmp"), *(out_dir / ERRORS_DIR).glob(".part-*.tmp")]:
        stale.unlink(missing_ok=True)  # half-written shards of a run that was killed: never read, now removed
    todo: list[dict[str, str]] = []
    summary = RunSummary(out_dir=out_dir, shards=len(inputs))
    names = [_shard_name(p) for p in inputs]
    if len(set(names)) != len(names):
        raise KoclassifyError("two input shards map to one output name; give distinct files")
    for path, name in zip(inputs, names):
        entry = manifest["shards"].get(str(path))
        output = out_dir / (name + EXTENSIONS[kind])
        if entry is not None and entry.get("stamp") == _stamp(path) and output.is_file():
            summary.skipped += 1
            summary.rows += entry["rows"]
            summary.errors += entry.get("errors", 0)
            continue
        manifest["shards"].pop(str(path), None)
        errors_file = out_dir / ERRORS_DIR / f"{name}.errors.jsonl"
        todo.append({"input": str(path), "output": str(output), "errors_file": str(errors_file)})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / MANIFEST, manifest)
    if todo:
        init_ray(address)
        ray = ray_module()
        items = ray.data.from_items(todo, override_num_blocks=len(todo))
        results = items.map_batches(
            ShardPredictor,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(workers, len(todo))),
            num_gpus=gpus_per_worker or None,
            fn_constructor_kwargs={
                "model_dir": str(model_dir),
                "flags": (flags or ReadOptions()).to_json(),
                "kind": kind,
                "chunk_rows": batch_size,
                "lenient": lenient,
                "trust_remote_code": trust_remote_code,
            },
        )
        by_input = {item["input"]: item for item in todo}
        for row in results.iter_rows():
            item = by_input[str(row["input"])]
            if row["failure"]:
                summary.failures.append(str(row["failure"]))
                continue
            rows, errors = int(row["rows"]), int(row["errors"])
            manifest["shards"][item["input"]] = {
                "output": Path(item["output"]).name,
                "rows": rows,
                "errors": errors,
                "errors_file": f"{ERRORS_DIR}/{Path(item['errors_file']).name}" if errors else None,
                "stamp": _stamp(Path(item["input"])),
            }
            write_json(out_dir / MANIFEST, manifest)  # after each shard: a crash loses at most running shards
            summary.done += 1
            summary.rows += rows
            summary.errors += errors
    manifest["complete"] = not summary.failures and len(manifest["shards"]) == len(inputs)
    manifest["rows"] = sum(e["rows"] for e in manifest["shards"].values())
    write_json(out_dir / MANIFEST, manifest)
    if summary.failures:
        raise KoclassifyError(
            f"{summary.failures[0]} ({len(summary.failures)} of {len(inputs)} shards failed; the others are in "
            f"{out_dir}: fix the input and re-run to finish only the missing shards)"
        )
    return summary


def _shard_name(path: Path) -> str:
    """``part-<stem>-<hash of the full path>``: stable across runs, distinct for equal names in other folders."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.name.split(".")[0])[:60]
    return f"part-{stem}-{digest}"


def _stamp(path: Path) -> list[int]:
    """Size and modification time: a changed input shard is predicted again."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def _read_manifest(out_dir: Path, model_dir: Path, kind: str) -> dict[str, Any]:
    fresh = {"model": str(model_dir), "kind": kind, "complete": False, "rows": 0, "shards": {}}
    path = out_dir / MANIFEST
    if not path.is_file():
        if out_dir.is_dir() and any(p for p in out_dir.iterdir() if not p.name.startswith(".")):
            raise KoclassifyError(f"{out_dir}: not empty and has no {MANIFEST}; give a new or empty --out directory")
        return fresh
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise KoclassifyError(f"{path}: unreadable manifest ({exc}); remove it or use a new --out") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), dict):
        raise KoclassifyError(f"{path}: not a koclassify manifest; use a new --out")
    if manifest.get("model") != str(model_dir) or manifest.get("kind") != kind:
        raise KoclassifyError(
            f"{out_dir}: holds {manifest.get('kind')} predictions of {manifest.get('model')}; "
            "use a new --out for another model or output kind"
        )
    return manifest


# ------------------------------------------------------------------------------------------ Python API


def _read_shards(batch: dict[str, np.ndarray], flags: dict[str, Any], data_options: dict, rows: int) -> Iterator:
    """A Ray task: stream shards into batches of plain columns (the Examples, flattened)."""
    from koclassify.data.stream import iter_chunks

    for source in batch["path"]:
        options = shard_options(data_options, source, ReadOptions.from_json(flags))
        for chunk in iter_chunks(source, options, chunk_rows=rows, need_labels=False):
            exs = chunk.examples
            yield {
                "id": np.asarray([ex.id for ex in exs], dtype=object),
                "text": np.asarray([ex.text for ex in exs], dtype=object),
                "target": np.asarray([json.dumps(ex.target.to_json() if ex.target else None) for ex in exs]),
                "fields": np.asarray([json.dumps(ex.fields, ensure_ascii=False) for ex in exs], dtype=object),
            }


class BatchPredictor:
    """A Ray Data actor: loads the model once; batches of rows in, ``id``, ``labels``, ``probs`` out."""

    def __init__(self, model_dir: str, trust_remote_code: bool = False) -> None:
        self.clf = _load(model_dir, trust_remote_code)
        self.names = list(self.clf.labels_.names)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from koclassify.data.example import Example

        if "id" not in batch or "text" not in batch:
            raise DataError(f"the dataset needs 'id' and 'text' columns, it has {sorted(batch)}")
        n = len(batch["id"])
        targets, fields = batch.get("target"), batch.get("fields")
        examples = []
        for i in range(n):
            text = str(batch["text"][i])
            target = _target(targets[i], text) if targets is not None else None
            extra = json.loads(fields[i]) if fields is not None else {}
            examples.append(Example(str(batch["id"][i]), text, target, None, extra))
        probs = self.clf.predict_proba(examples)
        decisions = self.clf.decide(probs)
        labels = np.empty(n, dtype=object)
        labels[:] = [[name for name, on in zip(self.names, row) if on] for row in decisions]
        return {"id": np.asarray([ex.id for ex in examples], dtype=object), "labels": labels, "probs": probs}


def _target(value: Any, text: str) -> Any:
    """A ``target`` cell: our own JSON span (from :func:`_read_shards`), or a user's form string (or empty)."""
    from koclassify.data.example import Span

    if value is None or not isinstance(value, str) or not value.strip():
        return None
    if value.startswith(("{", "null")):
        span = json.loads(value)
        return Span(span["form"], span["begin"], span["end"]) if span is not None else None
    begin = text.find(value)
    return Span(value, begin, begin + len(value)) if begin >= 0 else Span(value)


def predict(
    source: Any,
    model_dir: str | Path,
    *,
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    batch_size: int = SHARD_BATCH,
    options: ReadOptions | None = None,
    address: str | None = None,
    trust_remote_code: bool = False,
) -> Any:
    """A lazy Ray Dataset of predictions: ``id`` (str), ``labels`` (list of label names), ``probs`` (float64
    array in the order of the model's label names).

    ``source``: paths (a file, directory or glob of shards in any supported format; ``options`` as for the CLI)
    or a ``ray.data.Dataset`` with ``id`` and ``text`` columns (optional ``target``: the target's form). Ray is
    started locally unless this process is connected already (or ``address`` is given).
    """
    init_ray(address)
    ray = ray_module()
    model_dir = str(Path(model_dir).resolve())
    clf = _load(model_dir, trust_remote_code)
    if isinstance(source, ray.data.Dataset):
        rows = source
    else:
        paths = [str(p.resolve()) for p in expand_inputs(source)]
        rows = ray.data.from_items([{"path": p} for p in paths], override_num_blocks=len(paths)).map_batches(
            _read_shards,
            batch_size=1,
            fn_kwargs={"flags": (options or ReadOptions()).to_json(), "data_options": clf.data_options,
                       "rows": batch_size},
        )  # fmt: skip
    return rows.map_batches(
        BatchPredictor,
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_gpus=gpus_per_worker or None,
        fn_constructor_kwargs={"model_dir": model_dir, "trust_remote_code": trust_remote_code},
    )
