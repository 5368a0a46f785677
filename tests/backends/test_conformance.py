"""One conformance suite for every registered backend (like scikit-learn's ``parametrize_with_checks``).

Each backend is built from its options (tiny local models for ``encoder`` and ``llm``) and must: clone into an
unfitted twin with equal parameters; round-trip its options through JSON; refuse a bad option with
:class:`OptionError` before any work; give (n, L) probabilities in the order of the label space it was given;
write a model directory without pickles; load back to identical probabilities. A new backend registered in
``koclassify.backends.base`` without a case here fails :func:`test_every_registered_backend_is_covered`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.backends.base import get_backend_class, get_options_class
from koclassify.decide.decision import DecisionRule
from koclassify.options import OptionError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for tiny_encoder / tiny_models

NOUNS = ["학교", "영화", "커피", "여행", "선물", "공연", "음악", "회사"]
LABELS = ["disgust", "joy", "sadness"]  # NIKL words: single tokens in the tiny LLM tokenizer
ORDER = ["sadness", "joy", "disgust"]  # asked-for label order, different from first appearance and sorted order


def task() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for noun in NOUNS:
        texts += [f"{noun} 정말 싫다", f"{noun} 정말 좋다", f"{noun} 너무 슬프다"]
        labels += LABELS
    return texts, labels


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Tiny random models, built once per session and only for the backends that are asked for."""
    return {}


def _tiny_model(name: str, dirs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    if name not in dirs:
        pytest.importorskip("torch")
        pytest.importorskip("transformers")
        if name == "encoder":
            from tiny_encoder import build_encoder

            texts, _ = task()
            # 128 positions: the default max_length must become 128 without being told
            path = build_encoder(tmp_path_factory.mktemp("bert"), texts=texts * 3, initializer_range=0.2,
                                 max_positions=128)  # fmt: skip
        else:
            pytest.importorskip("peft")
            from tiny_models import build_model

            path = build_model(tmp_path_factory.mktemp("neox"), "gpt_neox")
        dirs[name] = str(path)
    return dirs[name]


FAST: dict[str, dict[str, Any]] = {
    "linear": {},
    "encoder": {"epochs": 1, "lr": 1e-2, "batch_size": 8, "warmup": 0.0},
    "llm": {"epochs": 1, "lr": 1e-2, "batch_size": 4},
}
BACKENDS = sorted(FAST)


@pytest.fixture(scope="module", params=BACKENDS)
def options(request, model_dirs, tmp_path_factory) -> tuple[str, dict[str, Any]]:
    name = request.param
    opts = dict(FAST[name])
    if name != "linear":
        opts["model"] = _tiny_model(name, model_dirs, tmp_path_factory)
    return name, opts


@pytest.fixture(scope="module")
def fitted(options) -> Classifier:
    name, opts = options
    texts, labels = task()
    return Classifier(name, **opts).fit(texts, labels, labels=ORDER)


def test_every_registered_backend_is_covered() -> None:
    from koclassify.backends.base import _REGISTRY

    builtin = {name for name, target in _REGISTRY.items() if target.startswith("koclassify.")}
    # `ensemble` is not trained from examples: it composes fitted Classifiers (its fit refuses), so the
    # fit -> save -> load checks are run on it in tests/ensemble instead
    assert builtin - {"ensemble"} == set(FAST)


def test_clone_is_unfitted_with_equal_parameters(options, fitted: Classifier) -> None:
    name, opts = options
    backend = get_backend_class(name)(**opts)
    for original in (backend, fitted.backend):
        twin = original.clone()
        assert type(twin) is type(original) and twin is not original
        assert twin.options == original.options
        assert twin.labels is None


def test_options_round_trip_through_json(options) -> None:
    name, opts = options
    backend = get_backend_class(name)(**opts)
    restored = get_backend_class(name)(**json.loads(json.dumps(backend.options)))
    assert restored.options == backend.options
    assert set(backend.options) == set(get_options_class(name).keys())  # every option declared, none extra


def test_a_bad_option_fails_before_any_work(options) -> None:
    name, opts = options
    cls = get_backend_class(name)
    with pytest.raises(OptionError, match=f"unknown option 'bogus_option' for the {name} backend"):
        cls(**opts, bogus_option=1)
    numeric = [row[0] for row in get_options_class(name).describe() if row[1].startswith(("an integer", "a number"))]
    assert numeric, "every backend has a numeric option"
    with pytest.raises(OptionError, match=f'{numeric[0]}="abc"'):
        cls(**{**opts, numeric[0]: "abc"})
    with pytest.raises(OptionError):
        Classifier(name, **opts).fit(*task(), cv=1)  # fit-time options are checked before training


def test_probabilities_have_the_shape_and_label_order_asked_for(fitted: Classifier) -> None:
    assert list(fitted.labels_.names) == ORDER
    texts, labels = task()
    probs = fitted.predict_proba(texts[:5])
    assert probs.shape == (5, 3) and np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)  # multi-class rows sum to 1
    assert fitted.predict_proba([]).shape == (0, 3)


