"""The hostile sweep of issue 20: every CLI command against hostile model directories, data files, options and
output paths, each case in a fresh temp directory and a fresh ``koclassify`` process, classified automatically.

    nice -n 10 python bench/sweep.py            # all cases (bench/sweep_cases.py), 2 at a time
    python bench/sweep.py --only output -j 1    # one category; --case NAME (repeatable) for single cases

Classes (the first that applies):
  code execution  the canary file a planted .py would write exists
  data loss       a file that existed before (input, model, bystander) is changed or gone, and the case did not
                  name it as its output
  hang            the process outlived its timeout (killed)
  traceback       "Traceback" on stderr, or an exit code other than 0, 1, 2
  messy error     exit 2 with an error line over 1,000 characters (or none at all)
  leftover        a marked temp entry (``.NAME.PID.XXXX.tmp``) is left behind
  silent wrong    the case expects an error and got exit 0, or its output is not what the case expects
  refused         the case expects it to work and got a clean error
  clean error     exit 2, one ``error:`` line
  worked          exit 0 and the output checks hold
The first six, "silent wrong" and "refused" are defects. Nothing is written inside the repository: cases run under
a temp directory that is removed at the end. Prints counts per class and per command, then every defect.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # tiny_models / tiny_encoder

from sweep_cases import CASES, DELETE, Case  # noqa: E402

DEFECTS = ("code execution", "data loss", "hang", "traceback", "messy error", "leftover", "silent wrong", "refused")
CLASSES = DEFECTS + ("clean error", "worked")
MAX_ERROR_LINE = 1000
CANARY = "PWNED"

GOLD_ROWS = [("정말 좋아요", "pos"), ("최악이에요", "neg"), ("너무 좋다", "pos"), ("실망했어요", "neg"),
             ("최고예요 만족", "pos"), ("별로예요", "neg")] * 2  # fmt: skip


def base_files() -> dict[str, str]:
    """The ordinary files every case starts with (inputs and bystanders); cases add or overwrite their own."""
    gold = "".join(json.dumps({"id": f"r{i}", "text": t, "label": lab}, ensure_ascii=False) + "\n"
                   for i, (t, lab) in enumerate(GOLD_ROWS))  # fmt: skip
    test = "".join(
        json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) + "\n" for i, (t, _) in enumerate(GOLD_ROWS)
    )
    probs = "".join(json.dumps({"pos": p, "neg": round(1 - p, 3)}) + "\n" for p in (0.9, 0.2, 0.7, 0.4) * 3)
    probs2 = "".join(json.dumps({"pos": p, "neg": round(1 - p, 3)}) + "\n" for p in (0.8, 0.1, 0.6, 0.3) * 3)
    csv = "id,label,text\n" + "".join(f"c{i},{lab},{t}\n" for i, (t, lab) in enumerate(GOLD_ROWS))
    return {
        "gold.jsonl": gold,
        "dev.jsonl": gold,
        "test.jsonl": test,
        "train.csv": csv,
        "p.jsonl": probs,
        "p2.jsonl": probs2,
        "t.json": json.dumps({"pos": 0.5, "neg": 0.5}),
        "notes.txt": "a bystander: never touched\n",
        "keep/precious.txt": "years of work\n",
    }


# ------------------------------------------------------------------------------------------ fixtures
def build_fixtures(root: Path, wanted: set[str]) -> dict[str, Path]:
    """Trained models the cases copy: ``linear`` (and ``linear2``) always, ``encoder`` / ``llm`` when asked."""
    from koclassify import Classifier

    texts, labels = [t for t, _ in GOLD_ROWS], [lab for _, lab in GOLD_ROWS]
    built: dict[str, Path] = {}
    for name, seed in (("linear", 0), ("linear2", 1)):
        if name in wanted:
            clf = Classifier("linear", seed=seed, min_df=1)
            built[name] = clf.fit(texts * 2, labels * 2).save(root / name)
    if "encoder" in wanted:
        from tiny_encoder import build_encoder

        base = build_encoder(root / "encoder-base", texts=texts, initializer_range=0.2)
        clf = Classifier("encoder", model=str(base), epochs=1, batch_size=8, lr=1e-2)
        built["encoder"] = clf.fit(texts, labels).save(root / "encoder")
    if "llm" in wanted:
        from tiny_models import build_model

        base = build_model(root / "llm-base", "gpt_neox")
        clf = Classifier("llm", model=str(base), epochs=1, batch_size=8, lora=False, multi_token="sum")
        built["llm"] = clf.fit(texts, labels).save(root / "llm")
    return built


# ---------------------------------------------------------------------------------------------- setup
EVIL = """\
import pathlib
pathlib.Path({canary!r}).write_text("ran")
from transformers import {config}, {model}


class EvilConfig({config}):
    model_type = "evilnet"


class EvilModel({model}):
    config_class = EvilConfig
