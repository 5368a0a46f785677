"""The bad-input table: every case is files to create, a command line, and the exit code and message it must
give. Commands run in a fresh directory holding the files; ``{model}`` is a trained linear model directory.
A case with ``keep`` also checks that those files are unchanged afterwards (nothing lost)."""

from __future__ import annotations

from typing import Any

JL = "d.jsonl"
CSV = "d.csv"
GOOD_JL = '{"id": "1", "text": "정말 좋아요"}\n{"id": "2", "text": "최악이에요"}\n'
PROBS = '{"pos": 0.9, "neg": 0.1}\n{"pos": 0.2, "neg": 0.8}\n'


def case(name: str, files: dict[str, str | bytes], args: list[str], code: int, fragment: str, **extra: Any) -> dict:
    return {"name": name, "files": files, "args": args, "code": code, "fragment": fragment, **extra}


def convert(files: dict[str, str | bytes], src: str, fragment: str, *flags: str) -> dict:
    """Reading errors, through the cheapest command that reads a file."""
    return case(f"read {fragment}", files, ["convert", src, "out.jsonl", *flags], 2, fragment)


def merge(thresholds: str, fragment: str, probs: str = PROBS) -> dict:
    files = {"p.jsonl": probs, "t.json": thresholds, JL: GOOD_JL}
    return case(f"merge {fragment}", files, ["merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", JL,
                                             "--out", "o.jsonl"], 2, fragment)  # fmt: skip


