"""Options declared once: typed dataclasses with choices and ranges, checked when they are built.

Every option of koclassify (each backend's, the training options of :class:`koclassify.Classifier`, the fit-time
calibration options) is a field of a subclass of :class:`Options`. Python keyword arguments, the CLI's flags,
``-O KEY=VALUE`` pairs and ``--config`` files all end in :meth:`Options.parse`, so a typo or a bad value fails in
the same way everywhere, before any data is read: one :class:`OptionError` naming the option, the value and what
is allowed (with the nearest known key for a misspelt one).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, TypeVar

from koclassify.errors import KoclassifyError

__all__ = [
    "DECISIONS",
    "CALIBRATE_MODES",
    "DecisionOptions",
    "FitOptions",
    "ENGINES",
    "OptionError",
    "Options",
    "PredictOptions",
    "PriorOptions",
    "ReadOptions",
    "TrainOptions",
    "load_config",
    "opt",
    "parse_pairs",
    "suggest",
]

T = TypeVar("T", bound="Options")
_MISSING = dataclasses.MISSING


class OptionError(KoclassifyError, ValueError):
    """A bad option: names the option, the value given and the allowed values (a ``ValueError`` for API callers)."""

    def __init__(self, option: str, value: Any = _MISSING, allowed: str | Iterable[Any] | None = None, *,
                 owner: str = "", message: str | None = None, reason: str | None = None) -> None:  # fmt: skip
        self.option, self.value, self.owner = option, value, owner
        where = f" ({owner})" if owner else ""
        if message is None:
            shown = "" if value is _MISSING else f"={_show(value)}"
            message = f"invalid option {option}{shown}{where}"
            if reason is not None:
                message += f": {reason}"
            elif allowed is not None:
                allowed_text = allowed if isinstance(allowed, str) else ", ".join(_show(a) for a in allowed)
                message += f": allowed: {allowed_text}"
        super().__init__(message)


def _show(value: Any) -> str:
    """A value as it is written in -O / config files (JSON: null, true, "text")."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def suggest(key: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest known key, or nothing."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == key.lower().replace("-", "_")]
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key_error(key: str, known: Sequence[str], owner: str) -> OptionError:
    return OptionError(
        key,
        owner=owner,
        message=f"unknown option {key!r} for the {owner}{suggest(key, known)} (known: {', '.join(sorted(known))})",
    )


def opt(
    default: Any = _MISSING,
    *,
    choices: Sequence[Any] | None = None,
    min: float | None = None,
    max: float | None = None,
    min_exclusive: bool = False,
    max_exclusive: bool = False,
    check: Callable[[Any], Any] | None = None,
    help: str = "",
) -> Any:
    """A declared option: its default, allowed ``choices``, an inclusive/exclusive range and an extra ``check``
    (a function that raises ``ValueError`` on a bad value; its return value is ignored)."""
    meta = dict(choices=choices, min=min, max=max, min_exclusive=min_exclusive, max_exclusive=max_exclusive,
                check=check, help=help)  # fmt: skip
    if isinstance(default, (list, dict, set)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata=meta)
    return field(default=default, metadata=meta)


SEED_MAX = 2**32 - 1  # the random states scikit-learn and numpy accept: [0, 2**32 - 1]


def seed_opt(help: str = "random state") -> Any:
    """A seed option, bounded to what every solver accepts (a larger one was a traceback after the features)."""
    return opt(0, min=0, max=SEED_MAX, help=help)


SWITCH = ("auto", "on", "off")
MAX_INT = 2**53  # an integer option given as a float (1e300) must be one a float holds exactly