"""


def _fill(value: Any, work: Path) -> Any:
    if isinstance(value, str):
        filled = value.replace("{work}", str(work)).replace("{canary}", str(work / CANARY))
        return filled.replace("{python}", sys.executable)
    return value


def _set(obj: Any, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj.setdefault(key, {})
    if value is DELETE:
        obj.pop(keys[-1], None)
    elif isinstance(obj, list):
        obj[int(keys[-1])] = value
    else:
        obj[keys[-1]] = value


def apply_step(step: tuple[Any, ...], work: Path, fixtures: dict[str, Path]) -> None:
    """One setup step of a case (the step kinds are listed in sweep_cases.py)."""
    kind, rel, *args = step
    path = work / _fill(rel, work)
    if kind == "model":
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(fixtures[args[0]], path, symlinks=True)
    elif kind == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        content = _fill(args[0], work)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    elif kind == "mkdir":
        path.mkdir(parents=True, exist_ok=True)
    elif kind == "remove":
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    elif kind == "link":
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(_fill(args[0], work))
    elif kind == "fifo":
        if path.exists():
            path.unlink()
        os.mkfifo(path)
    elif kind == "json":
        obj = json.loads(path.read_text(encoding="utf-8"))
        _set(obj, args[0].split("."), _fill(args[1], work))
        path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    elif kind == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(args[0])
    elif kind == "resign":  # rewrite the manifest, as someone who edits the files can
        from koclassify.manifest import write_manifest

        write_manifest(path)
    elif kind == "evil":  # an auto_map naming a .py beside the weights that writes the canary
        config_class, model_class, auto_key = args
        (path / "evil.py").write_text(EVIL.format(canary=str(work / CANARY), config=config_class, model=model_class))
        config = json.loads((path / "config.json").read_text())
        config.update(model_type="evilnet", auto_map={"AutoConfig": "evil.EvilConfig", auto_key: "evil.EvilModel"})
        (path / "config.json").write_text(json.dumps(config))
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(args[0]), path)
    else:
        raise ValueError(f"unknown setup step {kind!r}")


# ------------------------------------------------------------------------------------------- running
@dataclass
class Result:
    case: Case
    klass: str
    code: int | None
    seconds: float
    detail: str = ""


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root`` (links recorded by their target, FIFOs by their kind)."""
    found: dict[str, str] = {}
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(current) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif name in files and path.is_file():
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif name in files:
                found[rel] = "special"
    return found


def _is_output(rel: str, outputs: Iterable[str]) -> bool:
    return any(rel == out or rel.startswith(out.rstrip("/") + "/") for out in outputs)


