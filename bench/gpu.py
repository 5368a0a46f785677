"""Every GPU figure of docs/benchmarks.md in one run and one table (one H100/H200-class GPU, under 8 minutes).

- LLM scoring at the polyglot-ko 1.3B and 5.8B shapes: ours (batched, logits at the last prompt position only)
  vs the seed's ``generate`` + 8 ``compute_transition_scores`` per example; examples/s and % of bf16 peak.
- LLM training at the 12.8B shape on a 4-bit NF4 base, as the seed trained: the seed's setting (batch 2,
  gradient checkpointing, logits at every position, random order) vs ours (bigger batch, no checkpointing,
  label-position logits, length-grouped); tokens/s and peak GiB, each setting in its own process.
- Encoder at the BERT-base shape: a plain ``Trainer`` (fp32, padded to 128, batch 32) vs the ``encoder`` backend;
  training and inference samples/s.

Random weights of the real shapes are built on the GPU (nothing is downloaded); the measuring code is that of
bench/llm_scoring.py, bench/llm_train.py and bench/encoder.py. ``--tiny`` runs the same steps at CPU stand-in
shapes in seconds (a test runs it). bench/gpu.sh installs bitsandbytes from a carried wheel when it is missing.

    bash bench/gpu.sh            # the GPU table
    bash bench/gpu.sh --tiny     # CPU smoke run of the same script
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other bench scripts
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_models, tiny_encoder

# Dense bf16 tensor-core peaks (TFLOP/s, no sparsity) from the vendors' data sheets; most specific name first.
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100", 989.4),
    ("H200", 989.4),
    ("H800", 989.4),
    ("A100", 312.0),
    ("L40S", 362.1),
    ("L4", 121.0),
    ("A10", 125.0),
)


@dataclass
class Row:
    """One line of the table."""

    workload: str
    setting: str
    rate: float
    unit: str
    peak_pct: float | None = None
    peak_gib: float | None = None
    ratio: float | None = None
    target: str = ""


@dataclass
class Plan:
    """Sizes of one run: the GPU's real shapes, or the CPU stand-ins of ``--tiny``."""

    device: str
    score_shapes: tuple[str, ...]
    score_n: int  # prompts scored our way
    seed_n: int  # prompts scored the seed's way (it is ~25x slower)
    score_batch: int
    train_shape: str
    train_examples: int
    ours_batch: int
    encoder_shape: str
    encoder_n: int


GPU_PLAN = Plan("cuda", ("1.3b", "5.8b"), 2048, 64, 64, "12.8b", 128, 16, "base", 4096)
TINY_PLAN = Plan("cpu", ("micro",), 16, 4, 8, "micro", 4, 4, "tiny", 16)


def peak_tflops(override: float | None) -> tuple[float, str]:
    """The bf16 peak to divide by: ``--peak-tflops``, the data-sheet figure for this GPU, or a measured matmul."""
    import torch

    if override:
        return override, "given"
    name = torch.cuda.get_device_name()
    for key, value in PEAK_BF16_TFLOPS:
        if key in name:
            return value, "data sheet"
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ a
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        a @ a
    torch.cuda.synchronize()
    return 10 * 2 * 8192**3 / (time.perf_counter() - start) / 1e12, "measured 8192^3 matmul"