def check_switch(name: str, value: object, error: type[Exception] = ValueError) -> str:
    """An ``auto | on | off`` option (``True``/``False`` read as on/off: YAML reads a bare ``on`` as a boolean)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value not in SWITCH:
        raise error(f"{name} must be one of {', '.join(SWITCH)}, got {value!r}")
    return str(value)


# ---------------------------------------------------------------------------------------------------- types
def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    if origin is list:
        return f"a list of {_type_name(typing.get_args(hint)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return "a {key: value} mapping"
    return getattr(hint, "__name__", str(hint))


class _TypeMismatch(Exception):
    pass


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` as the declared type (ints accepted for floats, ``"a,b"`` for lists), or :class:`_TypeMismatch`."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        args = typing.get_args(hint)
        # exact types first, so that 1 stays an int in `int | str` and "auto" a string in `float | str`
        for arg in args:
            try:
                return _coerce(value, arg)
            except _TypeMismatch:
                continue
        raise _TypeMismatch
    if hint is type(None):
        if value is None:
            return None
        raise _TypeMismatch
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _TypeMismatch
    if hint is int:
        if isinstance(value, bool):
            raise _TypeMismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INT:
            return int(value)
        raise _TypeMismatch
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _TypeMismatch
        value = float(value)
        if not math.isfinite(value):
            raise _TypeMismatch
        return value
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        raise _TypeMismatch
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        if isinstance(value, str) and item is str:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise _TypeMismatch
        return [_coerce(v, item) for v in value]
    if origin is dict:
        key_t, val_t = typing.get_args(hint) or (Any, Any)
        if not isinstance(value, Mapping):
            raise _TypeMismatch
        return {_coerce(k, key_t): _coerce(v, val_t) for k, v in value.items()}
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise _TypeMismatch


def _check_field(owner: str, f: dataclasses.Field, hint: Any, value: Any) -> Any:
    try:
        value = _coerce(value, hint)
    except _TypeMismatch:
        raise OptionError(f.name, value, f"{_type_name(hint)}", owner=owner) from None
    meta = f.metadata
    choices = meta.get("choices")
    if choices is not None and not any(value == c and type(value) is type(c) for c in choices):
        raise OptionError(f.name, value, choices, owner=owner)
    lo, hi = meta.get("min"), meta.get("max")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (lo is not None or hi is not None):
        low_ok = lo is None or (value > lo if meta.get("min_exclusive") else value >= lo)
        high_ok = hi is None or (value < hi if meta.get("max_exclusive") else value <= hi)
        if not (low_ok and high_ok):
            left = "any" if lo is None else f"{'>' if meta.get('min_exclusive') else '>='} {lo}"
            right = "" if hi is None else f"{'<' if meta.get('max_exclusive') else '<='} {hi}"
            raise OptionError(f.name, value, " and ".join(p for p in (left, right) if p and p != "any") or left,
                              owner=owner)  # fmt: skip
    check = meta.get("check")
    if check is not None and value is not None:
        try:
            check(value)
        except OptionError:
            raise
        except (ValueError, TypeError, KoclassifyError) as exc:
            raise OptionError(f.name, value, owner=owner, reason=str(exc)) from None
    return value


# -------------------------------------------------------------------------------------------------- records
@dataclass
class Options:
    """Base of every option record: type, choice and range checks at construction, strict parsing of mappings."""

    owner: ClassVar[str] = "options"

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            setattr(self, f.name, _check_field(self.owner, f, hints[f.name], getattr(self, f.name)))
        self.check()

    def check(self) -> None:
        """Rules between options (override); raise :class:`OptionError`."""

    def fail(self, option: str, allowed: str) -> OptionError:
        return OptionError(option, getattr(self, option, _MISSING), allowed, owner=self.owner)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def parse(cls: type[T], options: Mapping[str, Any] | None = None, **more: Any) -> T:
        """Build from a mapping (``-O`` pairs, a config section, keyword arguments); unknown keys fail."""
        data = {**(options or {}), **more}
        known = cls.keys()
        for key in data:
            if key not in known:
                raise unknown_key_error(str(key), known, cls.owner)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def replace(self: T, **changes: Any) -> T:
        return type(self).parse({**self.to_dict(), **changes})

    @classmethod
    def describe(cls) -> list[tuple[str, str, Any, str]]:
        """(name, type with its choices and range, default, help) of every option (``koclassify options``)."""
        hints = typing.get_type_hints(cls)
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not _MISSING else (
                f.default_factory() if f.default_factory is not _MISSING else None)  # fmt: skip
            kind = _type_name(hints[f.name])
            meta = f.metadata
            if meta.get("choices") is not None:
                kind = "one of " + ", ".join(_show(c) for c in meta["choices"])
            for bound, sign in (("min", ">"), ("max", "<")):
                if meta.get(bound) is not None:
                    kind += f", {sign}{'' if meta.get(bound + '_exclusive') else '='} {meta[bound]}"
            rows.append((f.name, kind, default, meta.get("help", "")))
        return rows


def _plain(value: Any) -> Any:
    if isinstance(value, Options):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------- training options
# the multi-label decision rules a person may ask for; "auto" lets training choose (koclassify.decide.decision applies
# them)
DECISIONS = ("auto", "threshold", "at_least_one", "max_labels")
CALIBRATE_MODES = ("auto", "dev", "cv", "none")
MULTI_VALUE_MODES = ("multi-label", "split")
PRIOR_MODES = ("learned", "multiplier")
OBJECTIVES = ("micro-f1", "macro-f1", "label-f1", "accuracy")


MIN_GRID = 1e-5  # 100,000 candidate thresholds per label; a finer step only costs time (1e-300 never ends)


def check_grid(grid: float) -> None:
    if grid < MIN_GRID:
        raise ValueError(f"a step of at least {MIN_GRID:g} that divides 1 evenly (0.001, 0.01, 0.05 ...)")
    steps = round(1 / grid)
    if not math.isclose(steps * grid, 1.0, rel_tol=1e-9):
        raise ValueError("a step in (0, 0.5] that divides 1 evenly (0.001, 0.01, 0.05 ...)")


@dataclass
class PriorOptions(Options):
    """Options of the metadata prior (:class:`koclassify.metadata.priors.FieldPrior`)."""

    owner: ClassVar[str] = "prior"

    alpha: float = opt(1.0, min=0, help="add-alpha smoothing of P(label | value)")
    min_count: int = opt(2, min=1, help="training rows a field value needs before it counts")
    multiplier: float = opt(1.5, min=0, min_exclusive=True, help="multiplier mode factor (KoBERT lyrics: x1.5)")
    sep: str = opt(",", help="separator of several values in one cell")


def _text_fields(value: Any) -> Any:
    """``"artist,album"`` -> ``["artist", "album"]``; lists and ``{column: tag}`` mappings as they are."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Mapping):
        return dict(value)
    return list(value)


