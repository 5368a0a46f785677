"""Hostile model directories: loading one gives a ModelError or works; it never runs code, never hangs, never
reads outside the directory and never allocates more memory than the stored arrays need."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from koclassify import Classifier
from koclassify.errors import ModelError

from .conftest import run_cli


def _edit(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        path = model / name
        obj = json.loads(path.read_text())
        result = change(obj)
        path.write_text(json.dumps(obj if result is None else result))

    return mutate


def _text(name: str, content: str | bytes) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        path = model / name
        path.unlink(missing_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return mutate


def _link(name: str, target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        path = model / name
        destination = target(model)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        path.symlink_to(destination)

    return mutate


def _fifo(name: str) -> Callable[[Path], None]:
    def mutate(model: Path) -> None:
        (model / name).unlink()
        os.mkfifo(model / name)

    return mutate


def _npz_header(shape: tuple[int, ...]) -> Callable[[Path], None]:
    """``coef.npy`` inside arrays.npz declares ``shape`` (terabytes) but stores 16 bytes."""

    def mutate(model: Path) -> None:
        path = model / "backend" / "arrays.npz"
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        header = {"descr": "<f8", "fortran_order": False, "shape": shape}
        text = repr(header).encode("latin1")
        text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
        fake = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + b"\x00" * 16
        buffer = io.BytesIO()
        np.savez(buffer, **{k: v for k, v in arrays.items() if k != "coef"})
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("coef.npy", fake)
        path.write_bytes(buffer.getvalue())

    return mutate


def _outside(model: Path) -> Path:
    secret = model.parent / "secret.json"
    secret.write_text(json.dumps({"pos": 0.5, "neg": 0.5}))
    return secret


def _other_backend(model: Path) -> Path:
    other = model.parent / "elsewhere"
    shutil.copytree(model / "backend", other)
    return other


def _inside_copy(model: Path) -> Path:
    copy = model / "backend" / "thresholds-copy.json"
    shutil.copyfile(model / "thresholds.json", copy)
    return copy


def _text_new(name: str, content: str) -> Callable[[Path], None]:
    return lambda model: (model / name).write_text(content)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


ERROR = "error"
WORKS = "works"
HOSTILE: list[tuple[str, Callable[[Path], None], str]] = [
    ("config without labels", _edit("config.json", lambda c: c.pop("labels")), ERROR),
    ("config without backend", _edit("config.json", lambda c: c.pop("backend")), ERROR),
    ("config is a list", _edit("config.json", lambda c: [c]), ERROR),
    ("config is a string", _edit("config.json", lambda c: "model"), ERROR),
    ("label names not a list", _edit("config.json", lambda c: c["labels"].update(names="pos")), ERROR),
    ("label names empty", _edit("config.json", lambda c: c["labels"].update(names=[])), ERROR),
    ("label names duplicated", _edit("config.json", lambda c: c["labels"].update(names=["pos", "pos"])), ERROR),
    ("label names numbers", _edit("config.json", lambda c: c["labels"].update(names=[1, 2])), ERROR),
    ("more labels than weights", _edit("config.json", lambda c: c["labels"].update(names=["a", "b", "c"])), ERROR),
    ("multi_label a string", _edit("config.json", lambda c: c["labels"].update(multi_label="yes")), ERROR),
    ("unknown backend", _edit("config.json", lambda c: c.update(backend="evil")), ERROR),
    ("backend a list", _edit("config.json", lambda c: c.update(backend=["linear"])), ERROR),
    ("backend_options a list", _edit("config.json", lambda c: c.update(backend_options=[1])), ERROR),
    ("unknown backend option", _edit("config.json", lambda c: c["backend_options"].update(bogus=1)), ERROR),
    ("decision rule unknown", _edit("config.json", lambda c: c.update(decision={"rule": "bogus"})), ERROR),
    ("decision a list", _edit("config.json", lambda c: c.update(decision=[])), ERROR),
    (
        "decision max_labels text",
        _edit("config.json", lambda c: c.update(decision={"rule": "max_labels", "max_labels": "x"})),
        ERROR,
    ),
    ("metadata text_fields a list", _edit("config.json", lambda c: c.update(metadata={"text_fields": ["a"]})), ERROR),
    ("metadata multi_value bogus", _edit("config.json", lambda c: c.update(metadata={"multi_value": "x"})), ERROR),
    ("data_options a string", _edit("config.json", lambda c: c.update(data_options="x")), ERROR),
    ("data_options label_sep a number", _edit("config.json", lambda c: c["data_options"].update(label_sep=5)), ERROR),
    (
        "data_options label_cols a string",
        _edit("config.json", lambda c: c["data_options"].update(label_cols="ab")),
        ERROR,
    ),  # fmt: skip
    ("data_options bad format", _edit("config.json", lambda c: c["data_options"].update(format="exe")), ERROR),
    (
        "label_names path traversal",
        _edit("config.json", lambda c: c["data_options"].update(label_names="../../../../etc/passwd")),
        ERROR,
    ),  # fmt: skip
    ("config nested 100k deep", _text("config.json", _deep(100_000)), ERROR),
    ("config huge integer", _text("config.json", '{"backend": ' + "1" * 5000 + "}"), ERROR),
    ("config not UTF-8", _text("config.json", b'{"backend": "\xff\xfe"}'), ERROR),
    ("config empty", _text("config.json", ""), ERROR),
    ("thresholds high", _text("thresholds.json", '{"pos": "high", "neg": 0.5}'), ERROR),
    ("thresholds null", _text("thresholds.json", '{"pos": null, "neg": 0.5}'), ERROR),
    ("thresholds NaN", _text("thresholds.json", '{"pos": NaN, "neg": 0.5}'), ERROR),
    ("thresholds -1", _text("thresholds.json", '{"pos": -1, "neg": 0.5}'), ERROR),
    ("thresholds 2e308", _text("thresholds.json", '{"pos": 2e308, "neg": 0.5}'), ERROR),
    ("thresholds 309-digit integer", _text("thresholds.json", '{"pos": 2' + "0" * 308 + ', "neg": 0.5}'), ERROR),
    ("thresholds a list", _text("thresholds.json", "[0.5, 0.5]"), ERROR),
    ("thresholds unknown label", _text("thresholds.json", '{"zzz": 0.5}'), ERROR),
    ("thresholds not UTF-8", _text("thresholds.json", b'{"pos": 0.5, "\xff": 1}'), ERROR),
    ("thresholds missing", lambda m: (m / "thresholds.json").unlink(), ERROR),
    ("thresholds -> /dev/zero", _link("thresholds.json", lambda m: Path("/dev/zero")), ERROR),
    ("thresholds a FIFO", _fifo("thresholds.json"), ERROR),
    ("config a FIFO", _fifo("config.json"), ERROR),
    ("arrays a FIFO", _fifo("backend/arrays.npz"), ERROR),
    ("thresholds link outside", _link("thresholds.json", _outside), ERROR),
    ("backend/ link outside", _link("backend", _other_backend), ERROR),
    ("link inside (no manifest: fine)", _link("thresholds.json", lambda m: _inside_copy(m)), WORKS),
    ("npz declares 320 GB", _npz_header((200_000, 200_000)), ERROR),
    ("npz declares 2**62 elements", _npz_header((2**31, 2**31)), ERROR),
    ("npz garbage", _text("backend/arrays.npz", b"PK\x03\x04 not a zip"), ERROR),
    ("npz missing", lambda m: (m / "backend" / "arrays.npz").unlink(), ERROR),
    ("linear.json a list", _text("backend/linear.json", "[]"), ERROR),
    ("linear.json without head", _edit("backend/linear.json", lambda c: c.pop("head")), ERROR),
    ("linear.json head kind bogus", _edit("backend/linear.json", lambda c: c["head"].update(kind=[1])), ERROR),
    ("backend dir missing", lambda m: shutil.rmtree(m / "backend"), ERROR),
    ("prior a list", _text("prior.json", "[1]"), ERROR),
    ("prior empty object", _text("prior.json", "{}"), ERROR),
    (
        "embed_cache outside the model",
        _edit("config.json", lambda c: c["backend_options"].update(embed_cache="../../outside-cache")),
        WORKS,
    ),  # fmt: skip
    (
        "trust_remote_code in the files",
        _edit("config.json", lambda c: c["backend_options"].update(trust_remote_code=True)),
        WORKS,
    ),  # fmt: skip
    ("python file beside the weights", _text_new("backend/evil.py", "import os; os.system('touch PWNED')"), WORKS),
]


def as_before_manifests(model: Path) -> None:
    """Make ``model`` look saved by a koclassify before manifests: no manifest.json, format_version, options."""
    (model / "manifest.json").unlink()
    config = json.loads((model / "config.json").read_text())
    config.pop("format_version")
    config.pop("options")
    (model / "config.json").write_text(json.dumps(config))


def resign(model: Path) -> bool:
    """Rewrite the manifest over the changed tree, as someone who edits the files can; False where it cannot
    be written (a link or a FIFO in the tree: the old manifest stays)."""
    from koclassify.manifest import write_manifest

    try:
        write_manifest(model)
    except ModelError:
        return False
    return True


# "as saved": the mutation alone, the manifest as save wrote it (every change is caught by it);
# "re-signed": the manifest rewritten after the mutation; "no manifest": a directory from before manifests.
# The last two check that the loader's own checks hold without the manifest's help.
MODES = ("as saved", "re-signed", "no manifest")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("mutate,expected", [(m, e) for _, m, e in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_hostile_model_directory(mutate: Callable[[Path], None], expected: str, mode: str, model_dir: Path,
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alarm: object) -> None:  # fmt: skip
    model = tmp_path / "box" / "model"
    shutil.copytree(model_dir, model)
    if mode == "no manifest":
        as_before_manifests(model)
    mutate(model)
    if mode == "as saved":
        expected = ERROR
    elif mode == "re-signed" and not resign(model):
        expected = ERROR
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = Classifier.load(model)
        outcome = WORKS
    except ModelError as exc:
        outcome = ERROR
        assert "\n" not in str(exc)
        if mode == "as saved":
            assert str(model) in str(exc), "the error names the file"
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert outcome == expected
    assert peak < 200 * 2**20, f"loading allocated {peak / 2**20:.0f} MiB"
    if outcome == WORKS:
        old = [w for w in caught if "manifest.json" in str(w.message)]
        assert len(old) == (mode == "no manifest"), "one warning for a directory without a manifest, else none"
        assert clf.predict(["정말 좋아요"]) in (["pos"], ["neg"])
        assert clf.backend.options.get("embed_cache") is None, "a model's files chose where the cache writes"
        assert clf.backend.options.get("trust_remote_code") in (None, False)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "loading created or removed files"
    assert not (tmp_path / "PWNED").exists()


def test_hostile_directory_through_the_cli(model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    _text("thresholds.json", '{"pos": "high", "neg": 0.5}')(model)
    resign(model)
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "좋아요"}\n', encoding="utf-8")
    outcome = run_cli("predict", model, data, "--out", tmp_path / "o.jsonl")
    assert outcome.traceback is None and outcome.code == 2
    assert "threshold must be a number" in outcome.message


def test_a_model_path_mid_swap_loads_the_previous_version(model_dir: Path, tmp_path: Path) -> None:
    """Between the two renames of a save the path is missing; a reader gets the parked previous version."""
    import json
    import os

    parked = tmp_path / f".model.{os.getpid()}.abcd.tmp"  # what the write gate's swap parks, with its marker
    shutil.copytree(model_dir, parked / "previous")
    marker = {"written_by": "koclassify", "kind": "parked", "target": "model", "pid": os.getpid()}
    (parked / ".koclassify").write_text(json.dumps(marker))
    assert Classifier.load(tmp_path / "model").predict(["정말 좋아요"]) in (["pos"], ["neg"])