def scoring_rows(plan: Plan, peak: float | None) -> list[Row]:
    """Ours vs the seed's scoring at each shape; FLOPs: 2 x non-embedding parameters x prompt tokens, plus the
    vocabulary projection of the one scored position (padding is not counted)."""
    import numpy as np
    import torch

    from koclassify.backends.llm.prompt import encode, resolve_label_tokens
    from koclassify.backends.llm.train import load_tokenizer
    from llm_scoring import our_way, prompts, seed_way, timed
    from tiny_models import LABEL_WORDS, build_tokenizer, random_polyglot

    cuda = plan.device == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = load_tokenizer(str(build_tokenizer(Path(tmp) / "tok")))
    texts = prompts(plan.score_n)
    label_ids = resolve_label_tokens(tokenizer, texts[0], LABEL_WORDS, " ").first
    tokens = [len(encode(tokenizer, t)) for t in texts]
    rows = []
    for shape in plan.score_shapes:
        model = random_polyglot(shape, device=plan.device, dtype=torch.bfloat16 if cuda else torch.float32).eval()
        config = model.config
        body = sum(p.numel() for n, p in model.named_parameters() if ".layers." in n)
        flops_per_token = 2 * body
        head = 2 * config.hidden_size * config.vocab_size
        our_way(model, tokenizer, texts[:8], label_ids, plan.score_batch)  # warm-up
        seed_way(model, tokenizer, texts[:2], label_ids)
        results = {}
        for name, fn, n, extra in (
            ("seed", seed_way, plan.seed_n, ()),
            ("ours", our_way, plan.score_n, (plan.score_batch,)),
        ):
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            probs, seconds = timed(fn, model, tokenizer, texts[:n], label_ids, *extra)
            flops = flops_per_token * sum(tokens[:n]) + head * n
            results[name] = (probs, seconds, n, flops, torch.cuda.max_memory_allocated() / 2**30 if cuda else None)
        diff = float(np.abs(results["ours"][0][: plan.seed_n] - results["seed"][0]).max())
        tolerance = 2e-2 if cuda else 1e-4
        if diff > tolerance:
            raise SystemExit(f"scoring {shape}: ours and the seed's probabilities differ by {diff:.2e} > {tolerance}")
        seed_rate = results["seed"][2] / results["seed"][1]
        workload = f"LLM scoring, polyglot-ko {shape} (bf16)" if cuda else f"LLM scoring, {shape} (fp32, CPU)"
        for name, label in (
            ("seed", "seed: generate + 8x compute_transition_scores, 1 example at a time"),
            ("ours", f"ours: batched last-position logits, batch {plan.score_batch}"),
        ):
            _, seconds, n, flops, gib = results[name]
            rate = n / seconds
            rows.append(
                Row(
                    workload,
                    label,
                    rate,
                    "examples/s",
                    peak_pct=100 * flops / seconds / (peak * 1e12) if peak else None,
                    peak_gib=gib,
                    ratio=rate / seed_rate,
                    target="ours >= 25x seed, >= 55% of peak" if (name == "ours" and shape == "5.8b") else "",
                )
            )
        print(f"  scoring {shape}: max |p_ours - p_seed| {diff:.1e} over {plan.seed_n} prompts", file=sys.stderr)
        del model
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    return rows