CASES: list[dict] = [
    # ---- reading data
    convert({CSV: 'id,label,text\n0,joy,first\n1,joy,"second\n2,joy,third\n3,joy,fourth\n'}, CSV, "never closed"),
    convert({CSV: "id,label,text\n0,joy,a\n0,joy,b\n"}, CSV, "duplicate id"),
    convert({CSV: "id,label,text\na b,joy,a\na b,joy,b\n"}, CSV, "duplicate id"),
    convert({CSV: ""}, CSV, "empty"),
    convert({CSV: "   \n\n"}, CSV, "empty"),
    convert({CSV: "id,label,text\n"}, CSV, "header but no rows"),
    convert({CSV: "id,label,text\n0,joy\n"}, CSV, "expected 3 columns"),
    convert({CSV: "id,text,text\n0,a,b\n"}, CSV, "header names must be unique"),
    convert({CSV: "a,b\n1,2\n"}, CSV, "cannot tell which column holds the text"),
    case("train without labels", {CSV: "id,text\n0,a\n"}, ["train", CSV, "--out", "m"], 2, "holds the labels"),
    convert({CSV: "id,label,text\n0,joy,\n"}, CSV, "empty text"),
    convert({CSV: "id,label,text\n,joy,a\n"}, CSV, "empty id"),
    convert({CSV: "label,text\n5,a\n", "names.txt": "x\ny\n"}, CSV, "out of range", "--label-names", "names.txt"),
    convert({CSV: "label,text\n0,a\n"}, CSV, "no such file", "--label-names", "missing.txt"),
    convert(
        {CSV: "label,text\n0,a\n", "names.txt": "x\nx\n"}, CSV, "duplicate label name", "--label-names", "names.txt"
    ),  # fmt: skip
    convert({CSV: "label,text\njoy,a\n"}, CSV, "no text column 'body'", "--text-col", "body"),
    convert({CSV: "text,a,b\nx,1,2\n"}, CSV, "expected 0/1", "--label-cols", "a,b", "--format", "csv")
    | {"files": {CSV: "text,a,b\nx,1,maybe\n"}},
    convert({CSV: "정말".encode("cp949") + b",x\n"}, CSV, "not UTF-8"),
    convert({JL: b"\x00\xff\xfe garbage"}, JL, "not UTF-8"),
    convert({JL: '[{"text": "a"}]\n'}, JL, "JSON array"),
    convert({JL: '{"text": "a", "label": "x"\n'}, JL, "invalid JSON"),
    convert({JL: "[" * 100_000 + "]" * 100_000 + "\n"}, JL, "JSON array"),
    convert({JL: '{"text": "a", "label": "x", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}\n"}, JL, "invalid JSON"),
    convert({JL: '{"text": "a", "label": "x", "id": ' + "9" * 5000 + "}\n"}, JL, "invalid JSON"),
    convert({JL: '{"text": "a\\ud800b", "label": "x"}\n'}, JL, "lone surrogate"),
    convert({JL: '{"text": "ok", "label": "x\\udfff"}\n'}, JL, "lone surrogate"),
    convert({JL: '{"text": 5, "label": "x"}\n'}, JL, "text must be a string"),
    convert({JL: '{"text": "", "label": "x"}\n'}, JL, "empty text"),
    convert({JL: '{"text": "a", "label": "x", "id": [1]}\n'}, JL, "id must be"),
    convert({JL: '{"text": "a", "label": "x", "labels": ["y"]}\n'}, JL, "not both"),
    convert({JL: '{"text": "a", "label": {"x": 1}}\n'}, JL, "labels must be strings"),
    convert(
        {JL: '{"text": "abc", "label": "x", "target": {"form": "zz", "begin": 0, "end": 2}}\n'}, JL, "target form"
    ),  # fmt: skip
    convert(
        {JL: '{"text": "abc", "label": "x", "target": {"form": "a", "begin": 1e400, "end": 2}}\n'},
        JL,
        "offset must be an integer",
    ),  # fmt: skip
    convert({JL: '{"text": "a", "label": "x"}\n{"text": "b", "label": "y", "id": 0}\n'}, JL, "duplicate id"),
    convert({JL: '{"body": "a"}\n'}, JL, "expected 'text'"),
    convert({}, "missing.jsonl", "no such file"),
    convert({"sub/x.jsonl": GOOD_JL}, "sub", "is a directory"),
    convert({"d.txt": "just words\n"}, "d.txt", "cannot tell the format"),
    # ---- outputs never replace what they should not
    case(
        "predict --out a directory",
        {JL: GOOD_JL, "outdir/keep.txt": "x"},
        ["predict", "{model}", JL, "--out", "outdir"],
        2,
        "is a directory",
        keep=["outdir/keep.txt"],
    ),  # fmt: skip
    case(
        "train --out a folder of notes",
        {"notes/important.txt": "x"},
        ["train", "{train}", "--out", "notes"],
        2,
        "not a koclassify model",
        keep=["notes/important.txt"],
    ),  # fmt: skip
    case(
        "train --out a file",
        {"f.txt": "x"},
        ["train", "{train}", "--out", "f.txt"],
        2,
        "not a model directory",
        keep=["f.txt"],
    ),  # fmt: skip
    case(
        "train --out .",
        {"keep.txt": "x"},
        ["train", "{train}", "--out", "."],
        2,
        "current directory",
        keep=["keep.txt"],
    ),  # fmt: skip
    case(
        "train --out the data's folder",
        {"data/t.csv": "id,label,text\n0,a,x\n1,b,y\n"},
        ["train", "data/t.csv", "--out", "data", "--overwrite"],
        2,
        "holds the input file",
        keep=["data/t.csv"],
    ),
    case(
        "predict with no model",
        {JL: GOOD_JL},
        ["predict", "nomodel", JL, "--out", "o.jsonl"],
        2,
        "not a koclassify model directory",
    ),  # fmt: skip
    case(
        "predict a data file as the model",
        {JL: GOOD_JL},
        ["predict", JL, JL, "--out", "o.jsonl"],
        2,
        "not a koclassify model directory",
    ),  # fmt: skip
    case(
        "evaluate an unknown label",
        {JL: '{"text": "좋아요", "label": "meh"}\n'},
        ["evaluate", "{model}", JL],
        2,
        "not in the label space",
    ),  # fmt: skip
    case("evaluate without labels", {JL: GOOD_JL}, ["evaluate", "{model}", JL], 2, "no gold labels"),
    # ---- probabilities and thresholds made elsewhere
    merge('{"pos": "high", "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": null, "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": NaN, "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": -1, "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": 2e308, "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": ' + "2" + "0" * 308 + ', "neg": 0.5}', "threshold must be a number"),
    merge('{"pos": ' + "1" * 5000 + ', "neg": 0.5}', "cannot read thresholds"),
    merge("[" * 100_000 + "]" * 100_000, "cannot read thresholds"),
    merge('{"pos": 0.5}', "exactly the labels"),
    merge('{"pos": 0.5, "neg": 0.5}', "finite number", probs='{"pos": 2e308, "neg": 0.1}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "finite number", probs='{"pos": ' + "2" + "0" * 308 + ', "neg": 0.1}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "finite number", probs='{"pos": NaN, "neg": 0.1}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "labels differ", probs='{"pos": 0.5, "neg": 0.1}\n{"pos": 0.5}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "must lie in", probs='{"pos": 500, "neg": 0.1}\n{"pos": 0.5, "neg": 0.1}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "probability rows", probs='{"pos": 0.5, "neg": 0.5}\n'),
    merge('{"pos": 0.5, "neg": 0.5}', "invalid JSON", probs="[" * 100_000 + "]" * 100_000),
]
