"""Flags that several commands share, declared once.

The data layout flags are generated from :class:`koclassify.data.options.ReadOptions` (one flag per field, named
after it): a command lists which ones it takes with :func:`layout_flags`, and receives them as one
:class:`Layout` instead of re-declaring eleven parameters. Decision and calibration flags that several commands
take are declared here once. A renamed flag keeps its old spelling as a hidden alias that still works and says
its new name once (:func:`renamed`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from koclassify.data.options import ReadOptions
from koclassify.options import FitOptions

# How each layout option reads on the command line (a typer alias per ReadOptions field, named after it; commands
# written before flags.py import these aliases from cli.common). test_flags checks every field has one.
FormatOpt = Annotated[str | None, typer.Option("--format", help="nikl | csv | tsv | jsonl | parquet (default: detect)")]
TextColOpt = Annotated[str | None, typer.Option("--text-col", help="table: the text column")]
LabelColOpt = Annotated[str | None, typer.Option("--label-col", help="table: the label column")]
LabelSepOpt = Annotated[str | None, typer.Option("--label-sep", help="separator of several labels in one cell")]
LabelColsOpt = Annotated[
    str | None, typer.Option("--label-cols", help="table, wide format: comma-separated 0/1 columns")
]
MultiLabelOpt = Annotated[bool | None, typer.Option("--multi-label/--multi-class", help="force the task type")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="table without a header row")]
LabelNamesOpt = Annotated[Path | None, typer.Option("--label-names", help="file of label names; cells hold indices")]
IdColOpt = Annotated[str | None, typer.Option("--id-col", help="table: the id column")]
TargetColOpt = Annotated[str | None, typer.Option("--target-col", help="table: a target-form column")]
LenientOpt = Annotated[bool, typer.Option("--lenient", help="NIKL: repair bad target offsets by searching the form")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="JSON or TOML file with any of these options")]

LAYOUT_FLAGS: dict[str, tuple[Any, Any]] = {  # ReadOptions field -> (its flag, the flag's default)
    "format": (FormatOpt, None),
    "text_col": (TextColOpt, None),
    "label_col": (LabelColOpt, None),
    "label_sep": (LabelSepOpt, None),
    "label_cols": (LabelColsOpt, None),
    "multi_label": (MultiLabelOpt, None),
    "no_header": (NoHeaderOpt, False),
    "label_names": (LabelNamesOpt, None),
    "id_col": (IdColOpt, None),
    "target_col": (TargetColOpt, None),
    "lenient": (LenientOpt, False),
}

# the layout flags of commands that read labelled files, and of every command that reads at all
LABELLED = ("format", "text_col", "label_col", "label_sep", "no_header", "lenient")
ALL_LAYOUT = tuple(f.name for f in dataclasses.fields(ReadOptions))


def flag_name(option: str) -> str:
    """``text_col`` -> ``--text-col``: every generated flag is its option's name."""
    return "--" + option.replace("_", "-")


@dataclass
class Layout:
    """The layout flags a command was given (only those set), and its ``--config`` file when it takes one."""

    given: dict[str, Any] = field(default_factory=dict)
    config: Path | None = None

    def flags(self) -> dict[str, Any]:
        """Layout flags over the config file's layout keys (whose keys are checked)."""

        return with_config(self.config, **self.given)

    def read_options(self) -> Any:
        """:meth:`flags` as a :class:`ReadOptions`."""

        return read_options(**self.flags())


KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _parameter(name: str, alias: Any, default: Any, help_text: str | None = None) -> inspect.Parameter:
    if help_text is not None:  # this command's own wording of the flag
        kind, option = typing.get_args(alias)
        option = copy.copy(option)
        option.help = help_text
        alias = Annotated[kind, option]
    return inspect.Parameter(name, KEYWORD, default=default, annotation=alias)


