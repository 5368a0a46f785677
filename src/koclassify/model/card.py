"""The model card: ``README.md`` in a saved model directory, in the Hugging Face model card format.

Written by :meth:`koclassify.Classifier.save` (and rewritten by ``save_calibration``) from what the model knows
about itself: the training data it saw (``training_``, with row counts), its backend and options, its decision
rule and thresholds, and how they were calibrated. ``koclassify train`` adds the data paths, the command line
and the dev metrics. The YAML header is built by ``huggingface_hub``'s ``ModelCardData`` (offline).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

CARD_FILE = "README.md"

TEMPLATE = """---
{{ card_data }}
---

# {{ title }}

{{ body }}
"""


def training_summary(
    raw_rows: int, examples: Sequence[Any], y: np.ndarray, names: Sequence[str], dev_rows: int | None
) -> dict[str, Any]:
    """What :meth:`Classifier.fit` saw: rows, training instances, rows per label and dev rows (for the card)."""
    counts = np.asarray(y).sum(axis=0)
    return {
        "rows": int(raw_rows),
        "instances": int(len(examples)),
        "label_counts": {name: int(c) for name, c in zip(names, counts)},
        "dev_rows": dev_rows,
    }


def card_text(clf: Any) -> str:
    """The card of a fitted classifier, as text."""
    from huggingface_hub import ModelCard, ModelCardData

    space = clf.labels_
    training = dict(getattr(clf, "training_", None) or {})
    kind = "multi-label" if space.multi_label else "multi-class"
    data = ModelCardData(
        language="ko",
        library_name="koclassify",
        pipeline_tag="text-classification",
        tags=["koclassify", "text-classification", kind, clf.backend.name],
        metrics=["micro-f1" if space.multi_label else "accuracy"],
        labels=list(space.names),
    )
    body = "\n\n".join(
        section
        for section in (
            _summary(clf, kind),
            _data_section(training),
            _backend_section(clf),
            _decision_section(clf),
            _metrics_section(clf, training),
            _usage_section(training),
            _limits_section(clf, kind),
        )
        if section
    )
    title = f"koclassify {kind} classifier ({len(space)} labels, {clf.backend.name} backend)"
    return str(ModelCard.from_template(data, template_str=TEMPLATE, title=title, body=body))


def write_card(clf: Any, directory: Path) -> Path:
    """Write ``directory/README.md`` atomically."""
    from koclassify.io import atomic_open

    path = Path(directory) / CARD_FILE
    with atomic_open(path) as fh:
        fh.write(card_text(clf))
    return path


def _summary(clf: Any, kind: str) -> str:
    from koclassify.version import __version__

    names = ", ".join(f"`{n}`" for n in clf.labels_.names)
    return (
        f"A {kind} Korean text classifier trained with [koclassify](https://pypi.org/project/koclassify/) "
        f"{__version__}. Labels: {names}."
    )


def _data_section(training: dict[str, Any]) -> str:
    lines = ["## Training data", ""]
    if not training:
        lines.append("Not recorded (the model was saved by a koclassify version that did not record it).")
        return "\n".join(lines)
    source = training.get("data")
    lines.append(f"- file: `{source}`" if source else "- data given through the Python API")
    rows, instances = training.get("rows"), training.get("instances")
    line = f"- {rows} rows"
    if instances is not None and instances != rows:
        line += f" ({instances} training instances after splitting multi-valued labels)"
    lines.append(line)
    if training.get("dev_rows") is not None:
        dev = training.get("dev")
        lines.append(f"- dev: {training['dev_rows']} rows" + (f" (`{dev}`)" if dev else ""))
    counts = training.get("label_counts") or {}
    if counts:
        lines += ["", "| label | training rows |", "|---|---:|"]
        lines += [f"| {name} | {count} |" for name, count in counts.items()]
    return "\n".join(lines)


def _backend_section(clf: Any) -> str:
    from koclassify.modeldir import MACHINE_OPTIONS

    options = {k: v for k, v in clf.backend.options.items() if k not in MACHINE_OPTIONS}
    lines = ["## Backend and options", "", f"Backend: `{clf.backend.name}`.", "", "| option | value |", "|---|---|"]
    lines += [f"| `{k}` | `{json.dumps(v, ensure_ascii=False, default=str)}` |" for k, v in sorted(options.items())]
    choice = getattr(clf.backend, "choice", None)
    if getattr(clf.backend, "selection", None) and choice is not None:
        lines += ["", f"Chosen on validation rows: `{choice.name}`."]
    if clf.text_fields:
        lines += ["", f"Text fields written before the text: {', '.join(f'`{k}`' for k in clf.text_fields)}."]
    if clf.prior_ is not None:
        lines += ["", f"Metadata prior over `{clf.prior_.field}` ({clf.prior_.mode})."]
    return "\n".join(lines)


def _decision_section(clf: Any) -> str:
    rule = clf.decision_
    lines = ["## Decision rule and thresholds", ""]
    if rule.rule == "argmax":
        lines.append("Multi-class: the most probable label (argmax); no thresholds.")
        return "\n".join(lines)
    text = {
        "threshold": "every label whose probability reaches its threshold (possibly none)",
        "at_least_one": "every label whose probability reaches its threshold; a row where none does takes the "
        "label closest to passing (highest probability / threshold)",
        "max_labels": f"as at_least_one, then at most {rule.max_labels} labels",
    }[rule.rule]
    lines.append(f"`{rule.rule}`: {text}.")
    if rule.labelled_share is not None:
        lines.append(f"Chosen automatically: {rule.labelled_share:.1%} of the training rows have a label.")
    if clf.stack_ is not None:
        lines.append("A second stage over all labels' log-odds is applied before the thresholds.")
    lines += ["", "| label | threshold |", "|---|---:|"]
    lines += [f"| {name} | {t:.3f} |" for name, t in clf.thresholds_dict().items()]
    return "\n".join(lines)


def _metrics_section(clf: Any, training: dict[str, Any]) -> str:
    cal = clf.calibration_ or {}
    lines = ["## Calibration and evaluation", ""]
    source = cal.get("source")
    if "score" in cal:
        how = {"dev": "the dev rows"}.get(str(source), None)
        if how is None and str(source).startswith("cv"):
            how = f"{str(source)[2:]}-fold out-of-fold probabilities of the training rows"
        how = how or "held-out probabilities given to `calibrate`"
        lines.append(
            f"Thresholds tuned for {cal.get('objective')} on {how} ({cal.get('rows')} rows): "
            f"{cal.get('objective')} {cal['score']:.4f} there (optimistic: tuned and scored on the same rows)."
        )
        untuned = cal.get("untuned_labels") or []
        if untuned:
            lines.append(f"Labels left at 0.5 (too few positives): {', '.join(untuned)}.")
    elif cal.get("note"):
        lines.append(str(cal["note"]).capitalize() + ".")
    else:
        lines.append("Thresholds were not tuned (they are 0.5).")
    metrics = training.get("dev_metrics")
    if metrics:
        lines += [
            "",
            f"On the dev file (`{training.get('dev')}`, {metrics.get('samples')} rows) with the stored thresholds"
            + (" (tuned on these same rows)" if source == "dev" else "")
            + ":",
            "",
            "| metric | value |",
            "|---|---:|",
        ]
        lines += [f"| {k} | {metrics[k]:.4f} |" for k in ("accuracy", "micro_f1", "macro_f1") if k in metrics]
    return "\n".join(lines)


def _usage_section(training: dict[str, Any]) -> str:
    lines = ["## How it was made and how to use it", ""]
    if training.get("command"):
        lines += ["Trained with:", "", "```sh", str(training["command"]), "```", ""]
    lines += [
        "```python",
        "from koclassify import Classifier",
        "",
        'clf = Classifier.load("MODEL_DIR")',
        'clf.predict("배송이 빨라요")',
        "```",
        "",
        'or `koclassify predict MODEL_DIR --text "배송이 빨라요"`.',
    ]
    return "\n".join(lines)


def _limits_section(clf: Any, kind: str) -> str:
    return "\n".join(
        [
            "## Intended use and limits",
            "",
            f"Intended for {kind} classification of Korean text like the training data, into the labels above. "
            "It knows only those labels and the kind of text it was trained on: text from another domain, "
            "register or period, or in another language, gets less reliable predictions, and its thresholds were "
            "tuned for the data above. Labels with few training rows are the least reliable. Check its errors on "
            "your own labelled data (`koclassify evaluate`, `koclassify report`) before relying on it, and do not "
            "use it alone for decisions about people.",
        ]
    )
