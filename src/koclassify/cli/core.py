"""``train``, ``predict``, ``evaluate``, ``convert``: parse, then call :mod:`koclassify.api`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from koclassify.cli.app import app
from koclassify.cli.common import (
    ConfigOpt,
    FormatOpt,
    IdColOpt,
    LabelColOpt,
    LabelColsOpt,
    LabelNamesOpt,
    LabelSepOpt,
    LenientOpt,
    MultiLabelOpt,
    NoHeaderOpt,
    TargetColOpt,
    TextColOpt,
    TrustRemoteCodeOpt,
    console,
    read_options,
    stdout,
    steps,
    with_config,
)
from koclassify.errors import KoclassifyError
from koclassify.options import OptionError


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="training file (NIKL jsonl, jsonl, CSV or TSV)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="model directory to write")],
    dev: Annotated[Path | None, typer.Option("--dev", help="dev file: thresholds are tuned on it")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="linear (default), encoder or llm")] = None,
    model: Annotated[str | None, typer.Option("--model", help="encoder/llm: Hugging Face name or local path")] = None,
    epochs: Annotated[float | None, typer.Option("--epochs", help="encoder/llm: training epochs")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="encoder/llm: batch size")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="encoder/llm: learning rate")] = None,
    qlora: Annotated[
        bool, typer.Option("--qlora", help="llm: 4-bit QLoRA (needs koclassify[qlora]; no CUDA: on the CPU)")
    ] = False,
    features: Annotated[
        str | None,
        typer.Option(
            "--features",
            help="linear: tfidf (default) | embed | tfidf+embed, or blocks char,word,morph,target,context,embed",
        ),
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-O", help="backend option KEY=VALUE (repeatable)")
    ] = None,
    calibrate: Annotated[
        str | None,
        typer.Option("--calibrate", help="auto (default: dev when given, else cv for linear) | dev | cv | none"),
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="micro-f1 (default) | macro-f1 | label-f1 | accuracy")
    ] = None,
    cv: Annotated[int | None, typer.Option("--cv", help="folds for --calibrate cv (default 5)")] = None,
    grid: Annotated[float | None, typer.Option("--grid", help="threshold step (default 0.001)")] = None,
    decision: Annotated[
        str | None, typer.Option("--decision", help="auto (default) | threshold | at_least_one | max_labels")
    ] = None,
    max_labels: Annotated[int | None, typer.Option("--max-labels", help="cap for --decision max_labels")] = None,
    prior: Annotated[
        str | None, typer.Option("--prior", help="metadata field whose P(label | value) is mixed in, e.g. artist")
    ] = None,
    prior_mode: Annotated[
        str | None,
        typer.Option(
            "--prior-mode", help="learned (weight tuned on --dev) | multiplier (the KoBERT lyrics recipe's x1.5)"
        ),
    ] = None,
    prior_min_count: Annotated[
        int | None, typer.Option("--prior-min-count", help="training rows a field value needs (default 2)")
    ] = None,
    text_fields: Annotated[
        str | None, typer.Option("--text-fields", help="fields written before the text, e.g. artist,album")
    ] = None,
    multi_value: Annotated[
        str | None,
        typer.Option("--multi-value", help="labels in one cell: multi-label (a label set) | split (one row each)"),
    ] = None,
    config: ConfigOpt = None,
    format: FormatOpt = None,
    text_col: TextColOpt = None,
    label_col: LabelColOpt = None,
    label_sep: LabelSepOpt = None,
    label_cols: LabelColsOpt = None,
    multi_label: MultiLabelOpt = None,
    no_header: NoHeaderOpt = False,
    label_names: LabelNamesOpt = None,
    id_col: IdColOpt = None,
    target_col: TargetColOpt = None,
    lenient: LenientOpt = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace --out even if it is not a koclassify model directory")
    ] = False,
) -> None:
    """Train a classifier, tune its thresholds, and save it as a model directory."""
    from koclassify.api import Classifier, is_main_process, layout_options
    from koclassify.data.read import read_examples
    from koclassify.modeldir import check_replaceable
    from koclassify.options import ConfigFile, FitOptions, TrainOptions, load_config, parse_pairs

    # every option (flags, -O pairs, the config file) is checked here, before any data is read
    cfg = ConfigFile.parse(load_config(config), where=f"config {config}")
    layout = layout_options(
        layout_options(None, **cfg.layout), format=format, text_col=text_col, label_col=label_col,
        label_sep=label_sep, label_cols=label_cols, multi_label=multi_label, no_header=no_header,
        label_names=label_names, id_col=id_col, target_col=target_col, lenient=lenient,
    )  # fmt: skip
    backend_name = backend or cfg.backend or "linear"
    given = {"model": model, "epochs": epochs, "batch_size": batch_size, "lr": lr, "features": features}
    backend_options = {**cfg.backend_options, **{k: v for k, v in given.items() if v is not None}}
    if qlora:
        backend_options["qlora"] = True
    backend_options.update(parse_pairs(option or []))
    if "stack" in backend_options:  # -O stack=... is a training option every backend shares
        train_opts_given = {"stack": backend_options.pop("stack")}
    else:
        train_opts_given = {}
    flags = {"decision": decision, "max_labels": max_labels, "prior": prior, "prior_mode": prior_mode,
             "text_fields": text_fields, "multi_value": multi_value}  # fmt: skip
    train_opts = {**cfg.train, **train_opts_given, **{k: v for k, v in flags.items() if v is not None}}
    if prior_min_count is not None:
        train_opts["prior_options"] = {**train_opts.get("prior_options", {}), "min_count": prior_min_count}
    if train_opts.get("multi_value") is None:
        train_opts.setdefault("multi_label", layout.multi_label)  # with multi_value a contradiction is an error
    fit_given = {"calibrate": calibrate, "cv": cv, "objective": objective, "grid": grid}
    fit = FitOptions.parse({**cfg.fit, **{k: v for k, v in fit_given.items() if v is not None}})
    if fit.calibrate is None and "calibrate" not in cfg.fit and calibrate is None:
        fit = fit.replace(calibrate="auto")  # the CLI's default
    if fit.calibrate == "dev" and dev is None:
        raise OptionError("--calibrate", "dev", "auto, cv or none without --dev FILE")
    clf = Classifier(backend_name, **TrainOptions.parse(train_opts).to_dict(), **backend_options)
    inputs = tuple(p for p in (data, dev, label_names, config) if p is not None)
    check_replaceable(out, overwrite=overwrite, inputs=inputs)  # before training, not after

    with steps() as step:
        with step("reading data"):
            train_set = read_examples(data, layout)
            dev_set = read_examples(dev, train_set.options) if dev is not None else None
        what = f"training {backend_name} on {len(train_set)} rows"
        if fit.calibrate is not None and (dev_set is not None or fit.calibrate == "cv" or backend_name == "linear"):
            what += f", calibrating ({fit.objective})"
        with step(what):
            clf.fit(
                train_set.examples, dev=dev_set.examples if dev_set else None, labels=train_set.label_names,
                calibrate=fit.calibrate, cv=fit.cv, objective=fit.objective, grid=fit.grid,
            )  # fmt: skip
        for report in clf.data_report_:
            console.print(f"  {report}", highlight=False)
        for note in clf.notes_:
            console.print(f"  {note}", highlight=False)
        if clf.prior_ is not None:
            stats = json.dumps(clf.prior_.stats_, ensure_ascii=False)
            console.print(f"  prior: {clf.prior_!r} {stats}", highlight=False)
        if clf.calibration_.get("source"):
            console.print(f"  thresholds tuned on {clf.calibration_['source']} ({fit.objective})", highlight=False)
        clf.data_options = train_set.options.to_json()
        for line in describe_backend(clf):
            console.print(f"  {line}", highlight=False)
        if not is_main_process():
            return  # under torchrun / accelerate launch every rank trains; rank 0 writes the model and reports
        with step(f"saving to {out}"):
            clf.save(out, overwrite=overwrite)
    labels = clf.labels_
    assert labels is not None and clf.decision_ is not None
    kind = "multi-label" if labels.multi_label else "multi-class"
    console.print(f"[green]saved[/] {out}: {kind}, {len(labels)} labels, {describe_calibration(clf)}")
    if dev_set is not None:
        _print_metrics(clf, dev_set.examples, as_json=False, title=f"dev: {dev}")


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="model directory written by `koclassify train`")],
    data: Annotated[
        Path, typer.Argument(help="file to classify (--engine ray: a file, a directory or a glob of shards)")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="output file (written atomically); --engine ray: output directory")
    ],
    probs: Annotated[bool, typer.Option("--probs", help="write jsonl rows with every label's probability")] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="auto | nikl | probs | csv | parquet (default: auto; ray: parquet)")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (one process, streaming) | ray (Ray Data)")] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="ray: cluster address, e.g. HOST:6379 (default: a local Ray)")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="ray: worker actors, each loads the model once")] = 1,
    gpus_per_worker: Annotated[
        float, typer.Option("--gpus-per-worker", help="ray: GPUs per worker (encoder / llm)")
    ] = 0.0,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="rows read and predicted at a time (default 10000; ray 1000)")
    ] = None,
    split_rows: Annotated[
        int | None, typer.Option("--split-rows", help="ray: rows per unit of work (default 100000)")
    ] = None,
    split_bytes: Annotated[
        int | None, typer.Option("--split-bytes", help="ray: bytes per unit of work of a text file (default 64 MiB)")
    ] = None,
    format: FormatOpt = None,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    target_col: TargetColOpt = None,
    no_header: NoHeaderOpt = False,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient", help="repair target offsets; set bad rows aside in OUT.errors.jsonl (ray: OUT/errors/)"
        ),
    ] = False,
    config: ConfigOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Classify a file, streaming it in chunks. NIKL input gives the NIKL submission; other inputs give jsonl
    with probabilities (or CSV / Parquet by the output's extension). --engine ray spreads shards over workers."""
    from koclassify.api import Classifier
    from koclassify.data.stream import CHUNK_ROWS
    from koclassify.data.writers import KINDS
    from koclassify.streaming import predict_file

    kind = "probs" if probs else (to or "auto")
    if kind not in KINDS:
        raise OptionError("--to", to, KINDS)
    if engine not in ("local", "ray"):
        raise OptionError("--engine", engine, message=f"--engine must be local or ray, not {engine!r}")
    if batch_size is not None and batch_size < 1:
        raise OptionError("--batch-size", batch_size, message="--batch-size must be at least 1")
    flags = with_config(config, format=format, text_col=text_col, id_col=id_col, target_col=target_col,
                        no_header=no_header, lenient=lenient)  # fmt: skip
    if engine == "ray":
        from koclassify.data.ranges import SplitOptions

        sizes = {"split_rows": split_rows, "split_bytes": split_bytes}
        splits = SplitOptions.parse({k: v for k, v in sizes.items() if v is not None})
        ray_options = (address, workers, gpus_per_worker, batch_size, trust_remote_code, splits)
        _predict_ray(model_dir, data, out, kind, flags, *ray_options)
        return
    if out.is_dir():
        raise KoclassifyError(f"--out {out}: is a directory; give a file name to write (or use --engine ray)")
    errors_path = out.with_name(out.name + ".errors.jsonl") if lenient else None
    with steps() as step:
        with step(f"loading {model_dir}"):
            clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
        layout = clf.layout_for(data, **flags)
        with step(f"predicting {data}"):
            result = predict_file(
                clf, data, out, layout, kind=kind, chunk_rows=batch_size or CHUNK_ROWS, errors_path=errors_path
            )
    console.print(f"[green]wrote[/] {out}: {result.rows} rows")
    if result.errors:
        console.print(f"[yellow]set aside[/] {result.errors} bad row(s) with their reasons: {errors_path}")
    for ex, labels in result.preview:
        target = f" [{ex.target_form}]" if ex.target_form else ""
        console.print(f"  {ex.text[:50]}{target} -> [bold]{', '.join(labels)}[/]", highlight=False)


