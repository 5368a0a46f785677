"""Issue 20 §2: ``manifest.json`` — written last over the whole tree, checked before any file is parsed, and the
model's identity (:func:`koclassify.modeldir.model_hash`)."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import pytest

from koclassify import Classifier
from koclassify.errors import ModelError
from koclassify.io import MARKER
from koclassify.manifest import write_manifest
from koclassify.modeldir import model_hash


def _copy(model_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(model_dir, tmp_path / "m")
    return tmp_path / "m"


def _files(model: Path) -> set[str]:
    # the manifest leaves out itself and the write gate's ownership marker (it names the writer's pid)
    return {p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file()} - {"manifest.json", MARKER}


def test_the_manifest_lists_every_file_save_wrote_with_size_and_sha256(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == _files(model_dir)  # whatever save wrote, no list kept anywhere
    for name, record in manifest["files"].items():
        data = (model_dir / name).read_bytes()
        assert record == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert manifest["format_version"] == 2 and manifest["koclassify_version"]
    assert json.loads((model_dir / "config.json").read_text())["format_version"] == 2


def test_a_file_written_during_save_after_the_backend_is_covered(tmp_path: Path, monkeypatch) -> None:
    """A step added to save (a model card, say) is hashed too: the manifest is built from the tree."""
    from koclassify.backends.linear.backend import LinearBackend

    original = LinearBackend.save

    def save_with_card(self, directory: Path) -> None:
        original(self, directory)
        (directory.parent / "README.md").write_text("# model card\n")

    monkeypatch.setattr(LinearBackend, "save", save_with_card)
    clf = Classifier().fit(["좋아요", "싫어요"] * 3, ["pos", "neg"] * 3)
    model = clf.save(tmp_path / "m")
    assert "README.md" in json.loads((model / "manifest.json").read_text())["files"]
    (model / "README.md").write_text("# edited\n")
    with pytest.raises(ModelError, match="README.md: changed since the model was saved"):
        Classifier.load(model)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda m: (m / "notes.txt").write_text("x"), "notes.txt: not in manifest.json"),
        (lambda m: (m / "backend" / "arrays.npz").unlink(), "arrays.npz: missing \\(manifest.json lists it\\)"),
        (lambda m: (m / "thresholds.json").write_text('{"pos": 0.5, "neg": 0.1}'), "thresholds.json: changed"),
        (lambda m: (m / "config.json").write_text((m / "config.json").read_text().replace("pos", "pod")), "sha256"),
        (lambda m: _relink(m / "thresholds.json"), "thresholds.json: a link"),
        (lambda m: (m / "manifest.json").write_text("[]"), "not a koclassify manifest"),
        (lambda m: _manifest_entry(m, "../../etc/passwd"), "not a path inside the model directory"),
        (lambda m: _format(m, 99), "format_version 99 is newer"),
    ],
    ids=["extra", "missing", "changed size", "changed bytes", "linked", "manifest a list", "entry outside", "newer"],
)
def test_a_changed_tree_is_one_error_naming_the_file(change, message: str, model_dir: Path, tmp_path: Path) -> None:
    model = _copy(model_dir, tmp_path)
    change(model)
    with pytest.raises(ModelError, match=message) as caught:
        Classifier.load(model)
    assert "\n" not in str(caught.value)


def _relink(path: Path) -> None:
    copy = path.with_name("copy.json")
    shutil.copyfile(path, copy)
    path.unlink()
    path.symlink_to(copy.name)


def _manifest_entry(model: Path, name: str) -> None:
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["files"][name] = {"size": 1, "sha256": "0" * 64}
    (model / "manifest.json").write_text(json.dumps(manifest))


def _format(model: Path, version: int) -> None:
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["format_version"] = version
    (model / "manifest.json").write_text(json.dumps(manifest))


def _old(model: Path) -> None:
    (model / "manifest.json").unlink()
    config = json.loads((model / "config.json").read_text())
    del config["format_version"], config["options"]
    (model / "config.json").write_text(json.dumps(config))


def test_a_directory_from_before_manifests_loads_with_one_warning(model_dir: Path, tmp_path: Path) -> None:
    model = _copy(model_dir, tmp_path)
    _old(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = Classifier.load(model)
    notes = [str(w.message) for w in caught if "manifest.json" in str(w.message)]
    assert len(notes) == 1 and "saved by an earlier koclassify" in notes[0]
    assert clf.predict(["정말 좋아요"]) in (["pos"], ["neg"])
    clf.save(tmp_path / "again")  # saving it again adds the manifest
    assert (tmp_path / "again" / "manifest.json").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Classifier.load(tmp_path / "again")


def test_a_new_directory_without_its_manifest_is_an_error(model_dir: Path, tmp_path: Path) -> None:
    model = _copy(model_dir, tmp_path)
    (model / "manifest.json").unlink()
    with pytest.raises(ModelError, match="manifest.json: missing"):
        Classifier.load(model)


def test_model_hash_is_the_manifests_sha256_and_changes_with_any_file(model_dir: Path, tmp_path: Path) -> None:
    model = _copy(model_dir, tmp_path)
    digest = model_hash(model)
    assert digest == hashlib.sha256((model / "manifest.json").read_bytes()).hexdigest()
    assert model_hash(model_dir) == digest  # a copy is the same model
    (model / "thresholds.json").write_text('{"pos": 0.4, "neg": 0.5}')
    write_manifest(model)
    assert model_hash(model) != digest
    _old(model)  # without a manifest: the hash of the one it would have, stable, and it follows the files
    old = model_hash(model)
    assert old == model_hash(model) and len(old) == 64
    (model / "thresholds.json").write_text('{"pos": 0.3, "neg": 0.5}')
    assert model_hash(model) != old


def test_in_place_updates_keep_the_manifest_true(tmp_path: Path) -> None:
    """``calibrate MODEL DEV`` rewrites thresholds, config and second stage: the manifest records them again."""
    texts = ["기쁘고 설레요", "슬퍼요", "기뻐요", "화나고 슬퍼요", "화나요", "설레요"] * 4
    labels = [["기쁨", "기대"], ["슬픔"], ["기쁨"], ["분노", "슬픔"], ["분노"], ["기대"]] * 4
    clf = Classifier(stack="off").fit(texts, labels)
    model = clf.save(tmp_path / "m")
    before = model_hash(model)
    clf.calibrate(texts, labels)
    clf.save_calibration(model)
    loaded = Classifier.load(model)
    assert loaded.thresholds_dict() == clf.thresholds_dict() and model_hash(model) != before
