"""Issue 20 section 3, one gate for every write: an output never replaces an input, a directory is replaced only
when koclassify's marker says it is its own, only the package's own temp entries are ever removed, and a full or
read-only disk is one clean line with the old output intact."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from koclassify import Classifier

from .conftest import run_cli

GOLD = "".join(json.dumps({"id": str(i), "text": t, "label": lab}) + "\n"
               for i, (t, lab) in enumerate([("정말 좋아요", "pos"), ("최악이에요", "neg"),
                                             ("너무 좋다", "pos"), ("실망했어요", "neg")]))  # fmt: skip
PROBS = "".join(json.dumps({"pos": p, "neg": 1 - p}) + "\n" for p in (0.9, 0.2, 0.7, 0.4))
PROBS2 = "".join(json.dumps({"pos": p, "neg": 1 - p}) + "\n" for p in (0.8, 0.1, 0.6, 0.3))

# every command that writes, with the inputs its --out (or DST) may not be
COMMANDS: list[tuple[str, list[str], list[str]]] = [
    ("predict", ["predict", "m", "gold.jsonl", "--out", "{out}"], ["gold.jsonl", "m"]),
    ("predict csv", ["predict", "m", "gold.jsonl", "--out", "{out}", "--to", "csv"], ["gold.jsonl"]),
    ("calibrate --probs", ["calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "{out}"],
     ["p.jsonl", "gold.jsonl"]),
    ("merge", ["merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", "gold.jsonl", "--out", "{out}"],
     ["p.jsonl", "t.json", "gold.jsonl"]),
    ("convert", ["convert", "gold.jsonl", "{out}"], ["gold.jsonl"]),
    ("split", ["split", "gold.jsonl", "--out-dir", "{out}"], ["gold.jsonl"]),
    ("report", ["report", "m", "gold.jsonl", "--out", "{out}"], ["m", "gold.jsonl"]),
    ("ensemble --probs", ["ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl",
                          "--out", "{out}"], ["p.jsonl", "p2.jsonl", "gold.jsonl"]),
    ("ensemble models", ["ensemble", "m", "m2", "--dev", "gold.jsonl", "--out", "{out}"], ["m", "m2", "gold.jsonl"]),
    ("train", ["train", "gold.jsonl", "--dev", "dev.jsonl", "--out", "{out}", "--calibrate", "none"],
     ["gold.jsonl", "dev.jsonl"]),
    ("train --overwrite", ["train", "gold.jsonl", "--out", "{out}", "--calibrate", "none", "--overwrite"],
     ["gold.jsonl"]),
]  # fmt: skip
PAIRS = [(name, args, inp) for name, args, inputs in COMMANDS for inp in inputs]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "gold.jsonl").write_text(GOLD, encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text(GOLD, encoding="utf-8")
    (tmp_path / "p.jsonl").write_text(PROBS, encoding="utf-8")
    (tmp_path / "p2.jsonl").write_text(PROBS2, encoding="utf-8")
    (tmp_path / "t.json").write_text(json.dumps({"pos": 0.5, "neg": 0.5}), encoding="utf-8")
    shutil.copytree(model_dir, tmp_path / "m")
    shutil.copytree(model_dir, tmp_path / "m2")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("name", "args", "inp"), PAIRS, ids=[f"{n} --out {i}" for n, _, i in PAIRS])
def test_out_equal_to_an_input_leaves_every_input_unchanged(workdir: Path, name: str, args: list[str],
                                                            inp: str) -> None:  # fmt: skip
    before = _snapshot(workdir)
    outcome = run_cli(*[a.replace("{out}", inp) for a in args])
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2, f"{name} --out {inp}: exit {outcome.code}: {outcome.message}"
    assert len(outcome.message.strip().splitlines()) <= 2, outcome.message
    after = _snapshot(workdir)
    assert after == before, f"{name} --out {inp} changed {sorted(k for k in before if after.get(k) != before[k])}"


def test_the_same_file_under_another_name_is_an_input_too(workdir: Path) -> None:
    os.link(workdir / "gold.jsonl", workdir / "alias.jsonl")
    outcome = run_cli("predict", "m", "gold.jsonl", "--out", "alias.jsonl")
    assert outcome.code == 2 and "input" in outcome.message
    assert (workdir / "gold.jsonl").read_text(encoding="utf-8") == GOLD


def test_report_never_replaces_a_project_directory(workdir: Path) -> None:
    proj = workdir / "proj"
    proj.mkdir()
    (proj / "report.json").write_text("{}")
    (proj / "thesis.tex").write_text("years of work")
    outcome = run_cli("report", "m", "gold.jsonl", "--out", "proj")
    assert outcome.code == 2 and "not a koclassify report" in outcome.message, outcome
    assert (proj / "thesis.tex").read_text() == "years of work"
    dot = run_cli("report", "m", "gold.jsonl", "--out", ".")
    assert dot.traceback is None and dot.code == 2 and "current directory" in dot.message, dot
    assert run_cli("report", "m", "gold.jsonl", "--out", "rep").code == 0
    assert run_cli("report", "m", "gold.jsonl", "--out", "rep").code == 0, "its own report is replaced"
    (workdir / "rep" / "notes.md").write_text("mine")
    again = run_cli("report", "m", "gold.jsonl", "--out", "rep")
    assert again.code == 2 and "notes.md" in again.message
    assert (workdir / "rep" / "notes.md").read_text() == "mine"


def test_retraining_never_deletes_a_file_the_person_put_in_the_model(workdir: Path) -> None:
    (workdir / "m" / "my_preds.jsonl").write_text("precious\n")
    outcome = run_cli("train", "gold.jsonl", "--out", "m", "--calibrate", "none")
    assert outcome.code == 2 and "my_preds.jsonl" in outcome.message, outcome
    assert (workdir / "m" / "my_preds.jsonl").read_text() == "precious\n"


def test_only_its_own_temp_entries_are_removed(workdir: Path) -> None:
    """Look-alike names of the person's are never removed or renamed; a dead writer's marked temp entry is."""
    theirs = {
        ".model.old/keep.txt": "a",
        ".preds.jsonl.old/keep.txt": "b",
        ".out.csv.99999.x.tmp": "c",
        ".part-x.tmp": "d",
        ".preds.jsonl.99999.abcd.tmp/data": "e",  # a directory with the right name but no marker
    }
    for name, content in theirs.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(content)
    shutil.rmtree(workdir / "m2")
    dead = workdir / ".preds.jsonl.99998.zzzz.tmp"  # ours: the name's pid and a marker that names it
    dead.mkdir()
    marker = {"written_by": "koclassify", "kind": "file", "target": "preds.jsonl", "pid": 99998}
    (dead / ".koclassify").write_text(json.dumps(marker))
    assert not _pid_alive(99998)
    for args in (["train", "gold.jsonl", "--out", "model", "--calibrate", "none"],
                 ["train", "gold.jsonl", "--out", "model", "--calibrate", "none"],
                 ["predict", "model", "gold.jsonl", "--out", "preds.jsonl"],
                 ["predict", "model", "gold.jsonl", "--out", "out.csv"]):  # fmt: skip
        outcome = run_cli(*args)
        assert outcome.code == 0, outcome
    for name, content in theirs.items():
        assert (workdir / name).read_text() == content, f"{name} was removed or changed"
    assert not dead.exists(), "the dead writer's own temp directory was not cleaned"
    assert Classifier.load(workdir / "model").predict(["정말 좋아요"]) == ["pos"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_a_missing_model_is_not_read_from_a_persons_old_copy(workdir: Path) -> None:
    shutil.move(workdir / "m", workdir / ".model.old")
    outcome = run_cli("predict", "model", "gold.jsonl", "--out", "o.jsonl")
    assert outcome.code == 2 and "does not exist" in outcome.message


ERRNOS = [errno.ENOSPC, errno.EROFS, errno.EACCES]


def _fail_on(monkeypatch: pytest.MonkeyPatch, name: str, code: int, target: str) -> None:
    """Make the first ``os.NAME`` call whose last path argument is named ``target`` fail with ``code``."""
    real = getattr(os, name)
    failed: list[bool] = []

    def failing(*args: object, **kwargs: object) -> object:
        if os.path.basename(str(args[-1])) == target and not failed:
            failed.append(True)
            raise OSError(code, os.strerror(code), str(args[-1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
@pytest.mark.parametrize(
    ("args", "out"),
    [
        (["predict", "m", "gold.jsonl", "--out", "o.jsonl"], "o.jsonl"),
        (["calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "o.json"], "o.json"),
        (["convert", "gold.jsonl", "o.csv"], "o.csv"),
        (["train", "gold.jsonl", "--out", "m2", "--calibrate", "none"], "m2"),
        (["report", "m", "gold.jsonl", "--out", "o"], "o"),
    ],
    ids=["predict", "calibrate", "convert", "train", "report"],
)
def test_a_full_or_read_only_disk_is_one_clean_line(workdir: Path, monkeypatch: pytest.MonkeyPatch, code: int,
                                                    args: list[str], out: str) -> None:  # fmt: skip
    target = workdir / out
    if out == "o":  # a report directory: an earlier report
        assert run_cli("report", "m", "gold.jsonl", "--out", "o").code == 0
    elif not target.exists():
        target.write_text("old output\n")
    before = _snapshot(workdir)
    _fail_on(monkeypatch, "replace", code, out)
    outcome = run_cli(*args)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and out in outcome.message and os.strerror(code) in outcome.message, outcome
    assert len(outcome.message.strip().splitlines()) == 1
    monkeypatch.undo()
    after = _snapshot(workdir)
    assert after == before, "the old output or an input changed"
    assert not [p.name for p in workdir.iterdir() if p.name.endswith(".tmp")], "temp entries left behind"


def test_calibration_changes_rule_and_thresholds_together(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure (or a kill) while the calibration is saved leaves the old thresholds with the old rule."""
    clf = Classifier.load(workdir / "m")
    clf.set_thresholds({name: 0.123 for name in clf.labels_.names})
    before = _snapshot(workdir / "m")
    _fail_on(monkeypatch, "replace", errno.ENOSPC, "config.json")
    with pytest.raises(Exception, match="No space left"):
        clf.save_calibration(workdir / "m")
    monkeypatch.undo()
    assert _snapshot(workdir / "m") == before, "thresholds were written without the rule"
    clf.save_calibration(workdir / "m")
    saved = json.loads((workdir / "m" / "thresholds.json").read_text())
    assert set(saved.values()) == {0.123}
    assert Classifier.load(workdir / "m").thresholds_dict() == saved