def _predict_ray(
    model_dir: Path,
    data: Path,
    out: Path,
    kind: str,
    flags: dict[str, Any],
    address: str | None,
    workers: int,
    gpus_per_worker: float,
    batch_size: int | None,
    trust_remote_code: bool,
    splits: Any,
) -> None:
    from koclassify.distributed import SHARD_BATCH, predict_to_directory

    summary = predict_to_directory(
        model_dir,
        data,
        out,
        flags=read_options(**flags),
        kind="parquet" if kind == "auto" else kind,
        workers=workers,
        gpus_per_worker=gpus_per_worker,
        batch_size=batch_size or SHARD_BATCH,
        lenient=bool(flags.get("lenient", False)),
        address=address,
        trust_remote_code=trust_remote_code,
        splits=splits,
    )
    for note in summary.notes:
        console.print(f"[yellow]note[/] {note}")
    console.print(
        f"[green]wrote[/] {out}: {summary.rows} rows from {summary.shards} file(s) in {summary.splits} split(s) "
        f"({summary.done} predicted now, {summary.skipped} already done); manifest {out / 'manifest.json'}"
    )
    if summary.errors:
        console.print(f"[yellow]set aside[/] {summary.errors} bad row(s) with their reasons under {out / 'errors'}")


@app.command()
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    data: Annotated[Path, typer.Argument(help="labelled file")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print all metrics as one JSON line on stdout (the table goes to stderr)")
    ] = False,
    format: FormatOpt = None,
    text_col: TextColOpt = None,
    label_col: LabelColOpt = None,
    label_sep: LabelSepOpt = None,
    no_header: NoHeaderOpt = False,
    lenient: LenientOpt = False,
    config: ConfigOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Score a model on labelled data with its stored thresholds: accuracy, micro/macro F1, per-label P/R/F1."""
    from koclassify.api import Classifier

    layout = with_config(config, format=format, text_col=text_col, label_col=label_col, label_sep=label_sep,
                         no_header=no_header, lenient=lenient)  # fmt: skip
    clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
    dataset = clf.read(data, **layout)
    _print_metrics(clf, dataset.examples, as_json=as_json, title=str(data))


@app.command()
def convert(
    src: Annotated[Path, typer.Argument(help="input file")],
    dst: Annotated[Path, typer.Argument(help="output file")],
    expand: Annotated[
        bool, typer.Option("--expand", help="one row per true label (the LLM recipe's training rows)")
    ] = False,
    collapse: Annotated[bool, typer.Option("--collapse", help="merge per-label rows back into label sets")] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="jsonl | csv | tsv | nikl | parquet (default: from DST's extension)")
    ] = None,
    format: FormatOpt = None,
    text_col: TextColOpt = None,
    label_col: LabelColOpt = None,
    label_sep: LabelSepOpt = None,
    label_cols: LabelColsOpt = None,
    no_header: NoHeaderOpt = False,
    label_names: LabelNamesOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Convert between formats, and between label sets and one-row-per-label."""
    from koclassify.data.convert import convert_file

    if expand and collapse:
        raise KoclassifyError("choose one of --expand and --collapse")
    layout = read_options(
        format=format,
        text_col=text_col,
        label_col=label_col,
        label_sep=label_sep,
        label_cols=label_cols,
        no_header=no_header,
        label_names=label_names,
        lenient=lenient,
    )
    n = convert_file(src, dst, layout, expand=expand, collapse=collapse, to=to)
    console.print(f"[green]wrote[/] {dst}: {n} rows")


