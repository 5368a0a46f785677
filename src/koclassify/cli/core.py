"""``train``, ``predict``, ``evaluate``, ``convert``: parse, then call :mod:`koclassify.model.classifier`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from koclassify.cli.app import app
from koclassify.cli.common import check_inputs, console, load_and_read, stdout, steps
from koclassify.cli.flags import (
    ALL_LAYOUT,
    LABELLED,
    Layout,
    MaxLabelsOpt,
    TrustRemoteCodeOpt,
    flag_name,
    hidden,
    layout_flags,
    renamed,
)
from koclassify.errors import KoclassifyError
from koclassify.options import OptionError
from koclassify.pipes import STDIN_NAME, STDOUT_NAME, input_path, is_dash, output_path


@app.command()
@layout_flags(*ALL_LAYOUT, config=True)
def train(
    data: Annotated[Path, typer.Argument(help="training file (NIKL jsonl, jsonl, CSV or TSV); '-': standard input")],
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
    max_labels: MaxLabelsOpt = None,
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
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace --out even if it is not a koclassify model directory")
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="the backend's random state (solvers, shuffling, init; default 0)")
    ] = None,
    layout: Layout | None = None,
) -> None:
    """Train a classifier, tune its thresholds, and save it as a model directory."""
    given_values = dict(locals())  # for the model card's command line
    from koclassify.backends.base import check_backend_options
    from koclassify.data.read import read_examples
    from koclassify.model.classifier import Classifier, is_main_process, layout_options
    from koclassify.modeldir import check_replaceable
    from koclassify.options import ConfigFile, FitOptions, TrainOptions, load_config, parse_pairs

    # every option (flags, -O pairs, the config file) is checked here, before any data is read
    layout = layout or Layout()
    config, label_names = layout.config, layout.given.get("label_names")
    cfg = ConfigFile.parse(load_config(config), where=f"config {config}")
    read_opts = layout_options(layout_options(None, **cfg.layout), **layout.given)
    backend_name = backend or cfg.backend or "linear"
    given = {"model": model, "epochs": epochs, "batch_size": batch_size, "lr": lr, "features": features, "seed": seed}
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
        train_opts.setdefault("multi_label", read_opts.multi_label)  # with multi_value a contradiction is an error
    fit_given = {"calibrate": calibrate, "cv": cv, "objective": objective, "grid": grid}
    fit = FitOptions.parse({**cfg.fit, **{k: v for k, v in fit_given.items() if v is not None}})
    if fit.calibrate is None and "calibrate" not in cfg.fit and calibrate is None:
        fit = fit.replace(calibrate="auto")  # the CLI's default
    if fit.calibrate == "dev" and dev is None:
        raise OptionError("--calibrate", "dev", "auto, cv or none without --dev FILE")
    train_options = TrainOptions.parse(train_opts).to_dict()
    check_backend_options(backend_name, backend_options)  # without importing the backend (scikit-learn, torch)
    check_inputs(data, dev, label_names)  # a missing file fails now, not after the backend's imports
    inputs = tuple(p for p in (data, dev, label_names, config) if p is not None)
    check_replaceable(out, overwrite=overwrite, inputs=inputs)  # before training, not after
    with steps() as step:
        with step(f"loading the {backend_name} backend"):  # its libraries: seconds before any data is read
            clf = Classifier(backend_name, **train_options, **backend_options)
        with step(f"reading {data}" + (f" and {dev}" if dev is not None else "")), input_path(data) as source:
            train_set = read_examples(source, read_opts)
            dev_set = read_examples(dev, train_set.options) if dev is not None else None
        if read_opts.lenient and clf.multi_label is None:  # rows without a label: set aside, not a task change
            from koclassify.data.labels import set_aside_unlabelled

            train_set.examples, aside = set_aside_unlabelled(train_set.examples)
            if aside:
                shown = ", ".join(repr(ex.id) for ex in aside[:5]) + (" ..." if len(aside) > 5 else "")
                console.print(f"  --lenient: set aside {len(aside)} row(s) without a label: ids {shown}")
        what = f"training {backend_name} on {len(train_set)} rows"
        tuned = dev_set is not None or fit.calibrate == "cv" or clf.backend.supports_cv_calibration  # auto: cv
        if fit.calibrate is not None and tuned and _multi_label(train_set, train_options):  # argmax: no thresholds
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
        clf.training_.update(
            data=str(data),
            dev=str(dev) if dev is not None else None,
            command=command_line("train", train, given_values),
        )
        dev_metrics = _metrics(clf, dev_set.examples, str(dev)) if dev_set is not None else None
        if dev_metrics is not None:  # for the model card: the headline numbers, not the per-label table
            clf.training_["dev_metrics"] = {k: dev_metrics[k] for k in ("samples", "accuracy", "micro_f1", "macro_f1")}
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
    if dev_metrics is not None:
        _print_metrics(clf, [], as_json=False, title=_dev_title(clf, str(dev), train_set, dev_set), metrics=dev_metrics)


def _multi_label(train_set: Any, train_options: dict[str, Any]) -> bool:
    """Whether training will make a multi-label model (thresholds to tune), as the Classifier will decide it."""
    from koclassify.data.labels import LabelSpace

    if train_options.get("multi_label") is not None:
        return bool(train_options["multi_label"])
    if train_options.get("multi_value") is not None:
        return bool(train_options["multi_value"] == "multi-label")
    try:
        return LabelSpace.from_examples(train_set.examples).multi_label
    except (KoclassifyError, ValueError, TypeError):
        return True  # fit() reports what is wrong with the labels


def _dev_title(clf: Any, dev: str, train_set: Any, dev_set: Any) -> str:
    """The dev table's title says what the rows are: the thresholds' own tuning rows, and training rows too when
    the dev file repeats the training file (those scores say little about new data)."""
    notes = []
    if clf.labels_.multi_label and clf.calibration_.get("source") == "dev":
        notes.append("thresholds tuned on these rows")
    seen = {ex.text for ex in train_set.examples}
    repeated = sum(ex.text in seen for ex in dev_set.examples)
    if dev_set.examples and repeated / len(dev_set.examples) >= 0.5:
        notes.append(f"{repeated / len(dev_set.examples):.0%} of them are training rows: optimistic scores")
    return f"dev: {dev}" + (f" ({'; '.join(notes)})" if notes else "")


@app.command()
@layout_flags(
    "format",
    "text_col",
    "id_col",
    "target_col",
    "no_header",
    "lenient",
    config=True,
    help={"lenient": "repair target offsets; set bad rows aside in OUT.errors.jsonl (ray: OUT/errors/)"},
)
def predict(
    model_dir: Annotated[Path, typer.Argument(help="model directory written by `koclassify train`")],
    data: Annotated[
        Path | None,
        typer.Argument(
            help="file to classify, '-' for standard input (--engine ray: a file, a directory or a glob of shards)"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="output file (written atomically), '-' for standard output (jsonl unless --to); --engine ray: "
            "output directory",
        ),
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option("--text", help="classify this sentence and print its labels and probabilities (repeatable)"),
    ] = None,
    top_k: Annotated[
        int | None,
        typer.Option("--top-k", help="also give the K most probable labels with their probabilities (jsonl, --text)"),
    ] = None,
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
    chunk_rows: Annotated[
        int | None, typer.Option("--chunk-rows", help="rows read and predicted at a time (default 10000)")
    ] = None,
    batch_size: Annotated[int | None, hidden("--batch-size")] = None,  # the old name of --chunk-rows
    split_rows: Annotated[
        int | None, typer.Option("--split-rows", help="ray: rows per unit of work (default 100000)")
    ] = None,
    split_bytes: Annotated[
        int | None, typer.Option("--split-bytes", help="ray: bytes per unit of work of a text file (default 64 MiB)")
    ] = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
    layout: Layout | None = None,
) -> None:
    """Classify a file, streaming it in chunks. NIKL input gives the NIKL submission; other inputs give jsonl
    with probabilities (or CSV / Parquet by the output's extension). --engine ray spreads shards over workers."""
    from koclassify.data.writers import KINDS
    from koclassify.engines import predict as run_prediction
    from koclassify.engines import predict_options
    from koclassify.model.classifier import Classifier

    layout = layout or Layout()
    batch_size = renamed(chunk_rows, batch_size, new="--chunk-rows", old="--batch-size")
    given: dict[str, Any] = {"engine": engine, "chunk_rows": batch_size, "top_k": top_k, "workers": workers,
             "gpus_per_worker": gpus_per_worker, "address": address, "split_rows": split_rows,
             "split_bytes": split_bytes}  # fmt: skip
    try:
        checked, _ = predict_options(**given)  # every option checked once, before a model (or Ray) is loaded
    except OptionError as exc:  # named as the flag the person typed
        raise OptionError(exc.option, exc.value, message=f"{flag_name(exc.option)}: {exc}") from None
    kind = "probs" if probs else (to or "auto")
    if kind not in KINDS:
        raise OptionError("--to", to, KINDS)
    if text:
        if data is not None or out is not None:
            raise OptionError("--text", message="give either --text SENTENCE or DATA --out FILE, not both")
        _predict_texts(model_dir, text, top_k, trust_remote_code)
        return
    if data is None:
        raise OptionError("DATA", message="give a file to classify ('-' for standard input) or --text SENTENCE")
    if out is None:
        raise OptionError("--out", message="give --out FILE ('-' for standard output)")
    if top_k is not None:
        if kind == "auto" and out.suffix.lower() not in (".csv", ".tsv", ".parquet"):
            kind = "probs"  # the rows that have a place for it (NIKL input would otherwise give the submission)
        if kind != "probs":
            shown = to or out.suffix
            raise OptionError(
                "--top-k", top_k, message=f"--top-k adds to jsonl rows; {shown} output has no place for it"
            )
    flags = layout.flags()
    if checked.engine == "ray":
        if is_dash(data) or is_dash(out):
            raise OptionError("engine", "ray", message="--engine ray reads and writes files, not '-'")
        summary = run_prediction(model_dir, data, out, layout=flags, kind=kind, trust_remote_code=trust_remote_code,
                                 **given)  # fmt: skip
        _say_ray_run(out, summary)
        return
    if os.path.isdir(out):  # False for a name too long to look up, which the write gate then names
        raise KoclassifyError(f"--out {out}: is a directory; give a file name to write (or use --engine ray)")
    check_inputs(data)
    errors_name = "predictions" if is_dash(out) else out.name  # --out -: bad rows go beside, in the working directory
    errors_path = out.with_name(errors_name + ".errors.jsonl") if flags.get("lenient") else None
    suffix = {"csv": ".csv", "parquet": ".parquet"}.get(kind, ".jsonl")
    with steps() as step, input_path(data) as source, output_path(out, suffix) as target:
        with step(f"loading {model_dir}"):
            clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
        with step(f"predicting {STDIN_NAME if is_dash(data) else data}"):
            result = run_prediction(clf, source, target, layout=flags, kind=kind, errors_path=errors_path, **given)
    console.print(f"[green]wrote[/] {STDOUT_NAME if is_dash(out) else out}: {result.rows} rows")
    if result.errors:
        console.print(f"[yellow]set aside[/] {result.errors} bad row(s) with their reasons: {errors_path}")
    for ex, labels in result.preview:
        span = f" [{ex.target_form}]" if ex.target_form else ""
        console.print(f"  {ex.text[:50]}{span} -> [bold]{', '.join(labels)}[/]", highlight=False)


def _predict_texts(model_dir: Path, texts: list[str], top_k: int | None, trust_remote_code: bool) -> None:
    """``--text``: each sentence, its labels, and its most probable labels with their probabilities (stdout)."""
    from koclassify.data.writers import top_labels
    from koclassify.model.classifier import Classifier

    clf = Classifier.load(model_dir, trust_remote_code=trust_remote_code)
    probs = clf.predict_proba(texts)
    decisions = clf.decide(probs)
    names = clf.classes_.tolist()
    k = top_k or min(len(names), 5)
    for sentence, row, decided in zip(texts, probs, decisions):
        labels = [n for n, on in zip(names, decided) if on]
        print(f"{sentence}\t{', '.join(labels) or '(no label)'}")  # tab-separated: plain print, no rich layout
        for name, p in top_labels(row, names, k):
            mark = " *" if name in labels else ""
            print(f"  {name}\t{p:.4f}{mark}")


def _say_ray_run(out: Path, summary: Any) -> None:
    for note in summary.notes:
        console.print(f"[yellow]note[/] {note}")
    console.print(
        f"[green]wrote[/] {out}: {summary.rows} rows from {summary.shards} file(s) in {summary.splits} split(s) "
        f"({summary.done} predicted now, {summary.skipped} already done); manifest {out / 'manifest.json'}"
    )
    if summary.errors:
        console.print(f"[yellow]set aside[/] {summary.errors} bad row(s) with their reasons under {out / 'errors'}")


@app.command()
@layout_flags(*LABELLED, config=True)
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    data: Annotated[Path, typer.Argument(help="labelled file; '-': standard input")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print all metrics as one JSON line on stdout (the table goes to stderr)")
    ] = False,
    trust_remote_code: TrustRemoteCodeOpt = False,
    layout: Layout | None = None,
) -> None:
    """Score a model on labelled data with its stored thresholds: accuracy, micro/macro F1, per-label P/R/F1."""
    flags = (layout or Layout()).flags()
    check_inputs(data)
    with steps() as step:
        clf, dataset = load_and_read(step, model_dir, data, flags, trust_remote_code)
        with step(f"scoring {len(dataset)} rows"):
            examples = clf.prepare(dataset.examples, source=str(data))
            predicted = clf.predict_proba(examples)
    _print_metrics(clf, examples, as_json=as_json, title=STDIN_NAME if is_dash(data) else str(data), probs=predicted)