def _flag_group(
    param: str, added: list[inspect.Parameter], build: Callable[[dict[str, Any]], Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the flags ``added``; it receives ``build(their values)`` as its parameter ``param``. The one
    mechanism behind :func:`layout_flags` and :func:`tuning_flags`."""

    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != param]

        @functools.wraps(command)
        def run(**kwargs: Any) -> Any:
            group = build({p.name: kwargs.pop(p.name) for p in added})
            return command(**kwargs, **{param: group})

        params = sorted([*own, *added], key=lambda p: p.kind)  # keyword-only after the command's own
        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        del run.__wrapped__  # typer must read the new signature, not the command's
        return run

    return wrap


def layout_flags(
    *names: str, config: bool = False, help: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the layout flags ``names`` (and ``--config`` when asked); it receives them as its
    ``layout: Layout`` parameter. ``help`` overrides a flag's help line for this command."""
    unknown = [n for n in names if n not in LAYOUT_FLAGS]
    if unknown:
        raise ValueError(f"not layout options: {unknown}")
    added = [_parameter(n, *LAYOUT_FLAGS[n], (help or {}).get(n)) for n in names]
    if config:
        added.append(inspect.Parameter("config", KEYWORD, default=None, annotation=ConfigOpt))

    def build(given: dict[str, Any]) -> Layout:
        chosen = {k: v for k, v in given.items() if k != "config" and v is not None and v is not False}
        return Layout(chosen, given.get("config"))

    return _flag_group("layout", added, build)


def renamed(new_value: Any, old_value: Any, *, new: str, old: str) -> Any:
    """The value of a flag that was renamed: the old spelling still works, with a one-line notice."""
    if old_value is None or old_value is False:
        return new_value
    from koclassify.cli.output import warning

    warning(f"{old} is now {new}; the old name still works for now")
    return old_value if new_value is None or new_value is False else new_value


def hidden(*names: str) -> Any:
    """A hidden option (an old spelling kept working)."""
    return typer.Option(*names, hidden=True)


# --------------------------------------------------------------------- decision and calibration flags
ObjectiveOpt = Annotated[
    str, typer.Option("--objective", help="micro-f1 | macro-f1 | label-f1 | accuracy (TP+TN per label: NIKL 2023)")
]
GridOpt = Annotated[float, typer.Option("--grid", help="threshold step (0.001: 0.0%-99.9% like the NIKL 2023 recipe)")]
ScaleOpt = Annotated[str, typer.Option("--scale", help="auto | unit | percent: how --probs files hold probabilities")]
DecisionOpt = Annotated[
    str | None, typer.Option("--decision", help="threshold | at_least_one | max_labels (stored in the model)")
]
MaxLabelsOpt = Annotated[int | None, typer.Option("--max-labels", help="cap for --decision max_labels")]


@dataclass(frozen=True)
class Tuning:
    """The threshold-tuning flags that ``calibrate`` and ``ensemble`` share, checked once (:meth:`checked`) before
    anything is read: ``objective`` and ``grid`` as :class:`~koclassify.options.FitOptions` declares them, the
    rule as :func:`koclassify.decide.decision.given_rule` checks it, ``scale`` against the probability-file scales."""

    objective: str
    grid: float
    scale: str
    decision: str | None = None
    max_labels: int | None = None

    @classmethod
    def checked(cls, **given: Any) -> Tuning:
        from koclassify.decide.calibration import PROB_SCALES
        from koclassify.decide.decision import given_rule
        from koclassify.options import OptionError

        tuning = cls(**given)
        FitOptions.parse(objective=tuning.objective, grid=tuning.grid)
        if tuning.decision is not None:
            given_rule(tuning.decision, tuning.max_labels)
        if tuning.scale not in PROB_SCALES:
            raise OptionError("--scale", tuning.scale, PROB_SCALES)
        return tuning


def _fit_default(name: str) -> Any:
    return next(f.default for f in dataclasses.fields(FitOptions) if f.name == name)


TUNING_FLAGS: dict[str, tuple[Any, Any]] = {  # Tuning field -> (its flag, the default: FitOptions' where it has one)
    "objective": (ObjectiveOpt, _fit_default("objective")),
    "grid": (GridOpt, _fit_default("grid")),
    "scale": (ScaleOpt, "auto"),
    "decision": (DecisionOpt, None),
    "max_labels": (MaxLabelsOpt, None),
}


def tuning_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command ``--objective --grid --scale --decision --max-labels``, received as ``tuning: Tuning``,
    already checked."""
    added = [_parameter(n, alias, default) for n, (alias, default) in TUNING_FLAGS.items()]
    return _flag_group("tuning", added, lambda given: Tuning.checked(**given))(command)


OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="replace existing output")]
TrustRemoteCodeOpt = Annotated[
    bool, typer.Option("--trust-remote-code", help="llm: let the base model run its own code (never the default)")
]


def with_config(config: Path | None, **flags: Any) -> dict[str, Any]:
    """Layout flags given on the command line over the column options of a ``--config`` file (whose keys are
    checked: an unknown one is an error; training keys are allowed and ignored by commands that do not train)."""
    from koclassify.options import ConfigFile, load_config

    cfg = ConfigFile.parse(load_config(config), where=f"config {config}") if config is not None else None
    given = {k: v for k, v in flags.items() if v is not None and v is not False}
    return {**(cfg.layout if cfg else {}), **given}


def read_options(
    base: ReadOptions | None = None,
    *,
    format: str | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_sep: str | None = None,
    label_cols: str | None = None,
    multi_label: bool | None = None,
    no_header: bool = False,
    label_names: Path | None = None,
    id_col: str | None = None,
    target_col: str | None = None,
    lenient: bool = False,
) -> ReadOptions:
    """Command-line flags on top of ``base`` (a config file's or a model directory's remembered layout)."""
    from koclassify.model.classifier import layout_options

    return layout_options(
        base, format=format, text_col=text_col, label_col=label_col, label_sep=label_sep, label_cols=label_cols,
        multi_label=multi_label, no_header=no_header, label_names=label_names, id_col=id_col, target_col=target_col,
        lenient=lenient,
    )  # fmt: skip