def _print_metrics(clf: Any, examples: list, *, as_json: bool, title: str) -> None:
    from koclassify.metrics import evaluate as score
    from koclassify.metrics import format_metrics

    examples = clf.prepare(examples, source=title)  # rows as training saw them (one per label in split mode)
    gold = clf.labels_.indicator(examples, source=title)
    pred = clf.decide(clf.predict_proba(examples))
    metrics = score(gold, pred, list(clf.labels_.names), clf.labels_.multi_label)
    # with --json, stdout holds nothing but the JSON (`evaluate --json > m.json`); the table goes to stderr
    (console if as_json else stdout).print(format_metrics(metrics, title=title), highlight=False)
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))


def describe_calibration(clf: Any) -> str:
    """``decision at_least_one (auto: 99.9% of training rows have a label); second stage used (0.551 -> 0.558)``."""
    rule = clf.decision_
    text = f"decision {rule.rule}"
    if rule.labelled_share is not None:
        text += f" (auto: {rule.labelled_share:.1%} of training rows have a label)"
    stack = clf.calibration_.get("stack") or {}
    if stack.get("mode", "off") != "off":
        scores = ""
        if "cv_score_stacked" in stack:  # what auto decided on: thresholds tuned on other folds
            scores = f" ({stack['cv_score_first_stage']:.4f} -> {stack['cv_score_stacked']:.4f} cross-validated)"
        elif "score_stacked" in stack:
            scores = f" ({stack['score_first_stage']:.4f} -> {stack['score_stacked']:.4f} out of fold)"
        text += f"; second stage {'used' if stack.get('used') else 'not used'}{scores}"
        if stack.get("note"):
            text += f": {stack['note']}"
    return text


def describe_backend(clf: Any) -> list[str]:
    """What the backend chose on held-out rows, when it chose something (linear: head, scale, NB weighting)."""
    selection = getattr(clf.backend, "selection", None)
    choice = getattr(clf.backend, "choice", None)
    if not selection or choice is None:
        return []
    scores = ", ".join(f"{name} {value:.4f}" for name, value in selection.items())
    return [f"chose {choice.name} on validation ({scores})"]