# the one module allowed to delete or rename on its own: the gate
DELETERS = {"io.py"}
DELETE_OR_RENAME = re.compile(r"shutil\.rmtree|shutil\.move|os\.(remove|unlink|replace|rename)\(|\.unlink\(|\.rename\(")
OPEN_FOR_WRITING = re.compile(r"\bopen\([^)]*[\"'][wax]b?\+?[\"']")


def test_only_the_gate_deletes_renames_or_opens_files_for_writing() -> None:
    import koclassify

    root = Path(koclassify.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in DELETERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DELETE_OR_RENAME.search(line) or OPEN_FOR_WRITING.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "write through koclassify.io instead:\n" + "\n".join(found)


def test_a_directory_of_outputs_is_swept_of_its_own_dead_temp_entries_only(tmp_path: Path) -> None:
    """``io.clean_stale_under`` (the Ray driver's sweep of a killed run's shards) and ``io.atomic_path``."""
    import numpy as np

    from koclassify.io import atomic_path, clean_stale_under

    dead = tmp_path / ".part-a.parquet.99997.abcd.tmp"
    dead.mkdir()
    marker = {"written_by": "koclassify", "kind": "file", "target": "part-a.parquet", "pid": 99997}
    (dead / ".koclassify").write_text(json.dumps(marker))
    (tmp_path / ".part-x.tmp").write_text("theirs")
    (tmp_path / ".part-b.parquet.99997.efgh.tmp").mkdir()  # no marker: not provably ours
    assert not _pid_alive(99997)
    assert clean_stale_under(tmp_path) == [dead]
    assert (tmp_path / ".part-x.tmp").read_text() == "theirs"
    assert (tmp_path / ".part-b.parquet.99997.efgh.tmp").is_dir()
    with atomic_path(tmp_path / "arrays.npz") as built:  # for libraries that write to a file name
        np.savez(built, x=np.arange(3))
        assert not (tmp_path / "arrays.npz").exists()
    assert np.load(tmp_path / "arrays.npz")["x"].tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "arrays.npz") as built:
        built.write_bytes(b"half")
        raise RuntimeError("killed")
    assert np.load(tmp_path / "arrays.npz")["x"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".part-b.parquet.99997.efgh.tmp", ".part-x.tmp",
                                                          "arrays.npz"]  # fmt: skip


