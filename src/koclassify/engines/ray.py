"""Batch prediction over whole corpora on Ray Data: one machine or a cluster, CPU or GPU workers.

Two entry points:

* :func:`predict_to_directory` (``koclassify predict MODEL INPUT --engine ray --out OUTDIR``): every input file
  is cut into splits (:mod:`koclassify.data.ranges`: line-aligned byte ranges, Parquet row groups), and a split
  is one unit of work, so one big file feeds every worker. A pool of Ray Data actors, each holding the model
  loaded once, predicts a split chunk by chunk and writes its output shard atomically; the driver records each
  finished split in ``OUTDIR/manifest.json`` (:mod:`koclassify.engines.runmanifest`). A re-run skips the splits whose
  output is intact for the same model and unchanged split bytes, so after a crash, ``kill -9`` or a lost node
  only the missing splits are done, and every id appears exactly once (an id in two splits is an error).
  With several workers, one more actor (:class:`SharedAnalyses`) holds the Kiwi analyses they make, so a piece
  is analysed once per run, not once per worker.
* :func:`predict` returns a lazy Ray Dataset with ``id``, ``labels`` and ``probs`` columns, to chain in a Ray
  pipeline: the same splits are read by Ray tasks, rows are predicted in batches by the actor pool.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.options import ReadOptions
from koclassify.data.ranges import Split, SplitOptions, plan_splits
from koclassify.data.stream import CHUNK_ROWS
from koclassify.errors import DataError, KoclassifyError, MissingDependencyError

MANIFEST = "manifest.json"
ERRORS_DIR = "errors"
EXTENSIONS = {"parquet": ".parquet", "probs": ".jsonl", "csv": ".csv", "nikl": ".jsonl"}
PLAN_ROWS = 1_000  # rows read to resolve a file's column layout once, for all its splits


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
    """No progress bars or per-run INFO lines from Ray Data: the CLI prints its own summary (nor Ray Data's
    warning that the bars are off, which reads as if something were wrong)."""
    import logging

    ray_module().data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


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
    from koclassify.model.classifier import Classifier

    return Classifier.load(model_dir, trust_remote_code=trust_remote_code)


def plan_input(
    data_options: dict[str, Any], path: Path, flags: ReadOptions, splits: SplitOptions
) -> tuple[ReadOptions, list[Split]]:
    """The layout every split of ``path`` is read with (resolved on the file's first rows, so all splits agree)
    and the file's splits."""
    from koclassify.data.read import sniff_format
    from koclassify.data.stream import iter_chunks

    options = shard_options(data_options, path, flags)
    options = options.merged(format=options.format or sniff_format(path))
    for chunk in iter_chunks(path, options, chunk_rows=PLAN_ROWS, need_labels=False, errors=[]):
        options = chunk.options.merged(format=options.format)
        break
    return options, plan_splits(path, options.format or "jsonl", no_header=options.no_header, options=splits)


class SharedAnalyses:
    """A Ray actor holding the Kiwi analyses the workers have made (bounded as one process's cache is): a
    piece is analysed by the first worker that meets it, and the others look it up (``morphs.share_analyses``)."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def get(self, pieces: list[str]) -> dict[str, str]:
        known = self.known
        return {p: known[p] for p in pieces if p in known}

    def put(self, analyses: dict[str, str]) -> None:
        from koclassify.backends.linear.morphs import MAX_CACHE, bounded_update

        bounded_update(self.known, analyses, MAX_CACHE)


class AnalysesClient:
    """The worker's side of :class:`SharedAnalyses` (a ``morphs.AnalysisStore``): look-ups wait for the answer,
    new analyses are sent without waiting."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def get(self, pieces: list[str]) -> dict[str, str]:
        ray = ray_module()
        try:
            return ray.get(self.handle.get.remote(pieces))
        except ray.exceptions.RayError:  # the actor's node is gone: this worker analyses on its own
            return {}

    def put(self, analyses: dict[str, str]) -> None:
        self.handle.put.remote(analyses)  # a lost actor makes this a no-op: nothing waits on it


def start_shared_analyses(workers: int) -> Any:
    """The analyses actor for a run of several workers (no CPU of its own: it only answers look-ups), or ``None``."""
    if workers < 2:
        return None
    return ray_module().remote(num_cpus=0)(SharedAnalyses).remote()


def setup_worker(shared_analyses: Any) -> None:
    """In a worker: one core, and the run's shared analyses when there is an actor. BLAS/OpenMP pools
    (threadpoolctl) and Kiwi get one thread each; the worker's environment (:data:`ONE_THREAD`) already holds
    libraries that read it at start-up to one."""
    from threadpoolctl import threadpool_limits

    from koclassify.backends.linear import morphs

    threadpool_limits(1)
    morphs.set_threads(1)
    if shared_analyses is not None:
        morphs.share_analyses(AnalysesClient(shared_analyses))


class ShardPredictor:
    """A Ray Data actor: loads the model once, then predicts whole splits into their output files."""

    def __init__(self, model_dir: str, kind: str, chunk_rows: int, lenient: bool, trust_remote_code: bool,
                 shared_analyses: Any = None) -> None:  # fmt: skip
        self.clf = _load(model_dir, trust_remote_code)
        self.kind, self.chunk_rows, self.lenient = kind, chunk_rows, lenient
        setup_worker(shared_analyses)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from koclassify.data.ranges import file_sha256
        from koclassify.engines.local import predict_file

        out: dict[str, list[Any]] = {"name": [], "rows": [], "errors": [], "failure": [], "sha256": []}
        for name, split, options, output, errors_file in zip(
            batch["name"], batch["split"], batch["options"], batch["output"], batch["errors_file"]
        ):
            out["name"].append(name)
            try:
                result = predict_file(
                    self.clf,
                    json.loads(split)["path"],
                    output,
                    ReadOptions.from_json(json.loads(options)),
                    kind=self.kind,
                    chunk_rows=self.chunk_rows,
                    errors_path=errors_file if self.lenient else None,
                    split=Split.from_json(json.loads(split)),
                )
            except KoclassifyError as exc:  # bad input: reported by the driver, other splits go on
                out["rows"].append(-1)
                out["errors"].append(0)
                out["failure"].append(str(exc))
                out["sha256"].append("")
            else:
                out["rows"].append(result.rows)
                out["errors"].append(result.errors)
                out["failure"].append("")
                out["sha256"].append(file_sha256(output))
        return {k: np.asarray(v, dtype=np.int64 if k in ("rows", "errors") else object) for k, v in out.items()}


ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS")}  # fmt: skip


# ------------------------------------------------------------------------------------------ CLI engine
@dataclass
class RunSummary:
    """What a run did: splits done now, splits skipped as already done, rows, rows set aside, failures."""

    out_dir: Path
    shards: int
    splits: int = 0
    done: int = 0
    skipped: int = 0
    rows: int = 0
    errors: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def predict_to_directory(
    model_dir: str | Path,
    source: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    *,
    flags: ReadOptions | None = None,
    kind: str = "parquet",
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    batch_size: int = CHUNK_ROWS,  # rows a worker predicts at a time, as one process does
    lenient: bool = False,
    address: str | None = None,
    trust_remote_code: bool = False,
    splits: SplitOptions | None = None,
) -> RunSummary:
    """Predict every split of ``source`` into ``out_dir`` (one output shard per input split, plus the manifest).

    Splits already done for the same model (by its files' hash), the same split bytes and an intact output are
    skipped. Raises :class:`KoclassifyError` naming the first bad split (file, line, field), or an id found in
    two splits, after the other splits are finished and recorded.
    """
    from koclassify.data.ranges import fingerprint, tree_sha256
    from koclassify.engines import runmanifest
    from koclassify.io import check_directory_output, clean_stale, command_inputs, write_json

    if kind not in EXTENSIONS:
        raise KoclassifyError(f"--to must be one of {', '.join(EXTENSIONS)} with --engine ray, not {kind!r}")
    if workers < 1 or batch_size < 1 or not 0 <= gpus_per_worker < float("inf"):  # NaN fails too
        raise KoclassifyError("--workers and --batch-size must be at least 1, --gpus-per-worker at least 0")
    splits = splits or SplitOptions()
    model_dir = Path(model_dir).resolve()
    inputs = [p.resolve() for p in expand_inputs(source)]
    out_dir = Path(out_dir)
    given = [source] if isinstance(source, (str, Path)) else list(source)
    with command_inputs(model_dir, *inputs, *given):  # an input directory, a model directory or their contents
        check_directory_output(out_dir)
    clf = _load(str(model_dir), trust_remote_code)  # a bad model directory fails here, once, not in every worker
    if out_dir.exists() and not out_dir.is_dir():
        raise KoclassifyError(f"{out_dir}: exists and is not a directory; --out names a directory with --engine ray")
    manifest, model_changed = runmanifest.read(out_dir, model_dir, tree_sha256(model_dir), kind)
    summary = RunSummary(out_dir=out_dir, shards=len(inputs))
    if model_changed:
        summary.notes.append(f"{model_dir} changed since the last run: every split is predicted again")
    stems = [_shard_name(p) for p in inputs]
    if len(set(stems)) != len(stems):
        raise KoclassifyError("two input shards map to one output name; give distinct files")
    old_splits: dict[str, Any] = manifest["splits"]
    manifest["splits"], manifest["inputs"] = {}, {}
    planned: dict[str, tuple[Split, ReadOptions]] = {}
    todo: list[dict[str, str]] = []
    for path, stem in zip(inputs, stems):
        try:
            options, file_splits = plan_input(clf.data_options, path, flags or ReadOptions(), splits)
        except KoclassifyError as exc:
            summary.failures.append(str(exc))
            continue
        manifest["inputs"][str(path)] = {**fingerprint(path), "splits": len(file_splits), "note": file_splits[0].note}
        if file_splits[0].note and len(file_splits) == 1 and path.stat().st_size > splits.split_bytes:
            summary.notes.append(f"{path}: {file_splits[0].note}; read as one split")
        for split in file_splits:
            name = stem if split.whole else f"{stem}-{split.number:05d}"
            planned[name] = (split, options)
            entry = old_splits.pop(name, None)
            if not model_changed and runmanifest.still_done(entry, split, out_dir):
                manifest["splits"][name] = entry
                summary.skipped += 1
                summary.rows += int(entry["rows"])
                summary.errors += int(entry["errors"])
                continue
            output = out_dir / (name + EXTENSIONS[kind])
            errors_file = out_dir / ERRORS_DIR / f"{name}.errors.jsonl"
            for target in (output, errors_file):
                clean_stale(target)  # half-written shards of a killed run (their writer's process is gone)
            todo.append({"name": name, "split": json.dumps(split.to_json()), "options": json.dumps(options.to_json()),
                         "output": str(output), "errors_file": str(errors_file)})  # fmt: skip
    summary.splits = len(planned)
    _drop_outputs(out_dir, old_splits, keep={entry["output"] for entry in manifest["splits"].values()})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / runmanifest.MANIFEST, manifest)
    if todo:
        _run(todo, manifest, summary, str(model_dir), kind, workers, gpus_per_worker, batch_size, lenient, address,
             trust_remote_code)  # fmt: skip
    duplicate = None if summary.failures else _duplicate_ids(out_dir, manifest, planned, kind)
    manifest["complete"] = not summary.failures and duplicate is None and len(manifest["splits"]) == len(planned)
    manifest["rows"] = sum(e["rows"] for e in manifest["splits"].values())
    write_json(out_dir / runmanifest.MANIFEST, manifest)
    if summary.failures:
        raise KoclassifyError(
            f"{summary.failures[0]} ({len(summary.failures)} of {len(planned) or len(inputs)} splits failed; the "
            f"others are in {out_dir}: fix the input and re-run to finish only the missing splits)"
        )
    if duplicate is not None:
        raise duplicate
    return summary


