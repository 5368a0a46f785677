"""The manifest of a ``predict --engine ray`` output directory: what made each output shard, so a re-run knows
which shards are still good.

It records the model (its path and a hash of its files), per input file its size, modification time and quick
fingerprint, and per split its input, byte range (or row groups), the sha256 of the split's bytes, and its
output shard's name, rows and sha256. A split is done only when all of these still hold: a model retrained at
the same path, an input edited in place (even with the same size and modification time), or an output shard
truncated or damaged makes it predicted again. A manifest of the wrong shape is one clean error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.data.ranges import Split, file_sha256
from koclassify.errors import KoclassifyError

MANIFEST = "manifest.json"
FORMAT = "koclassify-ray-predictions"
VERSION = 2

_SPLIT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "input": str, "unit": str, "start": int, "stop": int, "sha256": str, "output": str, "output_sha256": str,
    "rows": int, "errors": int, "errors_file": (str, type(None)),
}  # fmt: skip


def fresh(model: Path, model_sha256: str, kind: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "model": str(model), "model_sha256": model_sha256, "kind": kind,
            "complete": False, "rows": 0, "inputs": {}, "splits": {}}  # fmt: skip


def read(out_dir: Path, model: Path, model_sha256: str, kind: str) -> tuple[dict[str, Any], bool]:
    """The manifest in ``out_dir`` (or a fresh one) and whether the model changed since it was written."""
    from koclassify.io import read_json

    path = out_dir / MANIFEST
    if not path.is_file():
        if out_dir.is_dir() and any(p for p in out_dir.iterdir() if not p.name.startswith(".")):
            raise KoclassifyError(f"{out_dir}: not empty and has no {MANIFEST}; give a new or empty --out directory")
        return fresh(model, model_sha256, kind), False
    try:
        manifest = read_json(path)
    except (OSError, ValueError) as exc:
        raise KoclassifyError(f"{path}: unreadable manifest ({exc}); remove it or use a new --out") from None
    check(manifest, path)
    if manifest["model"] != str(model) or manifest["kind"] != kind:
        raise KoclassifyError(
            f"{out_dir}: holds {manifest['kind']} predictions of {manifest['model']}; "
            "use a new --out for another model or output kind"
        )
    if manifest["model_sha256"] != model_sha256:
        return {**fresh(model, model_sha256, kind), "splits": manifest["splits"]}, True
    return manifest, False


def check(manifest: Any, path: Path) -> None:
    """Every field of the expected type, or one :class:`KoclassifyError` naming the first that is not."""

    def bad(what: str) -> KoclassifyError:
        return KoclassifyError(f"{path}: not a koclassify manifest ({what}); use a new --out")

    if not isinstance(manifest, dict):
        raise bad(f"a {type(manifest).__name__}, not an object")
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise bad(f"format {manifest.get('format')!r} version {manifest.get('version')!r}, expected {FORMAT} {VERSION}")
    for key, kind in (("model", str), ("model_sha256", str), ("kind", str), ("inputs", dict), ("splits", dict)):
        if not isinstance(manifest.get(key), kind):
            raise bad(f"{key!r} is not a {kind.__name__}")
    for name, entry in manifest["splits"].items():
        if not isinstance(entry, dict):
            raise bad(f"split {name!r} is not an object")
        for key, kinds in _SPLIT_FIELDS.items():
            value = entry.get(key)
            if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is int):
                raise bad(f"split {name!r}: {key!r} is {value!r}")
        if (
            "/" in entry["output"]
            or entry["output"].startswith(".")
            or (entry["errors_file"] is not None and ".." in Path(entry["errors_file"]).parts)
        ):
            raise bad(f"split {name!r}: output {entry['output']!r} is not a file of this directory")


def still_done(entry: dict[str, Any] | None, split: Split, out_dir: Path) -> bool:
    """The recorded split is this split, and its output (and errors file) are there with the recorded hash."""
    if entry is None:
        return False
    same = (entry["input"], entry["unit"], entry["start"], entry["stop"], entry["sha256"]) == (
        split.path,
        split.unit,
        split.start,
        split.stop,
        split.sha256,
    )
    output = out_dir / entry["output"]
    if not same or not output.is_file() or file_sha256(output) != entry["output_sha256"]:
        return False
    return entry["errors_file"] is None or (out_dir / entry["errors_file"]).is_file()


def record(split: Split, output: str, output_sha256: str, rows: int, errors: int, errors_file: str | None) -> dict:
    return {"input": split.path, "unit": split.unit, "start": split.start, "stop": split.stop, "sha256": split.sha256,
            "first_line": split.first_line, "output": output, "output_sha256": output_sha256, "rows": rows,
            "errors": errors, "errors_file": errors_file}  # fmt: skip