def leftovers(root: Path) -> list[str]:
    """Temp entries the package made (its ``.koclassify`` marker inside a ``.*.tmp`` directory) still there."""
    return [str(p.relative_to(root)) for p in root.rglob(".*.tmp") if (p / ".koclassify").is_file()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command_line(case: Case, work: Path) -> list[str]:
    args = [_fill(a, work).replace("{port}", str(_free_port())) for a in case.command]
    program = list(case.program) or [sys.executable, "-m", "koclassify"]
    return program + args


def _lines(path: Path) -> list[str]:
    """The non-blank lines of a jsonl file: split on newlines only (``str.splitlines`` also splits on U+2028,
    which a jsonl writer may leave unescaped inside a string)."""
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def _check(check: tuple[Any, ...], work: Path) -> str:
    """'' when the output holds what the case expects, else what differs."""
    kind, rel, *args = check
    path = work / rel
    if not path.exists():
        return f"{rel} was not written"
    if kind == "rows":
        rows = _lines(path)
        return "" if len(rows) == args[0] else f"{rel}: {len(rows)} rows, expected {args[0]}"
    if kind == "ids":
        ids = [json.loads(line).get("id") for line in _lines(path)]
        return "" if ids == list(args[0]) else f"{rel}: ids {ids[:5]}..., expected {list(args[0])[:5]}..."
    if kind == "labels":  # jsonl rows whose label(s) must read back as given
        got = []
        for line in _lines(path):
            row = json.loads(line)
            value = row.get("labels", row.get("label"))
            got.append(value if isinstance(value, list) else [value])
        return "" if got == [list(x) for x in args[0]] else f"{rel}: labels {got[:3]}, expected {args[0][:3]}"
    if kind == "contains":
        text = path.read_text(encoding="utf-8", errors="replace")
        return "" if args[0] in text else f"{rel} lacks {args[0]!r}"
    if kind == "exists":
        return ""
    raise ValueError(f"unknown check {kind!r}")


def run_case(case: Case, fixtures: dict[str, Path], scratch: Path) -> Result:
    work = Path(tempfile.mkdtemp(prefix="case-", dir=scratch))
    try:
        for rel, content in base_files().items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(content, encoding="utf-8")
        for name, fixture in case.models.items():
            apply_step(("model", name, fixture), work, fixtures)
        for step in case.setup:
            apply_step(step, work, fixtures)
        return _run(case, work)
    finally:
        for current, dirs, _ in os.walk(work):  # a case may have made something read-only
            for name in dirs:
                p = Path(current) / name
                if not p.is_symlink():
                    os.chmod(p, 0o755)
        shutil.rmtree(work, ignore_errors=True)


def _run(case: Case, work: Path) -> Result:
    before = snapshot(work)
    env = {**os.environ, "KOCLASSIFY_CACHE": str(work / ".cache-koclassify"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(
        command_line(case, work), cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    hung = False
    try:
        out, err = proc.communicate(input=case.stdin.encode(), timeout=case.timeout)
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.monotonic() - start
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    code = None if hung else proc.returncode
    after = snapshot(work)

    def result(klass: str, detail: str = "") -> Result:
        return Result(case, klass, code, seconds, detail)

    if (work / CANARY).exists():
        return result("code execution", "the planted code ran")
    lost = [rel for rel, digest in before.items() if after.get(rel) != digest and not _is_output(rel, case.outputs)]
    if lost:
        return result("data loss", "changed or removed: " + ", ".join(sorted(lost)[:5]))
    if hung:
        if case.expect == "serves":
            return result("worked", "still serving at the timeout")
        return result("hang", f"killed after {case.timeout} s")
    if "Traceback" in stderr or code not in (0, 1, 2):
        return result("traceback", (stderr.strip().splitlines() or [f"exit {code}"])[-1][:300])
    errors = [line for line in stderr.splitlines() if line.startswith(("error:", "Error:", "│ ", "Usage:"))]
    if code == 2:
        longest = max((len(line) for line in stderr.splitlines()), default=0)
        if longest > MAX_ERROR_LINE + 100 or not errors:
            return result("messy error", f"{longest} characters: {stderr[:200]!r}")
    left = leftovers(work)
    if left:
        return result("leftover", ", ".join(left[:3]))
    message = next((line for line in stderr.splitlines() if line.startswith("error:")), stderr.strip()[-300:])
    if code == 0:
        if case.expect in ("error", "serves"):
            return result("silent wrong", f"exit 0, expected {case.expect}: {stdout.strip()[-200:]!r}")
        for check in case.checks:
            wrong = _check(check, work)
            if wrong:
                return result("silent wrong", wrong)
        return result("worked", stdout.strip().splitlines()[-1][:200] if stdout.strip() else "")
    if case.expect == "ok":
        return result("refused", message[:300])
    if case.says and case.says not in stderr:
        return result("messy error", f"expected {case.says!r} in: {message[:300]}")
    return result("clean error", message[:300])


def run_all(cases: list[Case], jobs: int = 2, progress: bool = True) -> list[Result]:
    wanted = {"linear", "linear2"} | {f for c in cases for f in c.models.values()}
    wanted |= {s[2] for c in cases for s in c.setup if s[0] == "model"}
    with tempfile.TemporaryDirectory(prefix="koclassify-sweep-") as tmp:
        scratch = Path(tmp)
        fixtures = build_fixtures(scratch / "fixtures", wanted)
        results: list[Result] = []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for number, res in enumerate(pool.map(lambda c: run_case(c, fixtures, scratch), cases), 1):
                results.append(res)
                if progress:
                    mark = "!!" if res.klass in DEFECTS else "  "
                    print(f"{mark} [{number}/{len(cases)}] {res.case.command_name:10} {res.klass:13} "
                          f"{res.seconds:5.1f}s {res.case.name}", flush=True)  # fmt: skip
        return results


def summarize(results: list[Result]) -> str:
    lines = []
    total = Counter(r.klass for r in results)
    lines.append(f"{len(results)} cases: " + ", ".join(f"{total[k]} {k}" for k in CLASSES))
    commands = sorted({r.case.command_name for r in results})
    header = f"{'command':10} {'cases':>5} " + " ".join(f"{k[:11]:>11}" for k in CLASSES)
    lines += ["", header]
    for command in commands:
        counts = Counter(r.klass for r in results if r.case.command_name == command)
        lines.append(f"{command:10} {sum(counts.values()):5} " + " ".join(f"{counts[k]:11}" for k in CLASSES))
    categories = sorted({r.case.category for r in results})
    lines += ["", f"{'category':10} {'cases':>5}"]
    for category in categories:
        counts = Counter(r.klass for r in results if r.case.category == category)
        lines.append(f"{category:10} {sum(counts.values()):5} " + " ".join(f"{counts[k]:11}" for k in CLASSES))
    bad = [r for r in results if r.klass in DEFECTS]
    lines += ["", f"defects: {len(bad)}"]
    for r in bad:
        lines.append(f"  {r.klass}: {r.case.name} [{' '.join(r.case.command)}] exit {r.code}: {r.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="a category or command (repeatable)")
    parser.add_argument("--case", action="append", help="a case name (repeatable)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or c.category in args.only or c.command_name in args.only]
    cases = [c for c in cases if not args.case or c.name in args.case]
    if args.list:
        for c in cases:
            print(f"{c.category:8} {c.expect:6} {c.name}: {' '.join(c.command)}")
        print(f"{len(cases)} cases")
        return 0
    start = time.monotonic()
    results = run_all(cases, jobs=args.jobs)
    print()
    print(summarize(results))
    print(f"\n{time.monotonic() - start:.0f} s wall")
    return 1 if any(r.klass in DEFECTS for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