def _run(todo: list[dict[str, str]], manifest: dict[str, Any], summary: RunSummary, model_dir: str, kind: str,
         workers: int, gpus: float, batch_size: int, lenient: bool, address: str | None,
         trust: bool) -> None:  # fmt: skip
    """Predict the ``todo`` splits on an actor pool, recording each finished split in the manifest at once."""
    from koclassify.engines import runmanifest
    from koclassify.io import write_json

    init_ray(address)
    ray = ray_module()
    workers = min(workers, len(todo))
    shared = start_shared_analyses(workers)
    try:
        items = ray.data.from_items(todo, override_num_blocks=len(todo))
        results = items.map_batches(
            ShardPredictor,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
            num_gpus=gpus or None,
            runtime_env={"env_vars": ONE_THREAD},
            fn_constructor_kwargs={
                "model_dir": model_dir,
                "kind": kind,
                "chunk_rows": batch_size,
                "lenient": lenient,
                "trust_remote_code": trust,
                "shared_analyses": shared,
            },  # fmt: skip
        )
        by_name = {item["name"]: item for item in todo}
        for row in results.iter_rows():
            item = by_name[str(row["name"])]
            if row["failure"]:
                summary.failures.append(str(row["failure"]))
                continue
            rows, errors = int(row["rows"]), int(row["errors"])
            split = Split.from_json(json.loads(item["split"]))
            errors_file = f"{ERRORS_DIR}/{Path(item['errors_file']).name}" if errors else None
            manifest["splits"][item["name"]] = runmanifest.record(
                split, Path(item["output"]).name, str(row["sha256"]), rows, errors, errors_file
            )
            write_json(Path(summary.out_dir) / runmanifest.MANIFEST, manifest)  # a crash loses at most running splits
            summary.done += 1
            summary.rows += rows
            summary.errors += errors
    finally:
        if shared is not None:  # the run's analyses end with the run, not whenever Ray collects the dataset
            with contextlib.suppress(ray.exceptions.RayError):  # already lost with its node
                ray.kill(shared)


