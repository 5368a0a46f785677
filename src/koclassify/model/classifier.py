"""The public estimator: ``Classifier`` with ``fit / predict_proba / predict / calibrate / save / load``.

``Classifier`` owns what is common to every backend (the label space, thresholds, the decision rule, an
optional metadata prior, the data layout the model was trained on) and delegates probabilities to a backend.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.backends.base import Backend, check_backend_options, get_backend_class, make_backend
from koclassify.data.example import Example, LabelsLike, TextsLike, as_examples  # noqa: F401  (public here)
from koclassify.data.labels import LabelSpace
from koclassify.decide.decision import DecisionRule, choose_rule, given_rule
from koclassify.errors import DataError, NotFittedError
from koclassify.metadata.fields import (
    StepReport,
    check_fields,
    instruction_template,
    split_instances,
    text_field_tags,
    with_text_fields,
)
from koclassify.model.card import training_summary
from koclassify.model.directory import BACKEND_DIR, CONFIG_FILE, PRIOR_FILE, THRESHOLDS_FILE  # noqa: F401  (the format's names)
from koclassify.model.estimator import EstimatorMixin, init_params, label_lists
from koclassify.options import DecisionOptions, FitOptions, OptionError, TrainOptions


class Classifier(EstimatorMixin):
    """A Korean text classifier (a scikit-learn estimator: see :mod:`koclassify.model.estimator`).

    >>> clf = Classifier()                       # the offline default: TF-IDF + Kiwi morphemes + logistic regression
    >>> clf.fit(["정말 좋아요", "최악이에요"], ["긍정", "부정"]).predict("좋아요")
    '긍정'

    Args:
        backend: registered backend name (``linear``, ``encoder``, ``llm``) or a :class:`Backend` instance.
        multi_label: force the task type; inferred from the training labels when ``None``.
        decision: ``auto`` (``argmax`` for multi-class; for multi-label ``at_least_one`` when at least 99% of
            the training rows have a label, else ``threshold``; the share is recorded in ``decision_``), or one of
            ``threshold``, ``at_least_one``, ``max_labels``. Thresholds are tuned under the rule.
        max_labels: cap for the ``max_labels`` rule.
        text_fields: columns put before the text as ``[가수] 아이유 [앨범] ...`` (a list, ``"artist=가수"`` items,
            or a ``{column: tag}`` dict); for ``llm`` without a ``template``, an instruction / context / response
            prompt over them instead. Remembered by :meth:`save`, applied by every later prediction.
        multi_value: for multi-valued label cells, ``"multi-label"`` (one row, a label set) or ``"split"`` (one
            single-label instance per value, the KoBERT lyrics recipe's oversampling; rows without a label are removed
            and counted in ``data_report_``). ``None``: as the data says.
        prior: a metadata column (e.g. ``"artist"``) whose ``P(label | value)`` is learned in :meth:`fit` and
            mixed into the probabilities (see :class:`koclassify.metadata.priors.FieldPrior`).
        prior_mode: ``"learned"`` (log-linear, weight tuned on ``dev``) or ``"multiplier"`` (x1.5, the KoBERT
            lyrics recipe's).
        prior_options: ``alpha``, ``min_count``, ``multiplier``, ``sep`` for the prior.
        stack: multi-label second stage (:mod:`koclassify.decide.stacking`), fitted by :meth:`calibrate` on the held-out
            probabilities it is given: ``auto`` (when there are at least 100 held-out rows), ``on``, ``off``.
        **backend_options: passed to the backend's constructor (e.g. ``model=`` for encoder/llm).
    """

    def __init__(
        self,
        backend: str | Backend = "linear",
        *,
        multi_label: bool | None = None,
        decision: str = "auto",
        max_labels: int | None = None,
        text_fields: Sequence[str] | Mapping[str, str] | str | None = None,
        multi_value: str | None = None,
        prior: str | None = None,
        prior_mode: str = "learned",
        prior_options: dict[str, Any] | None = None,
        stack: str | bool = "auto",
        **backend_options: Any,
    ) -> None:
        self._init_params = init_params(locals())  # get_params / set_params / clone (koclassify.model.estimator)
        # every option is checked here, before any data is read (OptionError names the option and what is allowed)
        self.options = TrainOptions.parse(
            multi_label=multi_label, decision=decision, max_labels=max_labels,
            text_fields=list(text_fields) if isinstance(text_fields, Sequence) and not isinstance(text_fields, str)
            else text_fields, multi_value=multi_value, prior=prior, prior_mode=prior_mode,
            prior_options=dict(prior_options or {}), stack=stack,
        )  # fmt: skip
        self.stack: str = self.options.stack  # type: ignore[assignment]  # normalised to auto | on | off
        self.stack_: Any = None  # the fitted second stage (a koclassify.decide.stacking.Stacker), if any
        tags = text_field_tags(self.options.text_fields or [])
        self.fields_in_prompt = False
        if isinstance(backend, Backend):
            if backend_options:
                raise TypeError("pass options to the backend instance, not to Classifier, when giving an instance")
            self.backend = backend
        else:
            check_backend_options(backend, backend_options)  # before the backend's own (heavy) module is imported
            # e.g. llm: plain columns go into an instruction / context / response prompt instead of the text
            self.fields_in_prompt = (
                get_backend_class(backend).prompt_fields and bool(tags) and "template" not in backend_options
                and all(":" not in k for k in tags)
            )  # fmt: skip
            if self.fields_in_prompt:
                backend_options["template"] = instruction_template(list(tags), tags=tags)
            self.backend = make_backend(backend, backend_options)
        self.multi_label = self.options.multi_label
        self.decision = self.options.decision
        self.max_labels = self.options.max_labels
        self.labels_: LabelSpace | None = None
        self.thresholds_: np.ndarray | None = None
        self.decision_: DecisionRule | None = None
        self.calibration_: dict[str, Any] = {}
        self.calibration_result_: Any = None
        self.prior_: Any = None
        self.data_options: dict[str, Any] = {}
        self.text_fields: dict[str, str] = tags
        self.multi_value = self.options.multi_value
        self.prior = self.options.prior
        self.prior_mode = self.options.prior_mode
        assert self.options.prior_options is not None
        self.prior_options = self.options.prior_options.to_dict()
        self.data_report_: list[StepReport] = []
        self.notes_: list[str] = []
        self.training_: dict[str, Any] = {}  # what fit saw (rows, label counts; the CLI adds paths): the model card

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: TextsLike,
        y: LabelsLike = None,
        *,
        dev: tuple[TextsLike, LabelsLike] | Sequence[Example] | None = None,
        labels: Sequence[str] | None = None,
        calibrate: str | None = None,
        cv: int = 5,
        objective: str = "micro-f1",
        grid: float = 0.001,
    ) -> Classifier:
        """Train on examples (labels from ``y`` or from the examples themselves), then tune thresholds.

        ``dev`` is handed to the backend (early stopping, best checkpoint). ``calibrate`` tunes the multi-label
        thresholds for ``objective`` after training: ``"dev"`` on ``dev``, ``"cv"`` on ``cv``-fold out-of-fold
        probabilities of the training data, ``"auto"`` (what ``koclassify train`` does) on ``dev`` when given,
        else by cross-validation for ``linear`` (cheap) and not at all for the fine-tuned backends (it would train
        them ``cv`` more times; a note in ``notes_`` says so), ``None`` / ``"none"``: thresholds stay 0.5.
        Multi-class models decide by argmax and are never calibrated. Every option is checked before training.
        """
        how = FitOptions.parse(calibrate=calibrate, cv=cv, objective=objective, grid=grid)
        if how.calibrate == "dev" and dev is None:
            raise OptionError("calibrate", "dev", "auto, cv or none without dev data (--dev FILE)", owner=how.owner)
        self.data_report_, self.notes_ = [], []
        y, labels = label_lists(y, labels)  # scikit-learn's forms: an indicator matrix, a Series, an array
        raw = as_examples(X, y)
        examples = self.prepare(raw, source="training data")
        if not examples:
            raise DataError("no training examples")
        multi_label = {"split": False, "multi-label": True}.get(self.multi_value or "", self.multi_label)
        space = LabelSpace.from_examples(examples, multi_label=multi_label, names=labels)
        y_mat = space.indicator(examples, source="training data")
        dev_pair = dev_examples = dev_raw = None
        if dev is not None:
            dev_raw = self._dev_examples(dev)
            dev_examples = self.prepare(dev_raw, source="dev data")
            dev_pair = (self.backend_view(dev_examples), space.indicator(dev_examples, source="dev data"))
        check_fields(examples, list(self.text_fields), "training data (text_fields)")
        self.backend.fit(self.backend_view(examples), y_mat, space, dev=dev_pair)
        self.training_ = training_summary(len(raw), examples, y_mat, space.names, len(dev_raw) if dev_raw else None)
        self.labels_ = space
        self.thresholds_ = np.full(len(space), 0.5)
        self.decision_ = self._default_rule(space, y_mat)
        self.calibration_ = {}
        self.stack_ = None
        self.prior_ = None
        if self.prior is not None:
            self._fit_prior(examples, dev_examples, self.prior, self.prior_mode, self.prior_options)
        mode = self.calibration_mode(how.calibrate, has_dev=dev is not None)
        if mode == "dev":
            assert dev_raw is not None
            self.calibrate(dev_raw, objective=how.objective, grid=how.grid)
            self.calibration_["source"] = "dev"
        elif mode == "cv":
            probs = self.cross_val_proba(raw, folds=how.cv)
            self.calibrate(probs=probs, gold=space.indicator(raw), objective=how.objective, grid=how.grid)
            self.calibration_["source"] = f"cv{how.cv}"
        return self

    def calibration_mode(self, calibrate: str | None, *, has_dev: bool) -> str | None:
        """What ``fit(calibrate=...)`` does once the label space is known: ``"dev"``, ``"cv"`` or ``None``."""
        space = self._check()
        mode = None if calibrate == "none" else calibrate
        if mode == "auto":
            mode = "dev" if has_dev else "cv"
            if mode == "cv" and not self.backend.supports_cv_calibration:
                self.notes_.append(
                    f"no dev data: thresholds stay at 0.5 (calibrate='cv' would train {self.backend.name} again "
                    "for every fold)"
                )
                mode = None
        if not space.multi_label:
            return None  # multi-class decides by argmax: no thresholds to tune
        return mode

    def prepare(self, examples: Sequence[Example], source: str = "data") -> list[Example]:
        """Labelled rows as training sees them: one instance per label in ``split`` mode, else unchanged."""
        if self.multi_value != "split":
            empty = sum(1 for ex in examples if ex.labels is not None and not ex.labels)
            if empty:
                report = StepReport(source, len(examples), len(examples))
                report.notes.append(f"{empty} rows have no label ('-' or empty cell): kept as 'no label applies'")
                self.data_report_.append(report)
            return list(examples)
        expanded, report = split_instances(examples, source)
        self.data_report_.append(report)
        return expanded

    def backend_view(self, examples: Sequence[Example]) -> list[Example]:
        """Rows as the backend sees them: the ``text_fields`` written before the text (unless in the llm prompt)."""
        _warn_missing(examples, list(self.text_fields), "text_fields")
        return list(examples) if self.fields_in_prompt else with_text_fields(examples, self.text_fields)

    def fit_prior(
        self,
        X: TextsLike,
        y: LabelsLike = None,
        *,
        field: str,
        dev: tuple[TextsLike, LabelsLike] | Sequence[Example] | None = None,
        mode: str = "learned",
        **options: Any,
    ) -> Any:
        """Learn ``P(label | field)`` on labelled rows ``X`` (with the field in ``Example.fields``) and set it.

        In ``learned`` mode the mixing weight is tuned on ``dev`` (the backend's probabilities there); without
        dev data the weight stays 1.0 and ``prior_.stats_["tuning"]`` says so. Works on a loaded model too.
        """
        self._check()
        examples = self.prepare(as_examples(X, y), source="prior training data")
        dev_examples = self.prepare(self._dev_examples(dev), source="prior dev data") if dev is not None else None
        return self._fit_prior(examples, dev_examples, field, mode, options)

    def _fit_prior(
        self, examples: list[Example], dev_examples: list[Example] | None, field: str, mode: str, options: dict
    ) -> Any:
        from koclassify.metadata.priors import FieldPrior

        space = self._check()
        check_fields(examples, [field], "prior training data")
        prior = FieldPrior(field, mode=mode, **options).fit(examples, space)
        if mode == "learned":
            if dev_examples is not None:
                gold = space.indicator(dev_examples, source="dev data")
                prior.tune(self.predict_proba(dev_examples, use_prior=False, use_stack=False), dev_examples, gold)
            else:
                prior.stats_["tuning"] = {"weight": prior.weight, "note": "no dev data: default weight"}
        self.prior_ = prior
        return prior

    @staticmethod
    def _dev_examples(dev: Any) -> list[Example]:
        if isinstance(dev, tuple) and len(dev) == 2:
            return as_examples(dev[0], dev[1])
        return as_examples(dev)

    def _default_rule(self, space: LabelSpace, y: np.ndarray) -> DecisionRule:
        asked = DecisionOptions.parse(decision=self.decision, max_labels=self.max_labels)
        return choose_rule(asked, multi_label=space.multi_label, y=y)

    # --------------------------------------------------------------- inference
    def _check(self) -> LabelSpace:
        return self._fitted()[0]

    def _fitted(self) -> tuple[LabelSpace, np.ndarray, DecisionRule]:
        if self.labels_ is None or self.thresholds_ is None or self.decision_ is None:
            raise NotFittedError("this Classifier is not fitted: call fit() or Classifier.load()")
        return self.labels_, self.thresholds_, self.decision_

    def predict_proba(self, X: TextsLike, *, use_prior: bool = True, use_stack: bool = True) -> np.ndarray:
        """(n, L) probabilities in the order of ``labels_.names``: the backend's, then the metadata prior and the
        second stage, when they are set."""
        space = self._check()
        examples = as_examples(X)
        if not examples:
            return np.zeros((0, len(space)))
        probs = np.asarray(self.backend.predict_proba(self.backend_view(examples)), dtype=np.float64)
        if use_prior and self.prior_ is not None:
            _warn_missing(examples, [self.prior_.field], "the prior")
            probs = self.prior_.apply(probs, examples)
        if use_stack and self.stack_ is not None:
            probs = self.stack_.apply(probs)
        return probs

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Apply the stored thresholds and decision rule to probabilities: (n, L) bool."""
        _, thresholds, rule = self._fitted()
        return rule.apply(probs, thresholds)

    def predict(self, X: TextsLike) -> str | tuple[str, ...] | list[str] | list[tuple[str, ...]]:
        """Labels: a string per row for multi-class, a tuple per row for multi-label (one item for one input)."""
        space = self._check()
        single = isinstance(X, (str, Example))
        decisions = self.decide(self.predict_proba(X))
        rows = [space.decode(row) for row in decisions]
        out: list[Any] = rows if space.multi_label else [r[0] for r in rows]
        return out[0] if single else out

    def layout_for(self, path: str | Path, **layout: Any) -> Any:
        """How to read ``path`` (a :class:`koclassify.data.options.ReadOptions`): the layout this model was trained
        on, unless the file is of another format family (a model trained on CSV asked about a jsonl file, told by
        the file's head); ``layout`` keywords (``format``, ``text_col``, ``label_col``, ``label_sep``,
        ``label_cols``, ``id_col``, ``target_col``, ``no_header``, ``lenient`` ...) override it either way."""
        from koclassify.data.options import ReadOptions
        from koclassify.data.read import sniff_format

        remembered = ReadOptions.from_json(self.data_options)
        if layout.get("format") is None and remembered.format is not None:
            detected = sniff_format(Path(path))
            same_family = {remembered.format, detected} <= {"csv", "tsv"} or remembered.format == detected
            if not same_family:
                remembered = ReadOptions()
        return layout_options(remembered, **layout)

    def read(self, path: str | Path, *, need_labels: bool = True, **layout: Any) -> Any:
        """Read a file with :meth:`layout_for` (the model's remembered layout): a
        :class:`koclassify.data.read.Dataset`."""
        from koclassify.data.read import read_examples

        return read_examples(path, self.layout_for(path, **layout), need_labels=need_labels)

    # ------------------------------------------------------------- calibration
    def calibrate(
        self,
        X: TextsLike | None = None,
        y: LabelsLike = None,
        *,
        probs: np.ndarray | None = None,
        gold: np.ndarray | None = None,
        objective: str = "micro-f1",
        grid: float = 0.001,
        stack: str | bool | None = None,
    ) -> dict[str, float]:
        """Tune one threshold per label on held-out data (or on given ``probs``/``gold``); store and return them.

        The probabilities must be held out from the model's training: a dev set's, or out-of-fold ones from
        :meth:`cross_val_proba`. Multi-label models also fit the second stage on them here (``stack``, default
        the constructor's): its thresholds are then tuned on its own out-of-fold output. The full result
        (per-label curves, untuned labels) is kept in ``calibration_result_``.
        """
        from koclassify.decide.calibration import calibrate
        from koclassify.decide.stacking import check_mode

        FitOptions.parse(objective=objective, grid=grid)  # a bad option fails before predicting
        space, _, rule = self._fitted()
        stack = self.stack if stack is None else check_mode(stack)
        if probs is None:
            if X is None:
                raise ValueError("calibrate() needs data (X[, y]) or probs= and gold=")
            examples = as_examples(X, y)
            gold = space.indicator(examples, source="calibration data")
            probs = self.predict_proba(examples, use_stack=False)
        if gold is None:
            raise ValueError("calibrate(probs=...) also needs gold=")
        if not space.multi_label:
            # multi-class decisions are argmax: nothing to tune, but record that we were asked
            self.calibration_ = {"objective": objective, "note": "multi-class uses argmax; thresholds unused"}
            return self.thresholds_dict()
        done = calibrate(probs, gold, space.names, rule=rule, objective=objective, grid=grid, stack=stack)
        self.stack_ = done.stacker
        self.thresholds_ = np.asarray(done.result.thresholds, dtype=np.float64)
        self.calibration_result_ = done.result  # per-label scores and curves, for printing (not saved)
        self.calibration_ = done.record
        return self.thresholds_dict()

    def cross_val_proba(self, X: TextsLike, y: LabelsLike = None, *, folds: int = 5, seed: int = 0) -> np.ndarray:
        """Out-of-fold probabilities from ``folds`` clones of the backend (for calibration without a dev set).

        First stage (and prior) only: they are what :meth:`calibrate` fits the second stage on."""
        from koclassify.metadata.splits import group_rows, kfold_indices

        space = self._check()
        examples = as_examples(X, y)
        gold = space.indicator(examples, source="training data")
        view = self.backend_view(examples)  # the fold models see what the real model saw (text fields included)
        groups: np.ndarray | None = group_rows(examples)[0]  # a duplicated row on both sides of a fold leaks
        if groups is not None and len(np.unique(groups)) < folds:
            groups = None
        oof = np.zeros_like(gold, dtype=np.float64)
        folds_iter = kfold_indices(gold, folds=folds, seed=seed, multi_label=space.multi_label, groups=groups)
        try:
            for train_idx, test_idx in folds_iter:
                backend = self.backend.fold_clone()
                backend.fit([view[i] for i in train_idx], gold[train_idx], space)
                oof[test_idx] = backend.predict_proba([view[i] for i in test_idx])
        finally:
            self.backend.end_folds()
        if self.prior_ is not None:  # slightly optimistic: the prior's counts include each fold's own rows
            oof = self.prior_.apply(oof, examples)
        return oof

    def thresholds_dict(self) -> dict[str, float]:
        space, thresholds, _ = self._fitted()
        return {name: float(t) for name, t in zip(space.names, thresholds)}

    def set_thresholds(self, thresholds: dict[str, float]) -> None:
        space, current, _ = self._fitted()
        unknown = set(thresholds) - set(space.names)
        if unknown:
            raise DataError(f"thresholds for unknown labels: {sorted(unknown)}")
        self.thresholds_ = np.array([float(thresholds.get(n, t)) for n, t in zip(space.names, current)])

    def set_decision(self, rule: str, max_labels: int | None = None) -> None:
        """Change the multi-label decision rule (``threshold``, ``at_least_one``, ``max_labels``); checked as the
        ``decision`` option is (an :class:`OptionError` naming what is allowed)."""
        space = self._check()
        chosen = given_rule(rule, max_labels)
        if not space.multi_label:
            raise DataError("a multi-class model decides by argmax; decision rules apply to multi-label models")
        self.decision_ = chosen

    # ----------------------------------------------------------- persistence
    def save_calibration(self, directory: str | Path) -> None:
        """Rewrite only thresholds, decision rule and calibration record of a saved model (weights untouched,
        which matters when they are gigabytes of encoder or adapter); its manifest records the new files."""
        from koclassify.model.directory import save_calibration

        save_calibration(self, Path(directory))

    def save(self, directory: str | Path, *, overwrite: bool = False) -> Path:
        """Write the model directory atomically: config, labels, thresholds, the backend's own files, and last
        ``manifest.json`` (every file's size and sha256; format in :mod:`koclassify.model.directory`).

        Replaces only an earlier model directory or an empty directory; anything else at ``directory`` (a file,
        a folder of other files) is a :class:`KoclassifyError` unless ``overwrite=True``. Under ``torchrun`` /
        ``accelerate launch`` every rank trains the same model; only rank 0 writes it (the other ranks return at
        once), so a training script needs no rank check of its own.
        """
        from koclassify.model.directory import save_model

        self._fitted()
        directory = Path(directory)
        if not is_main_process():
            return directory
        return save_model(self, directory, overwrite=overwrite)

    @classmethod
    def load(cls, directory: str | Path, *, trust_remote_code: bool = False) -> Classifier:
        """Load a model directory with every option and training decision it was saved with. The directory is
        data: its files are checked against ``manifest.json`` before any is parsed, nothing in it is run, nothing
        outside it is read (links, FIFOs and devices are refused), and a malformed file is a :class:`ModelError`.

        ``trust_remote_code``: let Hugging Face import model code shipped with the weights (llm backend only).
        It is the caller's decision; a ``trust_remote_code`` stored in the directory's files is ignored.
        """
        from koclassify.model.directory import load_model

        return load_model(cls, Path(directory), trust_remote_code=trust_remote_code)

    def __repr__(self) -> str:
        state = f"labels={list(self.labels_.names)}" if self.labels_ else "unfitted"
        return f"Classifier(backend={self.backend.name!r}, {state})"


def is_main_process() -> bool:
    """False on the non-zero ranks of a ``torchrun`` / ``accelerate launch`` job (they train, rank 0 writes)."""
    import os

    return int(os.environ.get("RANK", "0")) == 0


def layout_options(base: Any = None, **flags: Any) -> Any:
    """A :class:`ReadOptions` from ``base`` (a config's or model's layout) with the given keywords on top.

    ``label_cols`` may be a comma-separated string, ``label_names`` a path; unknown keywords are an
    :class:`OptionError` naming the nearest layout option.
    """
    from dataclasses import fields

    from koclassify.data.options import ReadOptions
    from koclassify.options import unknown_key_error

    known = [f.name for f in fields(ReadOptions)]
    for key in flags:
        if key not in known:
            raise unknown_key_error(key, known, "data layout")
    if isinstance(flags.get("label_cols"), str):
        flags["label_cols"] = [c.strip() for c in flags["label_cols"].split(",") if c.strip()]
    if flags.get("label_names") is not None:
        flags["label_names"] = str(flags["label_names"])
    try:
        return (base or ReadOptions()).merged(**flags)
    except ValueError as exc:
        raise OptionError("format", flags.get("format"), message=str(exc)) from None


def _warn_missing(examples: Sequence[Example], specs: Sequence[str], role: str) -> None:
    """Metadata the model was trained with but the input lacks entirely: predictions fall back, say so."""
    present = {k for ex in examples for k in ex.fields}
    missing = [s for s in specs if s.partition(":")[0] not in present]
    if examples and missing:
        warnings.warn(
            f"{role} use column(s) {missing}, which the input does not have: predicting without them",
            UserWarning,
            stacklevel=3,
        )
