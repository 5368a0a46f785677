"""LoRA training throughput and peak memory: our training loop vs the NIKL 2023 recipe's setting, same model and rows.

Both use the NIKL 2023 recipe's LoRA settings
(r 16, alpha 32, dropout 0.01, GPT-NeoX target modules, lr 2e-4, batch 2) on a
random polyglot-shaped GPT-NeoX and the same per-label rows built from the bundled NIKL sample.

- seed: rows in random order, logits for every position (batch x length x 30,080, upcast to float32 by the
  loss) and the label mask applied to the loss afterwards, as the NIKL 2023 recipe's ``maskTrainer`` did.
- ours: length-grouped batches (less padding) and logits only at the positions that predict a label token
  (``logits_to_keep`` mask), so the vocabulary projection and its float32 copy shrink to one row per label.
  A third run ("ours without length grouping") separates the two effects.

Each setting runs in its own process, so peak memory is its own: CUDA ``max_memory_allocated`` on a GPU, the
peak resident set size sampled during training (minus the size before training) on CPU.

``--qlora`` trains on a 4-bit NF4 base as the seed did: the random model is saved once (bf16 on a GPU) and each
setting loads it through the backend's own ``load_causal_lm(qlora=True)`` (bitsandbytes), with k-bit
preparation and the paged 8-bit AdamW. ``--ours-batch-size`` / ``--ours-no-checkpointing`` give "ours" its own
batch and checkpointing (the seed's stay at ``--batch-size`` and ``--gradient-checkpointing``).

    python bench/llm_train.py --shape tiny --device cpu   # CPU: 1 epoch over 96 examples
    python bench/llm_train.py --shape 1.3b --examples 300 --gradient-checkpointing   # GPU
    python bench/llm_train.py --shape 12.8b --qlora --gradient-checkpointing --ours-batch-size 8 --ours-no-checkpointing
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

MARK = "RESULT "


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Samples the process's resident set size every 5 ms while training runs (CPU peak memory)."""

    def __init__(self) -> None:
        self.start = _rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.005)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def worker(args: argparse.Namespace) -> None:
    """One training run in this process; prints its measurements as one JSON line."""
    import torch

    from koclassify import LabelSpace
    from koclassify.backends.llm.data import expand_rows
    from koclassify.backends.llm.options import LLMOptions
    from koclassify.backends.llm.prompt import PromptFormat, encode, resolve_label_tokens, truncate_prompt
    from koclassify.backends.llm.train import add_lora, load_causal_lm, load_tokenizer, run_training
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path
    from tiny_models import LABEL_WORDS, random_polyglot

    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    ours = args.worker != "seed"
    tokenizer = load_tokenizer(args.tokenizer)
    examples = read_examples(sample_path("nikl_train.jsonl")).examples[: args.examples]
    space = LabelSpace.from_examples(examples)
    fmt = PromptFormat()
    prompts = [fmt.render(ex) for ex in examples]
    words = dict(zip(("joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness"), LABEL_WORDS))
    tokens = resolve_label_tokens(tokenizer, prompts[0], [words[n] for n in space.names], " ")
    rows = expand_rows([truncate_prompt(encode(tokenizer, p), 512) for p in prompts], space.indicator(examples), tokens)

    bf16 = bool(cuda and torch.cuda.is_bf16_supported())
    batch_size, checkpointing = args.batch_size, args.gradient_checkpointing
    if args.worker == "ours":
        batch_size = args.ours_batch_size or batch_size
        checkpointing = checkpointing and not args.ours_no_checkpointing
    if args.base:  # the saved random model, loaded 4-bit as the backend loads it
        model = load_causal_lm(args.base, qlora=True, bf16=bf16)
    else:
        model = random_polyglot(args.shape, device="cuda" if cuda else "cpu", dtype=torch.bfloat16 if bf16 else None)
    model = add_lora(model, qlora=bool(args.base), gradient_checkpointing=checkpointing)
    config = LLMOptions.parse(
        model=args.base or "random-polyglot",  # the model is built above; the options drive the training loop
        epochs=args.epochs,
        batch_size=batch_size,
        lr=2e-4,
        bf16=bf16,
        gradient_checkpointing=checkpointing,
        group_by_length=args.worker == "ours",
        seed=0,
        qlora=bool(args.base),  # paged 8-bit AdamW, as the backend trains a 4-bit base
    )
    if cuda:
        torch.cuda.synchronize()
    with PeakRSS() as rss:
        _, stats = run_training(model, tokenizer, rows, None, config, label_logits_only=ours)
    real_tokens = sum(len(r["input_ids"]) for r in rows) * args.epochs
    result = {
        "setting": args.worker,
        "rows": len(rows),
        "steps": stats["steps"],
        "runtime_s": stats["runtime_s"],
        "tokens_per_s": real_tokens / stats["runtime_s"],
        "peak_gib": stats["peak_gpu_memory_gib"] if cuda else (rss.peak - rss.start) / 2**30,
        "train_loss": stats["train_loss"],
        "device": torch.cuda.get_device_name() if cuda else f"cpu, {torch.get_num_threads()} threads",
        "dtype": "bf16" if bf16 else "fp32",
        "batch_size": batch_size,
        "checkpointing": checkpointing,
        "base": "4-bit NF4" if args.base else ("bf16" if bf16 else "fp32"),
    }
    print(MARK + json.dumps(result), flush=True)