RAY_OUTS = {
    "the input directory": ("shards", "shards"),
    "a directory holding the input": ("shards", "."),
    "the model directory": ("shards/a.jsonl", "m"),
    "inside the model directory": ("shards/a.jsonl", "m/preds"),
    "inside the input directory": ("shards", "shards/preds"),
    "a directory holding the input file": ("shards/a.jsonl", "shards"),
}


@pytest.mark.parametrize(("data", "out"), RAY_OUTS.values(), ids=list(RAY_OUTS))
def test_ray_out_directory_that_is_or_holds_an_input_is_refused(workdir: Path, data: str, out: str) -> None:
    """``predict --engine ray --out DIR`` is refused like every other output naming an input, before any work
    (Ray is never started): DIR is an input, holds one, or lies inside one (a model directory's manifest would
    no longer match; a shard directory would read its own predictions back)."""
    (workdir / "shards").mkdir()
    shutil.copy(workdir / "gold.jsonl", workdir / "shards" / "a.jsonl")
    (workdir / "shards" / "manifest.json").write_text("{}")  # a run manifest's name: must not make it an output
    before = _snapshot(workdir)
    outcome = run_cli("predict", "m", data, "--engine", "ray", "--out", out)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code == 2 and ("input" in outcome.message or "current directory" in outcome.message), outcome
    assert _snapshot(workdir) == before
