"""The model directory format: what :meth:`Classifier.save` writes and :meth:`Classifier.load` reads.

Layout (``FORMAT_VERSION`` 2)::

    config.json       koclassify version, format version, backend and its options, the label space, the decision
                      rule, the Classifier's options as the person set them, calibration record, data layout
    thresholds.json   one threshold per label
    prior.json        the metadata prior, when there is one
    stack.npz         the multi-label second stage, when there is one
    backend/          the backend's own files (weights, tokenizer ...)
    manifest.json     every other file with its size and sha256 (:mod:`koclassify.manifest`), written last

Loading checks the tree (links, FIFOs, then the manifest) before it parses any file, then every field.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from koclassify.data.labels import LabelSpace
from koclassify.decide.decision import DecisionRule
from koclassify.errors import KoclassifyError, ModelError
from koclassify.manifest import FORMAT_VERSION, MANIFEST_FILE, checked, update_manifest, verify, write_manifest
from koclassify.model.card import CARD_FILE, write_card
from koclassify.modeldir import MACHINE_OPTIONS, check_threshold, check_tree, expect, read_model_json

if TYPE_CHECKING:
    from koclassify.model.classifier import Classifier

CONFIG_FILE = "config.json"
THRESHOLDS_FILE = "thresholds.json"
PRIOR_FILE = "prior.json"
BACKEND_DIR = "backend"

# what a malformed backend directory can raise while being read (turned into ModelError naming the directory)
LOAD_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OSError, MemoryError, RecursionError)


# ------------------------------------------------------------------------------------------------- saving
def save_model(clf: Classifier, directory: Path, *, overwrite: bool = False) -> Path:
    """Write ``clf`` as a model directory, atomically (see :meth:`Classifier.save`)."""
    from koclassify.io import atomic_directory, write_json
    from koclassify.modeldir import check_replaceable
    from koclassify.version import __version__

    space, _, rule = clf._fitted()
    check_replaceable(directory, overwrite=overwrite)
    options = {k: v for k, v in clf.backend.options.items() if k not in MACHINE_OPTIONS}
    with atomic_directory(directory) as tmp:
        clf.backend.save(tmp / BACKEND_DIR)
        write_json(
            tmp / CONFIG_FILE,
            {
                "koclassify_version": __version__,
                "format_version": FORMAT_VERSION,
                "backend": clf.backend.name,
                "backend_options": _jsonable(options),
                "labels": space.to_json(),
                "options": clf.options.to_dict(),  # as the person set them: a loaded model refits the same way
                "decision": rule.to_json(),
                "calibration": clf.calibration_,
                "stack": clf.stack,
                "data_options": clf.data_options,
                "training": clf.training_,
                "metadata": {
                    "text_fields": clf.text_fields,
                    "fields_in_prompt": clf.fields_in_prompt,
                    "multi_value": clf.multi_value,
                },
            },
        )
        write_json(tmp / THRESHOLDS_FILE, clf.thresholds_dict())
        if clf.prior_ is not None:
            write_json(tmp / PRIOR_FILE, clf.prior_.to_json())
        write_stack(clf, tmp)
        write_card(clf, tmp)  # README.md, the model card
        write_manifest(tmp)  # last: it covers whatever the steps above wrote (a model card included)
    return directory


def save_calibration(clf: Classifier, directory: Path) -> None:
    """Rewrite only thresholds, decision rule, second stage and calibration record of a saved model (weights
    untouched: they can be gigabytes), and record the rewritten files in its manifest."""
    from koclassify.decide.stacking import STACK_FILE
    from koclassify.io import read_json, update_directory, write_json

    _, _, rule = clf._fitted()
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise ModelError(f"{directory}: not a koclassify model directory (no {CONFIG_FILE})")
    config = read_json(config_path)
    config["decision"] = rule.to_json()
    config["calibration"] = clf.calibration_
    config["stack"] = clf.stack
    with update_directory(directory) as tmp:  # rule, thresholds and manifest change together or not at all
        write_stack(clf, tmp)
        write_json(tmp / THRESHOLDS_FILE, clf.thresholds_dict())
        write_json(tmp / CONFIG_FILE, config)
        write_card(clf, tmp)
        update_manifest(tmp, [CONFIG_FILE, THRESHOLDS_FILE, STACK_FILE, CARD_FILE])


def write_stack(clf: Classifier, directory: Path) -> None:
    from koclassify.decide.stacking import STACK_FILE
    from koclassify.io import discard

    if clf.stack_ is not None:
        clf.stack_.save(directory / STACK_FILE)
    else:
        discard(directory / STACK_FILE)


# ------------------------------------------------------------------------------------------------ loading
def check_directory(given: Path, directory: Path) -> None:
    """The tree before any file is parsed: a model directory, no link out, no FIFO, and every file as its
    manifest recorded it. A directory saved before manifests existed loads with one warning."""
    config_path = directory / CONFIG_FILE
    if not directory.exists() and not directory.is_symlink():
        raise ModelError(f"{given}: not a koclassify model directory: it does not exist")
    if not directory.is_dir() or not (config_path.is_file() or config_path.is_symlink()):
        raise ModelError(f"{given}: not a koclassify model directory (no {CONFIG_FILE})")
    check_tree(directory)
    if verify(directory) is not None:
        return
    config = read_model_json(config_path)
    version = config.get("format_version") if isinstance(config, dict) else None
    if isinstance(version, int) and version >= FORMAT_VERSION:
        raise ModelError(f"{directory / MANIFEST_FILE}: missing; the model directory is incomplete")
    warnings.warn(
        f"{given}: no {MANIFEST_FILE} (saved by an earlier koclassify): its files cannot be checked; "
        "save it again to add one",
        UserWarning,
        stacklevel=4,
    )


def load_model(cls: type[Classifier], given: Path, *, trust_remote_code: bool = False) -> Classifier:
    """Read a model directory (see :meth:`Classifier.load`)."""
    from koclassify.io import resolve_directory

    directory = resolve_directory(given)
    check_directory(given, directory)
    with checked(directory):  # an ensemble's members were checked with it
        return _load_checked(cls, directory, trust_remote_code)


def _load_checked(cls: type[Classifier], directory: Path, trust_remote_code: bool) -> Classifier:
    from koclassify.backends.base import get_backend_class
    from koclassify.options import OptionError

    config_path = directory / CONFIG_FILE
    config = expect(read_model_json(config_path), dict, str(config_path))
    version = config.get("format_version", 1)  # absent: saved before versions were written
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelError(f"{config_path}: 'format_version' is {version!r}; this koclassify reads 1 to {FORMAT_VERSION}")
    thresholds = expect(read_model_json(directory / THRESHOLDS_FILE), dict, str(directory / THRESHOLDS_FILE))
    space = _label_space(config.get("labels"), str(config_path))
    try:
        backend_cls = get_backend_class(expect(config.get("backend"), str, f"{config_path}: 'backend'"))
    except ModelError:
        raise
    except KoclassifyError as exc:
        raise ModelError(f"{config_path}: {exc}") from None
    backend_cls.check_requirements()  # one line naming the extra, before any weights are read
    if not (directory / BACKEND_DIR).is_dir():
        raise ModelError(f"{directory}: the model has no weights ({BACKEND_DIR}/ is missing)")
    options = dict(expect(config.get("backend_options", {}), dict, f"{config_path}: 'backend_options'"))
    for key in MACHINE_OPTIONS:  # the person's decisions and this machine's paths, never the files'
        options.pop(key, None)
    if trust_remote_code and backend_cls.runs_model_code:  # others never load model code
        options["trust_remote_code"] = True  # an ensemble hands it on to its members
    metadata = expect(config.get("metadata", {}), dict, f"{config_path}: 'metadata'")
    fields = expect(metadata.get("text_fields", {}), dict, f"{config_path}: 'metadata.text_fields'")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        raise ModelError(f"{config_path}: 'metadata.text_fields' must map strings to strings")
    train_options = _train_options(config, metadata, fields, space, str(config_path))
    try:
        backend = backend_cls.load(directory / BACKEND_DIR, options, space)
    except KoclassifyError:
        raise
    except LOAD_ERRORS as exc:
        raise ModelError(f"{directory}: cannot load the {backend_cls.name} weights: {exc}") from None
    from koclassify.decide.stacking import STACK_FILE, Stacker

    try:  # built once from its stored options; what follows is the fitted state
        clf = cls(backend, **train_options)
    except OptionError as exc:
        raise ModelError(f"{config_path}: {exc}") from None
    if (directory / STACK_FILE).is_file() or (directory / STACK_FILE).is_symlink():
        clf.stack_ = Stacker.load(directory / STACK_FILE, len(space))
    clf.text_fields = dict(fields)  # as stored (tags included)
    clf.fields_in_prompt = bool(metadata.get("fields_in_prompt", False))
    clf.labels_ = space
    clf.decision_ = _decision(config.get("decision", {}), str(config_path))
    clf.thresholds_ = _thresholds(thresholds, space, str(directory / THRESHOLDS_FILE))
    clf.calibration_ = expect(config.get("calibration", {}), dict, f"{config_path}: 'calibration'")
    clf.data_options = _data_options(config.get("data_options", {}), str(config_path))
    clf.training_ = expect(config.get("training") or {}, dict, f"{config_path}: 'training'")
    prior = read_model_json(directory / PRIOR_FILE, required=False)
    if prior is not None:
        from koclassify.metadata.priors import FieldPrior

        try:
            clf.prior_ = FieldPrior.from_json(expect(prior, dict, str(directory / PRIOR_FILE)))
        except ModelError:
            raise
        except KoclassifyError as exc:
            raise ModelError(f"{directory / PRIOR_FILE}: {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise ModelError(f"{directory / PRIOR_FILE}: malformed prior: {exc}") from None
    return clf


def _train_options(
    config: dict[str, Any], metadata: dict[str, Any], fields: dict[str, str], space: LabelSpace, where: str
) -> dict[str, Any]:
    """The Classifier's options as the person set them (``decision``, ``max_labels``, ``prior`` ...), checked
    like any option. Directories saved before they were stored give what was recorded then."""
    from koclassify.options import OptionError, TrainOptions

    stored = config.get("options")
    if stored is None:
        return {"multi_label": space.multi_label, "text_fields": dict(fields) or None,
                "multi_value": metadata.get("multi_value"), "stack": config.get("stack", "auto")}  # fmt: skip
    expect(stored, dict, f"{where}: 'options'")
    try:
        options = TrainOptions.parse(stored).to_dict()
    except OptionError as exc:
        raise ModelError(f"{where}: 'options': {exc}") from None
    if options["multi_label"] is not None and options["multi_label"] != space.multi_label:
        raise ModelError(f"{where}: 'options.multi_label' contradicts 'labels.multi_label'")
    if metadata.get("multi_value") != options["multi_value"]:
        raise ModelError(f"{where}: 'metadata.multi_value' contradicts 'options.multi_value'")
    options["stack"] = config.get("stack", options["stack"])  # calibrate may have changed it since
    return options


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in options.items():
        try:
            json.dumps(value)
        except TypeError:
            value = str(value)
        out[key] = value
    return out


def _label_space(obj: Any, where: str) -> LabelSpace:
    obj = expect(obj, dict, f"{where}: 'labels'")
    names = expect(obj.get("names"), list, f"{where}: 'labels.names'")
    if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise ModelError(f"{where}: 'labels.names' must be a non-empty list of distinct label names")
    return LabelSpace(tuple(names), bool(expect(obj.get("multi_label"), bool, f"{where}: 'labels.multi_label'")))


def _decision(obj: Any, where: str) -> DecisionRule:
    obj = expect(obj, dict, f"{where}: 'decision'")
    max_labels = obj.get("max_labels")
    if max_labels is not None:
        expect(max_labels, int, f"{where}: 'decision.max_labels'")
    try:
        return DecisionRule.from_json(obj)
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{where}: 'decision': {exc}") from None


def _thresholds(table: dict[str, Any], space: LabelSpace, where: str) -> np.ndarray:
    unknown = sorted(set(table) - set(space.names))
    if unknown:
        raise ModelError(f"{where}: thresholds for labels the model does not have: {unknown[:5]}")
    return np.array([check_threshold(table.get(n, 0.5), f"{where}: label {n!r}") for n in space.names])


def _data_options(obj: Any, where: str) -> dict[str, Any]:
    """The remembered layout. ``label_names`` must be the names themselves: a path would be read relative to
    wherever the model is used, i.e. outside the model directory."""
    from koclassify.data.options import ReadOptions

    obj = expect(obj, dict, f"{where}: 'data_options'")
    names = obj.get("label_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise ModelError(
            f"{where}: 'data_options.label_names' must be the list of names (this model stores {names!r}; "
            "models saved since koclassify stores the names: re-train, or put the names there as a list)"
        )
    kinds = _stored_kinds()
    for key, value in obj.items():
        kind = kinds.get(key)
        if kind is None or value is None:
            continue
        ok = isinstance(value, kind) and not (bool not in kind and isinstance(value, bool))
        if isinstance(value, list):
            ok = ok and all(isinstance(v, str) for v in value)
        if not ok:
            raise ModelError(f"{where}: 'data_options.{key}' has the wrong type ({type(value).__name__})")
    try:
        ReadOptions.from_json(obj)
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{where}: 'data_options': {exc}") from None
    return obj


def _stored_kinds() -> dict[str, tuple[type, ...]]:
    """The JSON types each stored layout key may hold, read from :class:`ReadOptions`' declaration (``str | None``
    -> str, ``list[str] | None`` -> list): stricter than parsing a flag (no ``"a,b"`` for a list, no number for a
    name), since a model directory is written by us."""
    import typing
    from types import UnionType

    from koclassify.data.options import ReadOptions

    out = {}
    for name, hint in typing.get_type_hints(ReadOptions).items():
        if name not in ReadOptions.keys():
            continue
        args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, UnionType) else (hint,)
        out[name] = tuple(typing.get_origin(a) or a for a in args if a is not type(None))
    return out