def run_setting(setting: str, args: argparse.Namespace, tokenizer_dir: str) -> dict:
    """One setting in a fresh process (its own peak memory); its RESULT line as a dict."""
    command = [sys.executable, __file__, "--worker", setting, "--tokenizer", tokenizer_dir]
    for name in ("shape", "examples", "epochs", "batch_size", "threads", "device", "base", "ours_batch_size"):
        value = getattr(args, name, None)
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    for flag in ("gradient_checkpointing", "ours_no_checkpointing"):
        if getattr(args, flag, False):
            command.append(f"--{flag.replace('_', '-')}")
    env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if args.device == "cpu" else {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{setting} run failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(MARK) :])


def save_random_base(shape: str, directory: Path, device: str) -> str:
    """A random polyglot-shaped GPT-NeoX saved in bf16 (built on ``device``), for the workers to load in 4 bits."""
    import gc

    import torch

    from tiny_models import random_polyglot

    model = random_polyglot(shape, device=device, dtype=torch.bfloat16)
    model.save_pretrained(directory)
    del model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return str(directory)


def main() -> None:
    import torch

    from tiny_models import SHAPES, build_tokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1.3b" if torch.cuda.is_available() else "tiny")
    parser.add_argument("--examples", type=int, default=96, help="NIKL sample rows (expanded per label)")
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--batch-size", type=int, default=2, help="the NIKL 2023 recipe's batch size")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--qlora", action="store_true", help="train on a 4-bit NF4 base (needs bitsandbytes)")
    parser.add_argument("--ours-batch-size", type=int, default=None, help="ours' batch (default: --batch-size)")
    parser.add_argument("--ours-no-checkpointing", action="store_true", help="ours without gradient checkpointing")
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--worker", choices=("seed", "label-logits", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_dir = str(build_tokenizer(Path(tmp) / "tok"))
        if args.qlora:
            args.base = save_random_base(args.shape, Path(tmp) / "base", args.device)
        results = [run_setting(s, args, tokenizer_dir) for s in ("seed", "label-logits", "ours")]
    seed, ours = results[0], results[-1]
    print(f"device: {seed['device']}, {seed['dtype']}; model: random GPT-NeoX, polyglot-ko shape {args.shape!r}, "
          f"{seed['base']} base")  # fmt: skip
    print(f"rows: {seed['rows']} per-label rows from {args.examples} NIKL sample examples, {args.epochs:g} epoch(s), "
          "LoRA r16")  # fmt: skip
    memory = "peak GPU memory GiB" if args.device == "cuda" else "peak RSS growth GiB"
    print(f"{'setting':<48}{'batch':>6}{'ckpt':>5}{'steps':>6}{'seconds':>9}{'tokens/s':>10}{memory:>22}{'loss':>8}")
    names = {
        "seed": "seed: random order, logits at every position",
        "label-logits": "ours without length grouping",
        "ours": "ours: length-grouped, label-position logits",
    }
    for r in results:
        print(
            f"{names[r['setting']]:<48}{r['batch_size']:>6}{'on' if r['checkpointing'] else 'off':>5}{r['steps']:>6}"
            f"{r['runtime_s']:>9.2f}{r['tokens_per_s']:>10.0f}{r['peak_gib']:>22.3f}{r['train_loss']:>8.3f}"
        )
    print(
        f"throughput: {ours['tokens_per_s'] / seed['tokens_per_s']:.2f}x; "
        f"peak memory: {ours['peak_gib'] / max(seed['peak_gib'], 1e-9):.2f}x of the NIKL 2023 recipe setting's"
    )


if __name__ == "__main__":
    main()
