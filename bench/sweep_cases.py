"""The hostile sweep's cases, as data (run by bench/sweep.py).

A case is a command line (``koclassify`` arguments, run in a fresh directory holding the base files of
``sweep.base_files()`` and the models of ``models``), the setup steps that make it hostile, and what it must do:
``expect`` "error" (exit 2, one line), "ok" (exit 0, and ``checks`` hold), "either" (a clean error or exit 0 —
the five defect classes are still caught) or "serves" (still running at the timeout). ``outputs`` are the paths
the command may change; every other file that existed before must come out byte for byte the same.

Setup steps, ``(kind, path, *args)`` relative to the case directory (``{work}`` and ``{canary}`` are filled in):
  ("model", dst, fixture)     copy a trained model (linear, linear2, encoder, llm)
  ("write", path, content)    a file (str or bytes)
  ("mkdir", path) / ("remove", path) / ("fifo", path) / ("link", path, target)
  ("json", path, "a.b.c", v)  set a key of a JSON file (DELETE removes it)
  ("truncate", path, size)    ("resign", model)  rewrite the model's manifest to match its files
  ("evil", weights_dir, config_class, model_class, auto_key)  an auto_map naming a .py that writes the canary
  ("parquet", path, {column: values})
Checks: ("rows", path, n), ("ids", path, [...]), ("labels", path, [[...], ...]), ("contains", path, text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DELETE = object()


@dataclass(frozen=True, eq=False)
class Case:
    name: str
    category: str  # data | model | option | output | hf
    command: tuple[str, ...]
    expect: str = "error"
    setup: tuple[tuple[Any, ...], ...] = ()
    outputs: tuple[str, ...] = ()
    checks: tuple[tuple[Any, ...], ...] = ()
    models: dict[str, str] = field(default_factory=lambda: {"m": "linear"})
    says: str = ""  # a fragment the error line must hold
    stdin: str = "y\ny\n"  # a prompt must never be answered
    timeout: float = 90
    program: tuple[str, ...] = ()  # instead of `python -m koclassify` (the runner's own tests)

    @property
    def command_name(self) -> str:
        if self.program:
            return "(program)"
        return self.command[0] if self.command else "(none)"


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


ROWS = [("정말 좋아요", "pos"), ("최악이에요", "neg"), ("너무 좋다", "pos"), ("실망했어요", "neg")] * 3
GOLD = [{"id": f"g{i}", "text": t, "label": lab} for i, (t, lab) in enumerate(ROWS)]
GOLD_TEXT = _jsonl(GOLD)
CSV = "id,label,text\n" + "".join(f"c{i},{lab},{t}\n" for i, (t, lab) in enumerate(ROWS))


@dataclass(frozen=True)
class Data:
    """A hostile (or merely unusual) data file and what reading it must give: ``read`` for commands that need no
    labels (predict, convert), ``labelled`` for those that do (train, evaluate, split, report, calibrate)."""

    name: str
    file: str
    steps: tuple[tuple[Any, ...], ...]
    read: str
    labelled: str
    rows: int | None = None  # rows a successful predict must write


def _file(name: str, file: str, content: str | bytes, read: str, labelled: str, rows: int | None = None) -> Data:
    return Data(name, file, (("write", file, content),), read, labelled, rows)


DATA: list[Data] = [
    _file("ordinary jsonl", "d.jsonl", GOLD_TEXT, "ok", "ok", 12),
    _file("ordinary csv", "d.csv", CSV, "ok", "ok", 12),
    _file("bad utf-8", "d.jsonl", GOLD_TEXT.encode() + b'{"id": "x", "text": "\xff\xfe", "label": "pos"}\n', "error",
          "error"),
    _file("utf-8 BOM jsonl", "d.jsonl", "\ufeff" + GOLD_TEXT, "ok", "ok", 12),
    _file("utf-8 BOM csv", "d.csv", "\ufeff" + CSV, "ok", "ok", 12),
    _file("CRLF jsonl", "d.jsonl", GOLD_TEXT.replace("\n", "\r\n"), "ok", "ok", 12),
    _file("CRLF csv", "d.csv", CSV.replace("\n", "\r\n"), "ok", "ok", 12),
    _file("NUL escaped in text", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "n", "text": "좋\u0000아요", "label": "pos"}]),
          "ok", "ok", 13),
    _file("raw NUL bytes in csv", "d.csv", CSV + "n1,pos,좋\x00아요\n", "either", "either"),
    _file("one huge line", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "h", "text": "좋아요 " * 60000, "label": "pos"}]),
          "ok", "either", 13),
    _file("null label", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "x", "text": "그냥", "label": None}]), "either", "error"),
    _file("empty label", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "x", "text": "그냥", "label": ""}]), "either", "error"),
    _file("blank label csv", "d.csv", CSV + "x,  ,그냥\n", "either", "error"),
    _file("label with comma csv", "d.csv", CSV + 'x,"good, bad",그냥\n', "ok", "either", 13),
    _file("label with quotes", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "q", "text": "음", "label": 'he said "no"'}]),
          "ok", "either", 13),
    _file("duplicate ids", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "g1", "text": "다시", "label": "pos"}]), "error",
          "error"),
    _file("duplicate ids csv", "d.csv", CSV + "c1,pos,다시\n", "error", "error"),
    _file("empty file", "d.jsonl", "", "error", "error"),
    _file("whitespace only", "d.jsonl", "\n  \n\t\n", "error", "error"),
    Data("a directory", "d.jsonl", (("mkdir", "d.jsonl"),), "error", "error"),
    Data("/dev/null", "d.jsonl", (("link", "d.jsonl", "/dev/null"),), "error", "error"),
    Data("link to /etc/passwd", "d.csv", (("link", "d.csv", "/etc/passwd"),), "error", "error"),
    Data("missing file", "nothing.jsonl", (), "error", "error"),
    _file("unicode file name", "데이터 ☃ 파일.jsonl", GOLD_TEXT, "ok", "ok", 12),
    Data("parquet int text", "d.parquet", (("parquet", "d.parquet", {"id": ["1", "2"], "text": [1, 2],
                                                                    "label": ["pos", "neg"]}),), "error", "error"),
    Data("parquet binary text", "d.parquet", (("parquet", "d.parquet", {"id": ["1", "2"],
                                                                       "text": ["좋아".encode(), "싫어".encode()],
                                                                       "label": ["pos", "neg"]}),), "error", "error"),
    Data("parquet list text", "d.parquet", (("parquet", "d.parquet", {"id": ["1", "2"], "text": [["a"], ["b"]],
                                                                     "label": ["pos", "neg"]}),), "error", "error"),
    Data("parquet strings", "d.parquet", (("parquet", "d.parquet", {"id": [r["id"] for r in GOLD],
                                                                   "text": [r["text"] for r in GOLD],
                                                                   "label": [r["label"] for r in GOLD]}),), "ok", "ok",
         12),
    _file("a number as a row", "d.jsonl", GOLD_TEXT + "5\n", "error", "error"),
    _file("a JSON list file", "d.jsonl", json.dumps(GOLD, ensure_ascii=False), "either", "either"),
    _file("text is a number", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "x", "text": 5, "label": "pos"}]), "error",
          "error"),
    _file("nested 100000 deep", "d.jsonl", GOLD_TEXT + "[" * 100000 + "]" * 100000 + "\n", "error", "error"),
    _file("100k-char label", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "x", "text": "음", "label": "라" * 100000}]),
          "ok", "either", 13),
    _file("ragged csv", "d.csv", CSV + "x,pos\ny\n", "error", "error"),
    _file("csv header only", "d.csv", "id,label,text\n", "error", "error"),
    _file("lone surrogate", "d.jsonl", GOLD_TEXT + '{"id": "s", "text": "\\ud800", "label": "pos"}\n', "error",
          "error"),
    _file("U+2028 in text", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "u", "text": "좋\u2028아요", "label": "pos"}]),
          "ok", "ok", 13),
    _file("random bytes as csv", "d.csv", bytes(range(256)) * 40, "error", "error"),
    _file("gzip named jsonl", "d.jsonl", b"\x1f\x8b\x08\x00" + bytes(200), "error", "error"),
    _file("tsv quoted tab and newline", "d.tsv", "id\tlabel\ttext\n" + "".join(
        f'{i}\t{lab}\t"{t}\t\n끝"\n' for i, (t, lab) in enumerate(ROWS)), "ok", "ok", 12),
    _file("huge integer id", "d.jsonl", GOLD_TEXT + '{"id": ' + "9" * 5000 + ', "text": "음", "label": "pos"}\n',
          "either", "either"),
    _file("one class only", "d.jsonl", _jsonl([{"id": str(i), "text": t, "label": "pos"} for i, (t, _) in
                                               enumerate(ROWS)]), "ok", "either", 12),
    _file("id 1 and '1'", "d.jsonl", _jsonl([{"id": 1, "text": "좋아", "label": "pos"},
                                             {"id": "1", "text": "싫어", "label": "neg"}] + GOLD), "either", "either"),
    _file("label not a string", "d.jsonl", GOLD_TEXT + _jsonl([{"id": "x", "text": "음", "label": {"a": 1}}]),
          "either", "error"),
    _file("CR only line ends", "d.jsonl", GOLD_TEXT.replace("\n", "\r"), "either", "either"),
]  # fmt: skip

ONE_LINE_COMMANDS = ("predict", "convert", "evaluate", "train", "split")


def _data_cases() -> list[Case]:
    cases = []
    for d in DATA[1::2]:
        f = d.file
        rows = (("rows", "out.jsonl", d.rows),) if d.rows is not None and d.read == "ok" else ()
        cases += [
            Case(f"predict {d.name}", "data", ("predict", "m", f, "--out", "out.jsonl"), d.read, d.steps,
                 ("out.jsonl", "out.jsonl.errors.jsonl"), rows),
        ]  # fmt: skip
    for d in DATA[::2]:
        f = d.file
        rows = (("rows", "out.jsonl", d.rows),) if d.rows is not None and d.read == "ok" else ()
        cases += [
            Case(f"convert {d.name}", "data", ("convert", f, "out.jsonl"), d.read, d.steps, ("out.jsonl",),
                 rows, models={}),
            Case(f"train {d.name}", "data", ("train", f, "--out", "new", "--calibrate", "none"), d.labelled,
                 d.steps, ("new",), models={}),
        ]  # fmt: skip
    for d in DATA[::3]:
        f = d.file
        split = "either" if d.labelled == "error" and d.read != "error" else d.labelled  # labels are not needed
        split = "error" if f.endswith(".parquet") else split  # parts are text files: convert Parquet first
        cases += [
            Case(f"evaluate {d.name}", "data", ("evaluate", "m", f), d.labelled, d.steps),
            Case(f"split {d.name}", "data", ("split", f, "--out", "parts", "--dev", "0.3"), split, d.steps,
                 ("parts",), models={}),
        ]  # fmt: skip
    for d in DATA[2:6]:  # the heavier commands on a few variants
        f = d.file
        cases += [
            Case(f"report {d.name}", "data", ("report", "m", f, "--out", "rep"), d.labelled, d.steps, ("rep",)),
            # the fixture is multi-class (argmax: nothing to tune): good data is a clean refusal too
            Case(
                f"calibrate {d.name}",
                "data",
                ("calibrate", "m", f),
                d.labelled.replace("ok", "either"),
                d.steps,
                ("m",),
            ),
        ]
    for d in DATA[:12:6]:
        cases.append(Case(f"audit {d.name}", "data", ("audit", d.file, "--out", "aud.jsonl", "--folds", "2"),
                          "either" if d.labelled == "ok" else d.labelled, d.steps, ("aud.jsonl", "aud.html"),
                          models={}))  # fmt: skip
    cases += [
        Case("merge data with a bad row", "data", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data",
             "d.jsonl", "--out", "out.jsonl"), "error", DATA[2].steps, ("out.jsonl",), models={}),
        Case("merge data with one row more", "data", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json",
             "--data", "d.jsonl", "--out", "out.jsonl"), "error", DATA[7].steps, ("out.jsonl",), models={}),
        Case("merge ordinary", "data", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data",
             "gold.jsonl", "--out", "out.jsonl"), "ok", (), ("out.jsonl",), (("rows", "out.jsonl", 12),), models={}),
        Case("calibrate --probs gold with a null label", "data", ("calibrate", "--probs", "p.jsonl", "--gold",
             "d.jsonl", "--out", "th.json"), "error", (("write", "d.jsonl", _jsonl(GOLD[:11] + [{"id": "x",
             "text": "a", "label": None}])),), ("th.json",), models={}),
        Case("ensemble --dev with a bad row", "data", ("ensemble", "m", "m2", "--dev", "d.jsonl", "--out", "ens"),
             "error", DATA[2].steps, ("ens",), models={"m": "linear", "m2": "linear2"}),
        Case("convert round trip keeps a label with the separator", "data",
             ("{python} -m koclassify convert a.jsonl a.csv && {python} -m koclassify convert a.csv b.jsonl",), "ok",
             (("write", "a.jsonl", _jsonl([{"id": "1", "text": "음", "label": "good, bad"},
                                           {"id": "2", "text": "아", "label": "plain"}])),),
             ("a.csv", "b.jsonl"), (("labels", "b.jsonl", [["good, bad"], ["plain"]]),), models={},
             program=("bash", "-c")),
        Case("predict from stdin", "data", ("{python} -m koclassify predict m - --out out.jsonl < gold.jsonl",), "ok",
             (), ("out.jsonl",), (("rows", "out.jsonl", 12),), program=("bash", "-c")),
    ]  # fmt: skip
    return cases


# ----------------------------------------------------------------------------------------- model dirs
MODEL_VARIANTS: list[tuple[str, tuple[tuple[Any, ...], ...], str]] = [
    ("as trained", (), "ok"),
    ("manifest removed", (("remove", "m/manifest.json"),), "error"),
    ("old directory (no manifest, no format)", (("remove", "m/manifest.json"),
                                                ("json", "m/config.json", "format_version", DELETE)), "either"),
    ("thresholds edited", (("json", "m/thresholds.json", "pos", 0.9),), "error"),
    ("labels an integer", (("json", "m/config.json", "labels", 5), ("resign", "m")), "error"),
    ("label names of mixed types", (("json", "m/config.json", "labels.names", ["pos", 3]), ("resign", "m")),
     "error"),
    ("backend a path", (("json", "m/config.json", "backend", "../../x"), ("resign", "m")), "error"),
    ("backend_options a list", (("json", "m/config.json", "backend_options", [1]), ("resign", "m")), "error"),
    ("max_iter a string", (("json", "m/config.json", "backend_options.max_iter", "many"), ("resign", "m")),
     "either"),
    ("threshold a string", (("json", "m/thresholds.json", "pos", "x"), ("resign", "m")), "error"),
    ("threshold NaN", (("write", "m/thresholds.json", '{"pos": NaN, "neg": 0.5}'), ("resign", "m")), "error"),
    ("threshold 2", (("json", "m/thresholds.json", "pos", 2), ("resign", "m")), "error"),
    ("threshold -1e308", (("json", "m/thresholds.json", "pos", -1e308), ("resign", "m")), "error"),
    ("threshold for an unknown label", (("json", "m/thresholds.json", "zzz", 0.5), ("resign", "m")), "error"),
    ("thresholds a list", (("write", "m/thresholds.json", "[0.5, 0.5]"), ("resign", "m")), "error"),
    ("decision rule unknown", (("json", "m/config.json", "decision.rule", "magic"), ("resign", "m")), "error"),
    ("max_labels -1", (("json", "m/config.json", "decision.max_labels", -1), ("resign", "m")), "error"),
    ("manifest a list", (("write", "m/manifest.json", "[]"),), "error"),
    ("manifest files a string", (("json", "m/manifest.json", "files", "x"),), "error"),
    ("manifest size a string", (("json", "m/manifest.json", "files.thresholds.json.size", "big"),), "error"),
    ("manifest names a file outside", (("json", "m/manifest.json", "files.../notes.txt",
                                        {"sha256": "0" * 64, "size": 27}),), "error"),
    ("thresholds linked to /etc/passwd", (("link", "m/thresholds.json", "/etc/passwd"),), "error"),
    ("thresholds linked to a file beside", (("link", "m/thresholds.json", "{work}/t.json"),), "error"),
    ("backend linked to a directory outside", (("link", "m/backend", "{work}/keep"),), "error"),
    ("config linked to /dev/zero", (("link", "m/config.json", "/dev/zero"),), "error"),
    ("thresholds a FIFO", (("fifo", "m/thresholds.json"),), "error"),
    ("an extra python file", (("write", "m/evil.py", "open({canary!r}, 'w')".replace("{canary!r}", "'{canary}'")),),
     "error"),
    ("arrays truncated, resigned", (("truncate", "m/backend/arrays.npz", 100), ("resign", "m")), "error"),
    ("arrays garbage, resigned", (("write", "m/backend/arrays.npz", b"PK\x03\x04" + bytes(100)), ("resign", "m")),
     "error"),
    ("config nested 100000 deep", (("write", "m/config.json", "[" * 100000 + "]" * 100000), ("resign", "m")),
     "error"),
    ("config not UTF-8", (("write", "m/config.json", b"\xff\xfe{}"), ("resign", "m")), "error"),
    ("config empty", (("write", "m/config.json", ""), ("resign", "m")), "error"),
    ("format_version 99", (("json", "m/config.json", "format_version", 99), ("resign", "m")), "error"),
    ("label_names a path", (("json", "m/config.json", "data_options.label_names", "/etc/passwd"), ("resign", "m")),
     "error"),
    ("embed_cache outside", (("json", "m/config.json", "backend_options.embed_cache", "{work}/keep"),
                             ("resign", "m")), "either"),
    ("trust_remote_code true in config", (("json", "m/config.json", "trust_remote_code", True), ("resign", "m")),
     "either"),
    ("an empty directory", (("remove", "m"), ("mkdir", "m")), "error"),
    ("a file", (("remove", "m"), ("write", "m", "not a model")), "error"),
    ("missing", (("remove", "m"),), "error"),
    ("linear.json vocabulary a number", (("json", "m/backend/linear.json", "vocabulary", 7), ("resign", "m")),
     "either"),
    ("morphs garbage, resigned", (("write", "m/backend/morphs.tsv.gz", b"\x1f\x8b" + bytes(50)), ("resign", "m")),
     "either"),
]  # fmt: skip


def _model_cases() -> list[Case]:
    cases = []
    for number, (name, steps, expect) in enumerate(MODEL_VARIANTS):
        rows = (("rows", "out.jsonl", 12),) if expect == "ok" else ()
        cases.append(Case(f"predict model {name}", "model", ("predict", "m", "test.jsonl", "--out", "out.jsonl"),
                          expect, steps, ("out.jsonl",), rows))  # fmt: skip
        if number % 4 == 0:
            cases.append(Case(f"evaluate model {name}", "model", ("evaluate", "m", "gold.jsonl"), expect, steps))
        if number % 4 == 2:
            cases.append(Case(f"calibrate model {name}", "model", ("calibrate", "m", "dev.jsonl"),
                              expect.replace("ok", "either"), steps,
                              ("m",)))  # fmt: skip
    for name, steps, expect in MODEL_VARIANTS[:24:6]:
        cases += [
            Case(f"report model {name}", "model", ("report", "m", "gold.jsonl", "--out", "rep"), expect, steps,
                 ("rep",)),
            Case(f"ensemble model {name}", "model", ("ensemble", "m", "m2", "--dev", "dev.jsonl", "--out", "ens"),
                 expect, steps, ("ens",), models={"m": "linear", "m2": "linear2"}),
        ]  # fmt: skip
    for name, steps, expect in MODEL_VARIANTS[1:30:6]:
        if expect == "error":
            cases.append(Case(f"serve model {name}", "model", ("serve", "m", "--port", "{port}"), "error", steps,
                              timeout=30))  # fmt: skip
    cases += [
        Case("serve a good model", "model", ("serve", "m", "--port", "{port}"), "serves", timeout=15),
        Case("export onnx of a linear model", "model", ("export", "onnx", "m"), "error", (), ("m",)),
        Case("export onnx of a missing model", "model", ("export", "onnx", "nothing"), "error", ()),
    ]
    return cases


# ------------------------------------------------------------------------------------ Hugging Face dirs
ENC = "m/backend/model"
HF_VARIANTS: list[tuple[str, str, tuple[tuple[Any, ...], ...]]] = [
    ("encoder auto_map to a planted file", "encoder",
     (("evil", ENC, "BertConfig", "BertForSequenceClassification", "AutoModelForSequenceClassification"),
      ("resign", "m"))),
    ("encoder tokenizer_config auto_map", "encoder",
     (("json", "m/backend/tokenizer/tokenizer_config.json", "auto_map",
       {"AutoTokenizer": ["evil.Tok", "evil.Tok"]}), ("resign", "m"))),
    ("encoder 100000 layers", "encoder", (("json", f"{ENC}/config.json", "num_hidden_layers", 100000),
                                          ("resign", "m"))),
    ("encoder hidden_size 2**40", "encoder", (("json", f"{ENC}/config.json", "hidden_size", 2**40), ("resign", "m"))),
    ("encoder truncated safetensors", "encoder", (("truncate", f"{ENC}/model.safetensors", 4096), ("resign", "m"))),
    ("encoder without tokenizer.json", "encoder", (("remove", "m/backend/tokenizer/tokenizer.json"),
                                                   ("resign", "m"))),
    ("encoder quantization_config", "encoder", (("json", f"{ENC}/config.json", "quantization_config",
                                                 {"load_in_4bit": True}), ("resign", "m"))),
    ("encoder attn_implementation", "encoder", (("json", f"{ENC}/config.json", "attn_implementation",
                                                 "flash_attention_2"), ("resign", "m"))),
    ("encoder weights linked outside", "encoder", (("link", f"{ENC}/model.safetensors", "/etc/passwd"),)),
    ("llm auto_map to a planted file", "llm",
     (("evil", ENC, "GPTNeoXConfig", "GPTNeoXForCausalLM", "AutoModelForCausalLM"), ("resign", "m"))),
    ("llm 100000 layers", "llm", (("json", f"{ENC}/config.json", "num_hidden_layers", 100000), ("resign", "m"))),
    ("llm config vocab_size a string", "llm", (("json", f"{ENC}/config.json", "vocab_size", "many"),
                                               ("resign", "m"))),
]  # fmt: skip


def _hf_cases() -> list[Case]:
    cases = []
    for name, fixture, steps in HF_VARIANTS:
        cases += [
            Case(f"predict {name}", "hf", ("predict", "m", "test.jsonl", "--out", "out.jsonl"), "error", steps,
                 ("out.jsonl",), models={"m": fixture}, timeout=180),
            Case(f"evaluate {name}", "hf", ("evaluate", "m", "gold.jsonl"), "error", steps, models={"m": fixture},
                 timeout=180),
        ]  # fmt: skip
    cases += [
        Case("predict encoder as trained", "hf", ("predict", "m", "test.jsonl", "--out", "out.jsonl"), "ok", (),
             ("out.jsonl",), (("rows", "out.jsonl", 12),), models={"m": "encoder"}, timeout=180),
        Case("predict llm as trained", "hf", ("predict", "m", "test.jsonl", "--out", "out.jsonl"), "ok", (),
             ("out.jsonl",), (("rows", "out.jsonl", 12),), models={"m": "llm"}, timeout=180),
        Case("serve encoder auto_map", "hf", ("serve", "m", "--port", "{port}"), "error", HF_VARIANTS[0][2],
             models={"m": "encoder"}, timeout=120),
        Case("export onnx encoder 100000 layers", "hf", ("export", "onnx", "m"), "error", HF_VARIANTS[2][2], ("m",),
             models={"m": "encoder"}, timeout=180),
        Case("export onnx encoder auto_map", "hf", ("export", "onnx", "m"), "error", HF_VARIANTS[0][2], ("m",),
             models={"m": "encoder"}, timeout=180),
    ]  # fmt: skip
    return cases


# ---------------------------------------------------------------------------------------------- options
LONG = "x" * 100_000
TRAIN = ("train", "gold.jsonl", "--out", "new", "--calibrate", "none")
OPTION_CASES: list[tuple[str, tuple[str, ...], str]] = [
    ("-O max_iter=nan", (*TRAIN, "-O", "max_iter=nan"), "error"),
    ("-O max_iter=inf", (*TRAIN, "-O", "max_iter=inf"), "error"),
    ("-O max_iter=1e300", (*TRAIN, "-O", "max_iter=1e300"), "error"),
    ("-O max_iter=-1", (*TRAIN, "-O", "max_iter=-1"), "error"),
    ("-O max_iter=2.5", (*TRAIN, "-O", "max_iter=2.5"), "error"),
    ("-O C=nan", (*TRAIN, "-O", "C=nan"), "error"),
    ("-O C=inf", (*TRAIN, "-O", "C=inf"), "error"),
    ("-O C=0", (*TRAIN, "-O", "C=0"), "error"),
    ("-O C=1e-320", (*TRAIN, "-O", "C=1e-320"), "either"),
    ("-O C=abc", (*TRAIN, "-O", "C=abc"), "error"),
    ("-O C=100k chars", (*TRAIN, "-O", "C=" + LONG), "error"),
    ("-O unknown key", (*TRAIN, "-O", "colour=blue"), "error"),
    ("-O 100k-char key", (*TRAIN, "-O", LONG + "=1"), "error"),
    ("-O without =", (*TRAIN, "-O", "C"), "error"),
    ("-O empty", (*TRAIN, "-O", "="), "error"),
    ("-O min_df=10**30", (*TRAIN, "-O", "min_df=" + "1" + "0" * 30), "either"),  # scaled down for tiny data
    ("-O max_features=0", (*TRAIN, "-O", "max_features=0"), "error"),
    ("-O context_width=-5", (*TRAIN, "-O", "context_width=-5"), "error"),
    ("-O features=bogus", (*TRAIN, "-O", "features=bogus"), "error"),
    ("-O nb=2", (*TRAIN, "-O", "nb=2"), "error"),
    ("-O embed_scale=nan", (*TRAIN, "-O", "embed_scale=nan"), "error"),
    ("-O n_jobs=100000", (*TRAIN, "-O", "n_jobs=100000"), "either"),
    ("-O seed=2**80", (*TRAIN, "-O", "seed=" + str(2**80)), "either"),
    ("--grid nan", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "nan"), "error"),
    ("--grid inf", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "inf"), "error"),
    ("--grid 0", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "0"), "error"),
    ("--grid -0.1", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "-0.1"), "error"),
    ("--grid 1e-300", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "1e-300"), "error"),
    ("--grid 2", (*TRAIN[:-2], "--calibrate", "cv", "--grid", "2"), "error"),
    ("--cv 0", (*TRAIN[:-2], "--calibrate", "cv", "--cv", "0"), "error"),
    ("--cv 1", (*TRAIN[:-2], "--calibrate", "cv", "--cv", "1"), "error"),
    ("--cv 100000", (*TRAIN[:-2], "--calibrate", "cv", "--cv", "100000"), "error"),
    ("--cv 3 on 12 rows", (*TRAIN[:-2], "--calibrate", "cv", "--cv", "3"), "ok"),
    ("--epochs nan", (*TRAIN, "--epochs", "nan"), "error"),
    ("--max-labels -1", (*TRAIN, "--decision", "max_labels", "--max-labels", "-1"), "error"),
    ("--seed 2**70", (*TRAIN, "--seed", str(2**70)), "error"),
    ("--decision bogus", (*TRAIN, "--decision", "bogus"), "error"),
    ("--objective bogus", (*TRAIN[:-2], "--calibrate", "cv", "--objective", "bogus"), "error"),
    ("--calibrate bogus", (*TRAIN[:-2], "--calibrate", "bogus"), "error"),
    ("--backend a path", (*TRAIN, "--backend", "../../evil"), "error"),
    ("--backend 100k chars", (*TRAIN, "--backend", LONG), "error"),
    ("--features bogus", (*TRAIN, "--features", "bogus"), "error"),
    ("--format bogus", (*TRAIN, "--format", "bogus"), "error"),
    ("--text-col missing", ("train", "train.csv", "--out", "new", "--calibrate", "none", "--text-col", "nope"),
     "error"),
    ("--label-sep empty", ("train", "train.csv", "--out", "new", "--calibrate", "none", "--label-sep", ""), "error"),
    ("--label-sep 100k chars", ("train", "train.csv", "--out", "new", "--calibrate", "none", "--label-sep", LONG),
     "either"),
    ("--label-names a directory", ("train", "train.csv", "--out", "new", "--calibrate", "none", "--label-names",
                                   "keep"), "error"),
    ("--prior missing field", (*TRAIN, "--prior", "artist"), "error"),
    ("--prior-min-count -1", (*TRAIN, "--prior", "artist", "--prior-min-count", "-1"), "error"),
    ("--text-fields 100k", (*TRAIN, "--text-fields", LONG), "error"),
    ("--multi-value bogus", (*TRAIN, "--multi-value", "bogus"), "error"),
    ("--config missing", (*TRAIN, "--config", "nothing.toml"), "error"),
    ("--config a directory", (*TRAIN, "--config", "keep"), "error"),
    ("--config wrong types", (*TRAIN, "--config", "c.json"), "error"),
    ("--config unknown key", (*TRAIN, "--config", "c2.json"), "error"),
    ("--config not TOML", (*TRAIN, "--config", "c.toml"), "error"),
    ("calibrate --grid nan", ("calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "th.json",
                              "--grid", "nan"), "error"),
    ("calibrate --grid 1e-300", ("calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "th.json",
                                 "--grid", "1e-300"), "error"),
    ("calibrate --scale bogus", ("calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "th.json",
                                 "--scale", "bogus"), "error"),
    ("calibrate --max-labels 0", ("calibrate", "m", "dev.jsonl", "--decision", "max_labels", "--max-labels", "0"),
     "error"),
    ("calibrate --probs without --gold", ("calibrate", "--probs", "p.jsonl", "--out", "th.json"), "error"),
    ("calibrate model and --probs", ("calibrate", "m", "dev.jsonl", "--probs", "p.jsonl"), "error"),
    ("ensemble --weights nan,1", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl",
                                  "--out", "e.json", "--weights", "nan,1"), "error"),
    ("ensemble --weights inf,inf", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold",
                                    "gold.jsonl", "--out", "e.json", "--weights", "inf,inf"), "error"),
    ("ensemble --weights -1,2", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl",
                                 "--out", "e.json", "--weights", "-1,2"), "error"),
    ("ensemble --weights 0,0", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl",
                                "--out", "e.json", "--weights", "0,0"), "error"),
    ("ensemble --weights 1", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl",
                              "--out", "e.json", "--weights", "1"), "error"),
    ("ensemble --weights 1.7e308 twice", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold",
                                          "gold.jsonl", "--out", "e.json", "--weights", "1.7e308,1.7e308"), "ok"),
    ("ensemble one member", ("ensemble", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "e.json"), "either"),
    ("merge --decision bogus", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", "gold.jsonl",
                                "--out", "out.jsonl", "--decision", "bogus"), "error"),
    ("merge thresholds and ensemble", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--ensemble",
                                       "t.json", "--data", "gold.jsonl", "--out", "out.jsonl"), "error"),
    ("merge thresholds NaN", ("merge", "--probs", "p.jsonl", "--thresholds", "tn.json", "--data", "gold.jsonl",
                              "--out", "out.jsonl"), "error"),
    ("merge probs over 100", ("merge", "--probs", "pbig.jsonl", "--thresholds", "t.json", "--data", "gold.jsonl",
                              "--out", "out.jsonl"), "error"),
    ("predict --chunk-rows 0", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--chunk-rows", "0"), "error"),
    ("predict --chunk-rows 10**12", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--chunk-rows",
                                     str(10**12)), "either"),
    ("predict --top-k 0", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--top-k", "0"), "error"),
    ("predict --top-k -3", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--top-k", "-3"), "error"),
    ("predict --top-k 10**9", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--top-k", str(10**9)), "either"),
    ("predict --to bogus", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--to", "bogus"), "error"),
    ("predict --engine bogus", ("predict", "m", "test.jsonl", "--out", "out.jsonl", "--engine", "bogus"), "error"),
    ("predict --text 100k chars", ("predict", "m", "--text", LONG), "ok"),
    ("predict --text empty", ("predict", "m", "--text", ""), "either"),
    ("predict --id-col missing", ("predict", "m", "train.csv", "--out", "out.jsonl", "--id-col", "nope"), "error"),
    ("predict ray --workers 0", ("predict", "m", "test.jsonl", "--engine", "ray", "--workers", "0", "--out", "rd"),
     "error"),
    ("predict ray --split-rows -1", ("predict", "m", "test.jsonl", "--engine", "ray", "--split-rows", "-1",
                                     "--out", "rd"), "error"),
    ("predict ray --gpus-per-worker nan", ("predict", "m", "test.jsonl", "--engine", "ray", "--gpus-per-worker",
                                           "nan", "--out", "rd"), "error"),
    ("split --dev nan", ("split", "gold.jsonl", "--out", "parts", "--dev", "nan"), "error"),
    ("split --dev 2", ("split", "gold.jsonl", "--out", "parts", "--dev", "2"), "error"),
    ("split --dev -0.1", ("split", "gold.jsonl", "--out", "parts", "--dev", "-0.1"), "error"),
    ("split --dev 0.6 --test 0.6", ("split", "gold.jsonl", "--out", "parts", "--dev", "0.6", "--test", "0.6"),
     "error"),
    ("split --group-by missing", ("split", "gold.jsonl", "--out", "parts", "--group-by", "nope"), "error"),
    ("split --seed -1", ("split", "gold.jsonl", "--out", "parts", "--seed", "-1"), "either"),
    ("split --field-sep empty", ("split", "gold.jsonl", "--out", "parts", "--field-sep", ""), "error"),
    ("audit --folds 1", ("audit", "gold.jsonl", "--out", "aud.jsonl", "--folds", "1"), "error"),
    ("audit --folds 100000", ("audit", "gold.jsonl", "--out", "aud.jsonl", "--folds", "100000"), "error"),
    ("audit --backend bogus", ("audit", "gold.jsonl", "--out", "aud.jsonl", "--backend", "bogus"), "error"),
    ("audit -O C=nan", ("audit", "gold.jsonl", "--out", "aud.jsonl", "-O", "C=nan"), "error"),
    ("serve --port 70000", ("serve", "m", "--port", "70000"), "error"),
    ("serve --port -1", ("serve", "m", "--port", "-1"), "error"),
    ("serve --workers 0", ("serve", "m", "--port", "{port}", "--workers", "0"), "error"),
    ("serve --max-batch-rows -5", ("serve", "m", "--port", "{port}", "--max-batch-rows", "-5"), "error"),
    ("serve --max-wait-ms nan", ("serve", "m", "--port", "{port}", "--max-wait-ms", "nan"), "error"),
    ("serve --max-request-rows 0", ("serve", "m", "--port", "{port}", "--max-request-rows", "0"), "error"),
    ("serve --max-body-bytes -1", ("serve", "m", "--port", "{port}", "--max-body-bytes", "-1"), "error"),
    ("serve --host not an address", ("serve", "m", "--port", "{port}", "--host", "no such host.invalid"), "error"),
    ("options bogus", ("options", "bogus"), "error"),
    ("options 100k chars", ("options", LONG), "error"),
    ("options linear", ("options", "linear"), "ok"),
    ("options serve", ("options", "serve"), "ok"),
    ("unknown command", ("frobnicate",), "error"),
    ("export bogus format", ("export", "tflite", "m"), "error"),
]  # fmt: skip

OPTION_FILES = (
    ("write", "c.json", json.dumps({"grid": "fine", "cv": [1]})),
    ("write", "c2.json", json.dumps({"colour": "blue"})),
    ("write", "c.toml", "this is = = not toml ["),
    ("write", "tn.json", '{"pos": NaN, "neg": 0.5}'),
    ("write", "pbig.jsonl", "".join(json.dumps({"pos": p, "neg": 1}) + "\n" for p in [150.0] * 12)),
)


def _option_cases() -> list[Case]:
    outputs = ("new", "th.json", "e.json", "out.jsonl", "parts", "aud.jsonl", "aud.html", "rd", "m")
    return [Case(name, "option", command, expect, OPTION_FILES, outputs, timeout=60 if command[0] == "serve" else 90)
            for name, command, expect in OPTION_CASES]  # fmt: skip


# ---------------------------------------------------------------------------------------------- outputs
# (name, the --out value, setup, expected outcome); every command below is tried with each
OUT_VARIANTS: list[tuple[str, str, tuple[tuple[Any, ...], ...], str]] = [
    ("a new name", "fresh.out", (), "ok"),
    ("the current directory", ".", (), "error"),
    ("the root", "/", (), "error"),
    ("a bystander directory", "keep", (), "error"),
    ("a bystander file", "notes.txt", (), "either"),
    ("inside the model directory", "m/out.file", (), "error"),
    ("the model directory", "m", (), "error"),
    ("under a file", "notes.txt/out.file", (), "error"),
    ("in /proc", "/proc/koclassify-sweep.out", (), "error"),
    ("a 300-character name", "n" * 300, (), "error"),
    ("a link to a bystander", "lnk", (("link", "lnk", "{work}/keep/precious.txt"),), "either"),
    ("a dangling link", "dangling", (("link", "dangling", "{work}/nowhere/x"),), "either"),
    ("a FIFO", "fifo.out", (("fifo", "fifo.out"),), "error"),
    ("a unicode name", "결과 ☃.out", (), "ok"),
]

OUT_COMMANDS: list[tuple[str, tuple[str, ...], str, dict[str, str]]] = [
    # (name, argv with {out}, extension added to a new file name, models)
    ("predict", ("predict", "m", "test.jsonl", "--out", "{out}"), ".jsonl", {"m": "linear"}),
    ("convert", ("convert", "gold.jsonl", "{out}"), ".jsonl", {}),
    ("calibrate", ("calibrate", "--probs", "p.jsonl", "--gold", "gold.jsonl", "--out", "{out}"), ".json", {}),
    ("merge", ("merge", "--probs", "p.jsonl", "--thresholds", "t.json", "--data", "gold.jsonl", "--out", "{out}"),
     ".jsonl", {}),
    ("ensemble", ("ensemble", "--probs", "p.jsonl", "--probs", "p2.jsonl", "--gold", "gold.jsonl", "--out", "{out}"),
     ".json", {}),
    ("split", ("split", "gold.jsonl", "--out", "{out}", "--dev", "0.3"), "", {}),
    ("report", ("report", "m", "gold.jsonl", "--out", "{out}"), "", {"m": "linear"}),
    ("train", ("train", "gold.jsonl", "--out", "{out}", "--calibrate", "none"), "", {"m": "linear"}),
    ("ensemble models", ("ensemble", "m", "m2", "--dev", "dev.jsonl", "--out", "{out}"), "",
     {"m": "linear", "m2": "linear2"}),
    ("audit", ("audit", "gold.jsonl", "--out", "{out}", "--folds", "2"), ".jsonl", {}),
]  # fmt: skip

FILE_ONLY = {"a FIFO"}  # variants that only make sense for file outputs


def _output_cases() -> list[Case]:
    cases = []
    for cname, argv, ext, models in OUT_COMMANDS:
        directory = ext == ""
        heavy = cname in ("report", "train", "ensemble models", "audit")
        variants = OUT_VARIANTS if cname in ("predict", "convert") else OUT_VARIANTS[1::3]
        for vname, out, steps, expect in OUT_VARIANTS[::3] if heavy else variants:
            if vname in FILE_ONLY and directory:
                continue
            target = out.replace(".out", ext) if out.endswith(".out") else out
            steps = tuple((kind, rel.replace(out, target), *rest) for kind, rel, *rest in steps)
            if vname == "a bystander file" and directory:
                expect = "error"  # a file where a directory is needed
            if vname in ("inside the model directory", "the model directory") and "m" not in argv:
                models = {**models, "m": "linear"}  # not an input here: writing there is the person's choice
                expect = "either"
            own = (target,) if vname in ("a new name", "a unicode name") else ()
            if vname in ("a bystander file", "a link to a bystander", "a dangling link") and not directory:
                own = ()  # replacing the person's file named as --out is allowed; the bytes check is skipped below
                expect = "either"
            outputs = own + (("notes.txt",) if vname == "a bystander file" and not directory else ())
            outputs += ("keep/precious.txt", "lnk") if vname == "a link to a bystander" and not directory else ()
            outputs += ("dangling",) if vname == "a dangling link" else ()
            into_model = vname in ("inside the model directory", "the model directory")
            outputs += ("m",) if into_model and "m" not in argv else ()
            outputs += (target + ".html",) if cname == "audit" else ()
            cases.append(Case(f"{cname} --out {vname}", "output", tuple(a.replace("{out}", target) for a in argv),
                              expect, steps, outputs, models=models))  # fmt: skip
        for inp in [a for a in argv[1:] if a in ("m", "m2", "test.jsonl", "gold.jsonl", "p.jsonl", "p2.jsonl",
                                                 "t.json", "dev.jsonl")][:1]:  # fmt: skip
            cases.append(Case(f"{cname} --out its input {inp}", "output",
                              tuple(a.replace("{out}", inp) for a in argv), "error", (), models=models))  # fmt: skip
    cases += [
        Case("predict --out - (stdout)", "output", ("predict", "m", "test.jsonl", "--out", "-"), "ok"),
        Case("convert to stdout", "output", ("convert", "gold.jsonl", "-"), "ok", models={}),
        Case("predict --out a directory holding a model", "output", ("predict", "m", "test.jsonl", "--out", "."),
             "error"),
        Case("predict ray --out the input directory", "output", ("predict", "m", "shards", "--engine", "ray",
             "--out", "shards"), "error", (("mkdir", "shards"), ("write", "shards/a.jsonl", GOLD_TEXT))),
        Case("predict ray --out inside the model", "output", ("predict", "m", "test.jsonl", "--engine", "ray",
             "--out", "m/preds"), "error"),
        Case("train --out the directory of its data", "output", ("train", "sub/d.jsonl", "--out", "sub",
             "--calibrate", "none", "--overwrite"), "error", (("write", "sub/d.jsonl", GOLD_TEXT),), models={}),
        Case("train --overwrite a bystander directory", "output", ("train", "gold.jsonl", "--out", "keep",
             "--calibrate", "none", "--overwrite"), "either", (), ("keep",), models={}),
        Case("retrain over a model holding a person's file", "output", ("train", "gold.jsonl", "--out", "m",
             "--calibrate", "none"), "error", (("write", "m/my_preds.jsonl", "mine\n"),), ("m",)),
        Case("train --out a model of another kind (report dir)", "output", ("train", "gold.jsonl", "--out", "rep",
             "--calibrate", "none"), "error", (("mkdir", "rep"), ("write", "rep/report.json", "{}"),
                                               ("write", "rep/thesis.tex", "mine")), models={}),
        Case("look-alike temp names survive predict", "output", ("predict", "m", "test.jsonl", "--out", "o.jsonl"),
             "ok", (("write", ".o.jsonl.99999.x.tmp", "mine"), ("mkdir", ".o.jsonl.old"),
                    ("write", ".o.jsonl.old/keep", "mine"), ("mkdir", ".o.jsonl.99998.abcd.tmp"),
                    ("write", ".o.jsonl.99998.abcd.tmp/data", "mine")), ("o.jsonl",), (("rows", "o.jsonl", 12),)),
    ]  # fmt: skip
    return cases


# ------------------------------------------------------------------------------------------- all cases
CASES: list[Case] = _data_cases() + _model_cases() + _hf_cases() + _option_cases() + _output_cases()