def training_rows(plan: Plan) -> list[Row]:
    """The seed's 4-bit setting vs ours at the training shape, each in its own process (bench/llm_train.py)."""
    from llm_train import run_setting, save_random_base
    from tiny_models import build_tokenizer

    args = argparse.Namespace(
        shape=plan.train_shape,
        examples=plan.train_examples,
        epochs=1,
        batch_size=2,
        gradient_checkpointing=True,
        ours_batch_size=plan.ours_batch,
        ours_no_checkpointing=True,
        threads=None,
        device=plan.device,
        base=None,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_dir = str(build_tokenizer(Path(tmp) / "tok"))
        args.base = save_random_base(plan.train_shape, Path(tmp) / "base", plan.device)
        seed = run_setting("seed", args, tokenizer_dir)
        ours = run_setting("ours", args, tokenizer_dir)
    shape = f"polyglot-ko {plan.train_shape}" if plan.device == "cuda" else f"{plan.train_shape} (CPU)"
    workload = f"LLM training, {shape}, 4-bit NF4 base, LoRA r16"
    rows = []
    for r, label in (
        (seed, "seed: batch 2, checkpointing, logits at every position"),
        (ours, f"ours: batch {ours['batch_size']}, no checkpointing, label-position logits, length-grouped"),
    ):
        rows.append(
            Row(
                workload,
                label,
                r["tokens_per_s"],
                "tokens/s",
                peak_gib=r["peak_gib"] if plan.device == "cuda" else None,
                ratio=r["tokens_per_s"] / seed["tokens_per_s"],
                target="ours >= 15x seed within 24 GiB" if r is ours else "",
            )
        )
    print(f"  training: {seed['rows']} per-label rows, losses {seed['train_loss']:.3f} / {ours['train_loss']:.3f}",
          file=sys.stderr)  # fmt: skip
    return rows


def encoder_rows(plan: Plan) -> list[Row]:
    """Plain ``Trainer`` vs the encoder backend (bench/encoder.py), training and inference."""
    from encoder import ours_run, plain_run, prepare

    with tempfile.TemporaryDirectory() as tmp:
        model_dir, texts, labels, _ = prepare(plan.encoder_shape, plan.encoder_n, Path(tmp))
        plain = plain_run(str(model_dir), texts, labels, 32)
        ours = ours_run(str(model_dir), texts, labels, 32)
    shape = "BERT-base" if plan.encoder_shape == "base" else f"BERT {plan.encoder_shape} (CPU)"
    precision = "bf16" if ours["bf16"] else "fp32"
    rows = []
    for key, what, target in (("train_sps", "training", ">= 2x"), ("infer_sps", "inference", ">= 6x")):
        rows += [
            Row(f"encoder {what}, {shape}", "plain Trainer: fp32, padded to 128, batch 32", plain[key], "samples/s",
                ratio=1.0),
            Row(f"encoder {what}, {shape}", f"ours: dynamic padding, length-grouped, {precision}, batch 32", ours[key],
                "samples/s", ratio=ours[key] / plain[key], target=f"ours {target} plain"),
        ]  # fmt: skip
    return rows


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[Row], header: str) -> None:
    """One markdown table (it is pasted into docs/benchmarks.md as printed)."""
    print(header)
    print()
    print("| workload | setting | throughput | % of bf16 peak | peak GiB | vs seed / plain | target (issue 11) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(
            f"| {r.workload} | {r.setting} | {r.rate:,.1f} {r.unit} | {fmt(r.peak_pct, '.1f')} | "
            f"{fmt(r.peak_gib, '.2f')} | {fmt(r.ratio, '.2f')}x | {r.target} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="CPU stand-in shapes (seconds): a smoke run")
    parser.add_argument("--peak-tflops", type=float, default=None, help="bf16 peak to report against")
    parser.add_argument("--only", choices=("scoring", "training", "encoder"), action="append", default=None)
    parser.add_argument("--score-batch", type=int, default=None, help="our scoring batch (GPU default 64)")
    parser.add_argument("--ours-batch", type=int, default=None, help="our 4-bit training batch (GPU default 16)")
    args = parser.parse_args()
    import os

    if args.tiny:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported; the training workers inherit it
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    plan = TINY_PLAN if args.tiny else GPU_PLAN
    plan = dataclasses.replace(
        plan, score_batch=args.score_batch or plan.score_batch, ours_batch=args.ours_batch or plan.ours_batch
    )
    if plan.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: bench/gpu.py --tiny runs the CPU stand-in")
    peak, source = peak_tflops(args.peak_tflops) if plan.device == "cuda" else (None, "")
    from koclassify.backends.llm import deps
    from koclassify.errors import MissingDependencyError

    try:
        bnb_version = deps.bitsandbytes().__version__
    except MissingDependencyError:
        raise SystemExit("bitsandbytes is missing: bench/gpu.sh installs it from .whl/ (docs/benchmarks.md)") from None
    sections = args.only or ["scoring", "training", "encoder"]
    start = time.perf_counter()
    rows: list[Row] = []
    for name, run in (("scoring", lambda: scoring_rows(plan, peak)), ("training", lambda: training_rows(plan)),
                      ("encoder", lambda: encoder_rows(plan))):  # fmt: skip
        if name in sections:
            began = time.perf_counter()
            rows += run()
            print(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr)
    total = time.perf_counter() - start
    device = torch.cuda.get_device_name() if plan.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    peak_text = f"bf16 peak {peak:.0f} TFLOP/s ({source})" if peak else "no bf16 peak on the CPU"
    header = (
        f"{datetime.date.today().isoformat()}, {device}; torch {torch.__version__}, transformers "
        f"{transformers.__version__}, bitsandbytes {bnb_version}; {peak_text}; {total:.0f} s in all"
    )
    print_table(rows, header)


if __name__ == "__main__":
    main()
