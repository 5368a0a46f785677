"""Encoder fine-tuning and inference throughput: the koclassify ``encoder`` backend vs a plain ``Trainer`` run.

Same randomly initialised BERT (no download), same texts (20-126 tokens, uniform; built from the bundled NIKL
sample sentences), same labels (8 classes, random), one epoch, batch 32, one run each.

- plain: ``Trainer`` with default settings: fp32, every example padded to 128 tokens, random order, batch 32
  for training and prediction (``Trainer.predict``).
- ours: ``Classifier("encoder")`` with its defaults: dynamic padding, length-grouped batches, bf16 where the GPU
  has it; prediction batches of 32 windows, shortest first.

Samples/s count training examples per second of ``Trainer``'s own ``train_runtime`` (both), and predicted
examples per second of wall time including tokenisation (both).

    python bench/encoder.py --shape small --device cpu --threads 1   # CPU
    python bench/encoder.py --shape base --examples 4096             # GPU: BERT-base shape
    python bench/encoder.py --shape base --device cpu --examples 128 --onnx   # CPU serving: torch vs ONNX Runtime
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LABELS = ["joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"]


def make_texts(tokenizer: object, n: int, seed: int = 0) -> list[str]:
    """``n`` texts whose lengths (in tokens, without specials) are uniform on 20..126, from NIKL sample words."""
    from tiny_encoder import sample_texts

    rng = random.Random(seed)
    words = [w for text in sample_texts() for w in text.split()]
    texts = []
    for _ in range(n):
        target = rng.randint(20, 126)
        chosen: list[str] = []
        ids: list[int] = []
        while len(ids) < target:
            chosen.append(rng.choice(words))
            ids = tokenizer(" ".join(chosen), add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        while len(ids) > target and len(chosen) > 1:
            chosen.pop()
            ids = tokenizer(" ".join(chosen), add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        texts.append(" ".join(chosen))
    return texts


def plain_run(model_dir: str, texts: list[str], labels: list[str], batch: int) -> dict[str, float]:
    """The reference: default ``TrainingArguments``, everything padded to 128."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments, set_seed

    set_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=len(LABELS))
    index = {name: i for i, name in enumerate(LABELS)}

    def encode(items: list[str], with_labels: bool) -> list[dict]:
        enc = tokenizer(items, padding="max_length", truncation=True, max_length=128)
        rows = [{k: enc[k][i] for k in enc} for i in range(len(items))]
        if with_labels:
            for row, label in zip(rows, labels):
                row["labels"] = index[label]
        return rows

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            num_train_epochs=1,
            per_device_train_batch_size=batch,
            per_device_eval_batch_size=batch,
            report_to="none",
            save_strategy="no",
            disable_tqdm=True,
            use_cpu=not torch.cuda.is_available(),
        )
        trainer = Trainer(model=model, args=args, train_dataset=encode(texts, True))
        train = trainer.train().metrics
        start = time.perf_counter()
        trainer.predict(encode(texts, False))
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        infer_s = time.perf_counter() - start
    return {"train_sps": len(texts) / train["train_runtime"], "infer_sps": len(texts) / infer_s}


def ours_run(model_dir: str, texts: list[str], labels: list[str], batch: int) -> dict[str, float]:
    import torch

    from koclassify import Classifier

    clf = Classifier("encoder", model=model_dir, epochs=1, batch_size=batch, max_length=128, eval_windows=batch)
    clf.fit(texts, labels, labels=LABELS)
    start = time.perf_counter()
    clf.predict_proba(texts)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    infer_s = time.perf_counter() - start
    stats = clf.backend.train_stats_
    return {"train_sps": len(texts) / stats["runtime_s"], "infer_sps": len(texts) / infer_s, "bf16": stats["bf16"],
            "clf": clf}  # fmt: skip