def _pickles(directory: Path) -> list[str]:
    found = []
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        head = path.read_bytes()[:2]
        pickle_magic = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
        if path.suffix in (".pkl", ".pickle", ".pt", ".bin", ".joblib") or pickle_magic:
            found.append(str(path))
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if any(n.endswith(".pkl") for n in archive.namelist()):
                    found.append(str(path))
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as npz:
                    for key in npz.files:
                        npz[key]  # raises on object arrays (pickled)
    return found


def test_save_load_gives_identical_probabilities_and_no_pickles(options, fitted: Classifier, tmp_path: Path) -> None:
    texts, _ = task()
    before = fitted.predict_proba(texts)
    fitted.save(tmp_path / "m")
    assert _pickles(tmp_path / "m") == []
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.backend.options == fitted.backend.options
    assert list(loaded.labels_.names) == ORDER
    np.testing.assert_array_equal(loaded.predict_proba(texts), before)


def multi_label_task() -> tuple[list[str], list[list[str]]]:
    texts, labels = [], []
    for noun in NOUNS:
        texts += [f"{noun} 정말 싫다", f"{noun} 정말 좋다", f"{noun} 좋고 슬프다"]
        labels += [["disgust"], ["joy"], ["joy", "sadness"]]
    return texts, labels


# every Classifier option set away from its default (text_fields and prior need metadata columns: tested in
# tests/metadata/test_priors.py and the CLI tests; here their neighbours prior_mode / prior_options stand for them)
SET = {"decision": "max_labels", "max_labels": 2, "stack": "off", "prior_mode": "multiplier",
       "prior_options": {"alpha": 0.5, "min_count": 3}, "multi_value": "multi-label"}  # fmt: skip


def test_load_restores_every_option_and_what_training_decided(options, tmp_path: Path) -> None:
    """Before, a loaded model's options were the defaults: trained with decision="max_labels", it loaded with
    decision "auto", and refitting it chose at_least_one."""
    name, opts = options
    texts, labels = multi_label_task()
    clf = Classifier(name, **opts, **SET).fit(texts, labels)
    clf.data_options = {"format": "jsonl", "text_col": "body"}  # the layout train remembers
    loaded = Classifier.load(clf.save(tmp_path / "m"))
    assert loaded.options == clf.options and loaded.options.decision == "max_labels"
    got = (
        loaded.decision,
        loaded.max_labels,
        loaded.stack,
        loaded.multi_value,
        loaded.prior_mode,
        loaded.prior_options,
    )
    assert got == (clf.decision, clf.max_labels, clf.stack, clf.multi_value, clf.prior_mode, clf.prior_options)
    assert loaded.decision_ == clf.decision_ and loaded.thresholds_dict() == clf.thresholds_dict()
    assert loaded.calibration_ == clf.calibration_ and loaded.data_options == clf.data_options
    assert loaded.labels_ == clf.labels_ and loaded.text_fields == clf.text_fields
    refit = loaded.fit(texts, labels)  # a loaded model refits the way the person set it up
    assert refit.decision_ == DecisionRule("max_labels", 2)


def test_an_ensemble_restores_its_options_too(tmp_path: Path) -> None:
    from koclassify import Ensemble

    texts, labels = multi_label_task()
    members = [Classifier(C=c).fit(texts, labels) for c in (1.0, 4.0)]
    ens = Ensemble(members, weights=[1, 2], decision="max_labels", max_labels=2, stack="off")
    loaded = Classifier.load(ens.save(tmp_path / "e"))
    assert loaded.options == ens.options and loaded.decision_ == ens.decision_
    assert loaded.backend.options["weights"] == ens.backend.options["weights"]


def test_encoder_window_defaults_to_what_the_model_accepts(options, fitted: Classifier) -> None:
    if options[0] != "encoder":
        pytest.skip("encoder only")
    assert fitted.backend.options["max_length"] is None  # the option stays as given ...
    assert fitted.backend.window_ == (128, 32, 16)  # ... the window is min(512, 128 positions)


DDP_SCRIPT = """
import os
import sys
from accelerate import PartialState
from koclassify import Classifier
texts, labels = [], []
for noun in ["학교", "영화", "커피", "여행", "선물", "공연"]:
    texts += [noun + " 정말 좋다", noun + " 정말 싫다"]
    labels += ["joy", "disgust"]
clf = Classifier(sys.argv[1], model=sys.argv[2], epochs=1, lr=1e-2, batch_size=2).fit(texts, labels)
state = PartialState()
line = f"{state.process_index} {state.num_processes} {clf.backend.train_stats_['steps']}"
open(os.path.join(sys.argv[3], f"rank{state.process_index}.txt"), "w").write(line)  # not stdout: ranks share it
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["encoder", "llm"])
def test_two_process_data_parallel_needs_no_code_change(name, model_dirs, tmp_path_factory, tmp_path) -> None:
    """torchrun with two CPU processes (gloo): each rank takes half of the batches."""
    model = _tiny_model(name, model_dirs, tmp_path_factory)
    script = tmp_path / "train.py"
    script.write_text(DDP_SCRIPT, encoding="utf-8")
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    done = subprocess.run([*torchrun, str(script), name, model, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip
    ranks = sorted(path.read_text().split() for path in tmp_path.glob("rank*.txt"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert ranks == [["0", "2", "3"], ["1", "2", "3"]], done.stdout[-3000:]  # 12 rows, batch 2, 2 ranks: 3 steps