@dataclass
class DecisionOptions(Options):
    """The multi-label decision rule asked for (declared once: training, ``calibrate --decision``, ``merge``,
    ensembles and :meth:`koclassify.Classifier.set_decision` all check it here; :mod:`koclassify.decide.decision`
    applies
    it)."""

    owner: ClassVar[str] = "decision"

    decision: str = opt("auto", choices=DECISIONS, help="multi-label decision rule")
    max_labels: int | None = opt(None, min=1, help="cap for decision max_labels")

    def check(self) -> None:
        if self.decision == "max_labels" and self.max_labels is None:
            raise self.fail("max_labels", "an integer >= 1 with decision max_labels (--max-labels N)")


@dataclass
class TrainOptions(DecisionOptions):
    """What :class:`koclassify.Classifier` decides besides the backend: task type, decision rule, metadata use."""

    owner: ClassVar[str] = "training"

    multi_label: bool | None = opt(None, help="force the task type (inferred from the labels when null)")
    text_fields: list[str] | dict[str, str] | None = opt(None, help="columns written before the text")
    multi_value: str | None = opt(None, choices=(None, *MULTI_VALUE_MODES), help="multi-valued label cells")
    prior: str | None = opt(None, help="metadata column whose P(label | value) is mixed in")
    prior_mode: str = opt("learned", choices=PRIOR_MODES, help="learned (weight tuned on dev) or multiplier")
    prior_options: PriorOptions | None = opt(None, help="alpha, min_count, multiplier, sep")
    stack: str | bool = opt("auto", choices=("auto", "on", "off", True, False),
                            help="multi-label second stage over all labels' log-odds: auto | on | off")  # fmt: skip

    def __post_init__(self) -> None:
        if isinstance(self.stack, bool):  # true/false (a bare YAML on/off) read as on/off
            self.stack = "on" if self.stack else "off"
        if isinstance(self.text_fields, str):
            self.text_fields = _text_fields(self.text_fields)
        if self.prior_options is None or isinstance(self.prior_options, Mapping):
            self.prior_options = PriorOptions.parse(self.prior_options or {})
        super().__post_init__()

    def check(self) -> None:
        super().check()
        ml, mv = self.multi_label, self.multi_value
        if ml is not None and mv is not None and ml != (mv == "multi-label"):
            raise OptionError("multi_value", mv, owner=self.owner,
                              message=f"multi_value={mv!r} contradicts multi_label={ml} (use "
                              f"{'multi-label' if ml else 'split'}, or drop one)")  # fmt: skip