@app.command()
@layout_flags("format", "text_col", "label_col", "label_sep", "label_cols", "no_header", "label_names", "lenient")
def convert(
    src: Annotated[Path, typer.Argument(help="input file; '-': standard input")],
    dst: Annotated[Path, typer.Argument(help="output file; '-': standard output (jsonl unless --to)")],
    expand: Annotated[
        bool, typer.Option("--expand", help="one row per true label (the LLM recipe's training rows)")
    ] = False,
    collapse: Annotated[bool, typer.Option("--collapse", help="merge per-label rows back into label sets")] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="jsonl | csv | tsv | nikl | parquet (default: from DST's extension)")
    ] = None,
    layout: Layout | None = None,
) -> None:
    """Convert between formats, and between label sets and one-row-per-label."""
    from koclassify.data.convert import convert_file

    if expand and collapse:
        raise KoclassifyError("choose one of --expand and --collapse")
    check_inputs(src)
    suffix = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet"}.get(to or "", ".jsonl")
    with input_path(src) as source, output_path(dst, suffix) as target:
        n = convert_file(source, target, (layout or Layout()).read_options(), expand=expand, collapse=collapse, to=to)
    console.print(f"[green]wrote[/] {STDOUT_NAME if is_dash(dst) else dst}: {n} rows")