def onnx_runs(clf: object, texts: list[str], tmp: str, threads: int) -> list[tuple[str, float, float]]:
    """Inference samples/s of the same trained model exported to ONNX (fp32, int8), with the largest probability
    difference from torch: ``koclassify export onnx`` then ``Classifier.load`` (ONNX Runtime, CPU)."""
    from koclassify import Classifier
    from koclassify.backends.encoder.onnx import OnnxForward
    from koclassify.model.export import export_onnx

    reference = clf.predict_proba(texts)
    out = []
    for int8 in (False, True):
        directory = Path(tmp) / f"onnx-{'int8' if int8 else 'fp32'}"
        clf.save(directory)
        result = export_onnx(directory, int8=int8)
        loaded = Classifier.load(directory)
        loaded.backend.onnx = OnnxForward(result.path, len(loaded.labels_), threads)
        start = time.perf_counter()
        probs = loaded.predict_proba(texts)
        rate = len(texts) / (time.perf_counter() - start)
        out.append((f"koclassify encoder, export onnx{' --int8' if int8 else ''} (ONNX Runtime)", rate,
                    float(abs(probs - reference).max())))  # fmt: skip
    return out


def prepare(shape: str, n: int, tmp: Path) -> tuple[Path, list[str], list[str], list[int]]:
    """A random BERT of ``shape`` saved with its tokenizer under ``tmp``, ``n`` texts, random labels, token counts."""
    import torch
    from transformers import AutoTokenizer, BertModel

    from tiny_encoder import bert_config, build_tokenizer

    model_dir = build_tokenizer(tmp / "bert")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    vocab = 32000 if shape == "base" else len(tokenizer)  # KLUE/KcBERT-sized embeddings for the real shape
    torch.manual_seed(0)
    BertModel(bert_config(vocab, shape)).save_pretrained(model_dir)
    texts = make_texts(tokenizer, n)
    labels = [random.Random(i).choice(LABELS) for i in range(n)]
    return model_dir, texts, labels, [len(tokenizer(t)["input_ids"]) for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=("tiny", "small", "base"), default=None)
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--examples", type=int, default=None, help="default: 4096 on a GPU, 256 on CPU")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--onnx", action="store_true", help="also time inference after `export onnx` (CPU)")
    args = parser.parse_args()
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    cuda = torch.cuda.is_available()
    shape = args.shape or ("base" if cuda else "small")
    n = args.examples or (4096 if cuda else 256)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir, texts, labels, lengths = prepare(shape, n, Path(tmp))
        plain = plain_run(str(model_dir), texts, labels, args.batch_size)
        ours = ours_run(str(model_dir), texts, labels, args.batch_size)
        exported = onnx_runs(ours["clf"], texts, tmp, torch.get_num_threads()) if args.onnx else []
    device = torch.cuda.get_device_name() if cuda else f"cpu, {torch.get_num_threads()} threads"
    print(f"device: {device}; model: random BERT, shape {shape!r}; torch {torch.__version__}")
    print(
        f"data: {n} texts of {min(lengths)}-{max(lengths)} tokens (mean {sum(lengths) / n:.0f}, with specials), "
        f"8 classes, batch {args.batch_size}, 1 epoch, one run each"
    )
    print(f"{'setting':<62}{'train samples/s':>16}{'infer samples/s':>16}")
    rows = [
        ("plain Trainer: defaults, fp32, padded to 128", plain),
        (f"koclassify encoder: dynamic padding, length-grouped, {'bf16' if ours['bf16'] else 'fp32'}", ours),
    ]
    for name, r in rows:
        print(f"{name:<62}{r['train_sps']:>16.1f}{r['infer_sps']:>16.1f}")
    print(
        f"speed-up: training {ours['train_sps'] / plain['train_sps']:.2f}x, "
        f"inference {ours['infer_sps'] / plain['infer_sps']:.2f}x"
    )
    for name, rate, diff in exported:
        print(f"{name:<62}{'-':>16}{rate:>16.1f}   {rate / ours['infer_sps']:.2f}x torch, max |dp| {diff:.1e}")


if __name__ == "__main__":
    main()