def _drop_outputs(out_dir: Path, stale: dict[str, Any], keep: set[str]) -> None:
    """Remove the output shards of splits that are no longer planned (an input re-cut, removed or renamed): the
    manifest recorded them, so they are this package's own files; left, they would be read twice."""
    from koclassify.io import discard

    for entry in stale.values():
        if not isinstance(entry, dict):
            continue
        for rel in (entry.get("output"), entry.get("errors_file")):
            if isinstance(rel, str) and rel not in keep and "/" not in rel.removeprefix(f"{ERRORS_DIR}/"):
                discard(out_dir / rel)


def _duplicate_ids(
    out_dir: Path, manifest: dict[str, Any], planned: dict[str, tuple[Split, ReadOptions]], kind: str
) -> DataError | None:
    """An id written by two splits, as an error naming both (with their lines), or ``None``.

    Each split's ids are already unique (its reader checks); across splits, 8 bytes of hash per row are
    compared, and a hit is confirmed on the two output shards."""
    names = [name for name in planned if name in manifest["splits"]]
    hashes, owners = [], []
    for k, name in enumerate(names):
        ids = np.fromiter((hash(i) for i in _output_ids(out_dir / manifest["splits"][name]["output"], kind)),
                          dtype=np.int64)  # fmt: skip
        hashes.append(ids)
        owners.append(np.full(len(ids), k, dtype=np.int32))
    if not hashes:
        return None
    keys, who = np.concatenate(hashes), np.concatenate(owners)
    order = np.argsort(keys, kind="stable")
    keys, who = keys[order], who[order]
    for i in np.flatnonzero((keys[1:] == keys[:-1]) & (who[1:] != who[:-1])):
        first, second = names[who[i]], names[who[i + 1]]
        ids_first = {j for j in _output_ids(out_dir / manifest["splits"][first]["output"], kind) if hash(j) == keys[i]}
        common = [j for j in _output_ids(out_dir / manifest["splits"][second]["output"], kind) if j in ids_first]
        if not common:
            continue  # two ids with one hash
        (a, a_options), (b, b_options) = planned[first], planned[second]
        row_id = common[0]
        line = _line_of(b, b_options, row_id)
        return DataError(
            f"duplicate id {row_id!r}, also in {a.describe()} line {_line_of(a, a_options, row_id)}; ids must be "
            f"unique across all inputs (found in split {b.number + 1} of {b.count} of this file)",
            path=b.path,
            line=line,
            field="id",
        )
    return None