@dataclass
class FitOptions(Options):
    """How :meth:`koclassify.Classifier.fit` tunes thresholds after training."""

    owner: ClassVar[str] = "calibration"

    calibrate: str | None = opt(None, choices=(None, *CALIBRATE_MODES),
                                help="auto (dev when given, else cv for linear), dev, cv, none")  # fmt: skip
    cv: int = opt(5, min=2, max=100, help="folds for calibrate cv")
    objective: str = opt("micro-f1", choices=OBJECTIVES, help="what the thresholds maximise")
    grid: float = opt(0.001, min=0, max=0.5, min_exclusive=True, check=check_grid, help="threshold step")

    def __post_init__(self) -> None:
        if self.calibrate == "none":
            self.calibrate = None
        super().__post_init__()


# ------------------------------------------------------------------------------------------ prediction
ENGINES = ("local", "ray")


@dataclass
class PredictOptions(Options):
    """How :func:`koclassify.predict` classifies a file: which engine, and the engine's knobs (declared once: the
    CLI's ``predict`` hands its flags over here)."""

    owner: ClassVar[str] = "prediction"

    engine: str = opt("local", choices=ENGINES, help="local (one process, streaming) or ray (Ray Data, a directory)")
    chunk_rows: int | None = opt(None, min=1, help="rows predicted at a time (null: the engine's default)")
    top_k: int | None = opt(None, min=1, help="local, probs jsonl: also list the K most probable labels")
    workers: int = opt(1, min=1, help="ray: prediction workers")
    gpus_per_worker: float = opt(0.0, min=0, help="ray: GPUs each worker holds")
    address: str | None = opt(None, help="ray: the cluster to join (null: a local one)")

    def check(self) -> None:
        if self.engine == "local":
            given = [n for n in ("address",) if getattr(self, n) is not None]
            given += [n for n, v in (("workers", 1), ("gpus_per_worker", 0.0)) if getattr(self, n) != v]
            if given:
                raise self.fail(given[0], "left unset with engine local (it is a Ray setting)")
        elif self.top_k is not None:
            raise self.fail("top_k", "left unset with engine ray (its shards have no place for it)")


# ------------------------------------------------------------------------------------------ data layout
FORMATS = ("nikl", "csv", "tsv", "jsonl", "parquet")


def check_format(value: str) -> None:
    if value not in FORMATS:
        raise ValueError(f"unknown format {value!r}; choose one of {FORMATS}")


def check_separator(value: str | None) -> None:
    if value == "":
        raise ValueError("an empty separator splits nothing; give at least one character (e.g. ',')")