def command_line(name: str, function: Any, values: dict[str, Any]) -> str:
    """The command that is running (``koclassify train DATA --out M ...``), for the model card: rebuilt from the
    command's declared parameters and their values (those that differ from the defaults), so it reads the same
    however the CLI was invoked."""
    import inspect
    import shlex
    import typing

    hints = typing.get_type_hints(function, include_extras=True)
    words = ["koclassify", name]
    for pname, param in inspect.signature(function).parameters.items():
        info = next((m for m in getattr(hints.get(pname), "__metadata__", ()) if hasattr(m, "param_decls")), None)
        value = values.get(pname)
        if info is None or value is None or value == param.default or value in ((), []):
            continue
        first = getattr(info, "default", None)  # in Annotated[..., typer.Option("--out", "-o")] it is a name
        names = [first, *(info.param_decls or ())] if isinstance(first, str) else list(info.param_decls or ())
        decls = [d for d in names if d.startswith("--")]
        listed = value if isinstance(value, (list, tuple)) else [value]
        if not decls:  # an argument
            words += [str(v) for v in listed]
        elif isinstance(value, bool):
            words.append(decls[0].split("/")[0] if value else decls[0].split("/")[-1])
        else:
            words += [w for v in listed for w in (decls[0], str(v))]
    return shlex.join(words)


def _metrics(clf: Any, examples: list, title: str, probs: Any = None) -> dict[str, Any]:
    """``probs``: the model's probabilities for ``examples`` already prepared (rows as training saw them)."""
    from koclassify.metrics import evaluate as score

    if probs is None:
        examples = clf.prepare(examples, source=title)  # rows as training saw them (one per label in split mode)
        probs = clf.predict_proba(examples)
    gold = clf.labels_.indicator(examples, source=title)
    pred = clf.decide(probs)
    return score(gold, pred, list(clf.labels_.names), clf.labels_.multi_label)


def _print_metrics(
    clf: Any, examples: list, *, as_json: bool, title: str, metrics: dict[str, Any] | None = None, probs: Any = None
) -> None:
    from koclassify.metrics import format_metrics

    if metrics is None:
        metrics = _metrics(clf, examples, title, probs)
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