def _output_ids(path: Path, kind: str) -> Iterator[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        yield from (str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist())
    elif kind == "csv":
        import csv

        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            yield from (cells[0] for cells in reader if cells)
    else:
        with open(path, encoding="utf-8") as fh:
            yield from (str(json.loads(line)["id"]) for line in fh if line.strip())


def _line_of(split: Split, options: ReadOptions, row_id: str) -> int | None:
    """The input line of ``row_id`` in ``split`` (read again: this runs only to name a duplicate)."""
    from koclassify.data.stream import iter_chunks

    try:
        for chunk in iter_chunks(split.path, options, need_labels=False, errors=[], split=split):
            for other, line in zip(chunk.ids, chunk.lines):
                if other == row_id:
                    return line
    except KoclassifyError:
        return None
    return None


def _shard_name(path: Path) -> str:
    """``part-<stem>-<hash of the full path>``: stable across runs, distinct for equal names in other folders."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.name.split(".")[0])[:60]
    return f"part-{stem}-{digest}"


# ------------------------------------------------------------------------------------------ Python API


def _read_shards(batch: dict[str, np.ndarray], rows: int) -> Iterator:
    """A Ray task: stream splits into batches of plain columns (the Examples, flattened)."""
    from koclassify.data.stream import iter_chunks

    for split, options in zip(batch["split"], batch["options"]):
        split = Split.from_json(json.loads(split))
        options = ReadOptions.from_json(json.loads(options))
        for chunk in iter_chunks(split.path, options, chunk_rows=rows, need_labels=False, split=split):
            exs = chunk.examples
            yield {
                "id": np.asarray([ex.id for ex in exs], dtype=object),
                "text": np.asarray([ex.text for ex in exs], dtype=object),
                "target": np.asarray([json.dumps(ex.target.to_json() if ex.target else None) for ex in exs]),
                "fields": np.asarray([json.dumps(ex.fields, ensure_ascii=False) for ex in exs], dtype=object),
            }


class BatchPredictor:
    """A Ray Data actor: loads the model once; batches of rows in, ``id``, ``labels``, ``probs`` out."""

    def __init__(self, model_dir: str, trust_remote_code: bool = False, shared_analyses: Any = None) -> None:
        self.clf = _load(model_dir, trust_remote_code)
        self.names = list(self.clf.labels_.names)
        setup_worker(shared_analyses)

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
    batch_size: int = CHUNK_ROWS,  # rows a worker predicts at a time, as one process does
    options: ReadOptions | None = None,
    address: str | None = None,
    trust_remote_code: bool = False,
    splits: SplitOptions | None = None,
) -> Any:
    """A lazy Ray Dataset of predictions: ``id`` (str), ``labels`` (list of label names), ``probs`` (float64
    array in the order of the model's label names).

    ``source``: paths (a file, directory or glob of shards in any supported format; ``options`` as for the CLI)
    or a ``ray.data.Dataset`` with ``id`` and ``text`` columns (optional ``target``: the target's form). Files are
    cut into ``splits`` as for the CLI; ids are checked unique within each split (across splits, only
    :func:`predict_to_directory` checks). Ray is started locally unless this process is connected already (or
    ``address`` is given). With ``workers`` of 2 or more, the workers' shared analyses actor lives as long as the
    returned dataset does.
    """
    init_ray(address)
    ray = ray_module()
    model_dir = str(Path(model_dir).resolve())
    clf = _load(model_dir, trust_remote_code)
    if isinstance(source, ray.data.Dataset):
        rows = source
    else:
        items = []
        for path in expand_inputs(source):
            layout, file_splits = plan_input(clf.data_options, path.resolve(), options or ReadOptions(),
                                             splits or SplitOptions())  # fmt: skip
            items += [{"split": json.dumps(s.to_json()), "options": json.dumps(layout.to_json())} for s in file_splits]
        rows = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _read_shards, batch_size=1, fn_kwargs={"rows": batch_size}
        )
    return rows.map_batches(
        BatchPredictor,
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_gpus=gpus_per_worker or None,
        runtime_env={"env_vars": ONE_THREAD},
        fn_constructor_kwargs={
            "model_dir": model_dir,
            "trust_remote_code": trust_remote_code,
            "shared_analyses": start_shared_analyses(workers),
        },  # fmt: skip
    )