@dataclass
class ReadOptions(Options):
    """How to read a file: format and column layout, shared by every command and the config file (``None``:
    detect). Stored in the model directory so later commands reuse it."""

    owner: ClassVar[str] = "data layout"

    format: str | None = opt(None, check=check_format, help="nikl, csv, tsv, jsonl or parquet (detected when null)")
    text_col: str | None = opt(None, help="table: text column name (or 0-based index with no_header)")
    label_col: str | None = opt(None, help="table: label column; a cell may hold several labels joined by label_sep")
    label_sep: str | None = opt(None, check=check_separator,
                                help='separator inside a label cell, e.g. "," for "발라드, 댄스"')  # fmt: skip
    label_cols: list[str] | None = opt(None, help="table, wide format: one 0/1 column per label")
    multi_label: bool | None = opt(None, help="force the task type")
    no_header: bool = opt(False, help="table without a header row (columns are 0, 1, 2 ...)")
    label_names: str | list[str] | None = opt(None, help="file of label names, one a line (or the names)")
    id_col: str | None = opt(None, help="table: id column (row number when absent)")
    target_col: str | None = opt(None, help="table: a target form column (NIKL-style target-conditioned data)")
    lenient: bool = opt(False, help="repair target offsets by searching the form, keep empty texts (counted)")

    def merged(self, **overrides: Any) -> ReadOptions:
        """A copy where every override that is not None or False replaces the stored value."""
        data = self.to_dict()
        data.update({k: v for k, v in overrides.items() if v is not None and v is not False})
        return type(self)(**data)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if v not in (None, False)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> ReadOptions:
        """The layout a model directory stored (keys this version does not know are left out)."""
        known = cls.keys()
        return cls(**{k: v for k, v in (obj or {}).items() if k in known})


# ---------------------------------------------------------------------------------------- config and -O
CONFIG_SECTIONS = ("backend", "backend_options", "layout")


def load_config(path: Path | None) -> dict[str, Any]:
    """Read a JSON or TOML config file into a dict (the caller checks the keys)."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise KoclassifyError(f"{path}: cannot read config: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KoclassifyError(f"{path}: config is not UTF-8 text") from None
    try:
        if Path(path).suffix.lower() == ".toml":
            import importlib
            import sys

            toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")  # tomli: 3.10
            obj: Any = toml.loads(text)
        else:
            obj = json.loads(text)
    except (ValueError, RecursionError) as exc:  # json / toml syntax errors are ValueErrors
        raise KoclassifyError(f"{path}: invalid config: {exc}") from None
    if not isinstance(obj, dict):
        raise KoclassifyError(f"{path}: a config file holds one object of options, not {type(obj).__name__}")
    return obj


def parse_pairs(pairs: Sequence[str], flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` strings to a dict; values are read as JSON when they parse (numbers, true, null, lists)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise OptionError(flag, pair, "KEY=VALUE")
        try:
            out[key.strip()] = json.loads(raw)
        except (ValueError, RecursionError):
            out[key.strip()] = raw
    return out


@dataclass
class ConfigFile:
    """A ``--config`` file split by what each key configures; an unknown key is an :class:`OptionError`."""

    backend: str | None
    backend_options: dict[str, Any]
    layout: dict[str, Any]
    train: dict[str, Any]
    fit: dict[str, Any]

    @classmethod
    def parse(cls, obj: Mapping[str, Any], where: str = "config") -> ConfigFile:
        layout_keys = ReadOptions.keys()
        train_keys, fit_keys = TrainOptions.keys(), FitOptions.keys()
        known = ["backend", "backend_options", *layout_keys, *train_keys, *fit_keys]
        out = cls(None, {}, {}, {}, {})
        for key, value in obj.items():
            if key == "backend":
                if not isinstance(value, str):
                    raise OptionError("backend", value, "a backend name", owner=where)
                out.backend = value
            elif key == "backend_options":
                if not isinstance(value, Mapping):
                    raise OptionError("backend_options", value, "a {option: value} table", owner=where)
                out.backend_options = dict(value)
            elif key in layout_keys:
                out.layout[key] = value
            elif key in train_keys:
                out.train[key] = value
            elif key in fit_keys:
                out.fit[key] = value
            else:
                raise unknown_key_error(str(key), known, where)
        FitOptions.parse(out.fit)  # values checked now, before any data is read
        return out
