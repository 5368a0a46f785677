"""Label-token scoring speed: batched last-position pass vs the NIKL 2023 recipe's generate + transition scores.

The NIKL 2023 recipe (polyglot-ko-12.8b) scored one example at a time: ``generate(max_new_tokens=1,
output_scores=True)``, then for each of the 8 labels it overwrote the generated token and called
``compute_transition_scores(..., normalize_logits=True)``. Ours right-pads a batch, keeps the logits of each
row's last prompt position only (``logits_to_keep``) and gathers the 8 label ids from one log-softmax.
Both run on the same random polyglot-shaped model and the same prompts in the same run; the script checks that
both give the same probabilities before it reports examples/s.

    python bench/llm_scoring.py --shape tiny --device cpu   # CPU: 64 NIKL sample prompts
    python bench/llm_scoring.py --shape 1.3b --n 512        # GPU
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from koclassify.backends.llm.prompt import PromptFormat, encode, resolve_label_tokens  # noqa: E402
from koclassify.backends.llm.scoring import label_logprobs  # noqa: E402
from koclassify.backends.llm.train import load_tokenizer  # noqa: E402
from koclassify.data.read import read_examples  # noqa: E402
from koclassify.samples import sample_path  # noqa: E402
from tiny_models import LABEL_WORDS, SHAPES, build_tokenizer, random_polyglot  # noqa: E402


def prompts(n: int) -> list[str]:
    """NIKL-style prompts from the bundled samples (train then dev), repeated if more are asked for."""
    rows = (
        read_examples(sample_path("nikl_train.jsonl")).examples + read_examples(sample_path("nikl_dev.jsonl")).examples
    )
    fmt = PromptFormat()
    return [fmt.render(rows[i % len(rows)]) for i in range(n)]


def seed_way(model, tokenizer, texts: list[str], label_ids: list[int]) -> np.ndarray:
    """The NIKL 2023 recipe's ``gen()``: one generate call per example, one compute_transition_scores call per label."""
    device = model.get_input_embeddings().weight.device
    out = np.zeros((len(texts), len(label_ids)))
    for i, text in enumerate(texts):
        inputs = tokenizer(text, return_tensors="pt", return_token_type_ids=False).to(device)
        outputs = model.generate(
            **inputs,
            max_new_tokens=1,
            do_sample=False,  # the NIKL 2023 recipe passed temperature=0.001 to greedy decoding, where it has no effect
            return_dict_in_generate=True,
            output_scores=True,
            pad_token_id=tokenizer.pad_token_id,
        )
        for j, token in enumerate(label_ids):
            outputs.sequences[0][-1] = token
            scores = model.compute_transition_scores(
                outputs.sequences, (outputs.scores[0].float(),), normalize_logits=True
            )
            out[i, j] = float(np.exp(scores[0][0].cpu().numpy()))
    return out


def our_way(model, tokenizer, texts: list[str], label_ids: list[int], batch_size: int) -> np.ndarray:
    ids = [encode(tokenizer, t) for t in texts]
    return np.exp(
        label_logprobs(model, ids, [[t] for t in label_ids], pad_id=tokenizer.pad_token_id, batch_size=batch_size)
    )


def timed(fn, *args) -> tuple[np.ndarray, float]:
    """Wall time of ``fn(*args)``, with the GPU drained before and after."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def main() -> None:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny" if not cuda else "1.3b")
    parser.add_argument("--n", type=int, default=64, help="prompts to score")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if cuda else "cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not cuda:
        raise SystemExit("--device cuda: no CUDA GPU here")
    cuda = args.device == "cuda"
    device = args.device
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = load_tokenizer(str(build_tokenizer(Path(tmp) / "tok")))
    model = random_polyglot(args.shape, device=device, dtype=dtype).eval()
    texts = prompts(args.n)
    label_ids = resolve_label_tokens(tokenizer, texts[0], LABEL_WORDS, " ").first

    our_way(model, tokenizer, texts[:2], label_ids, args.batch_size)  # warm-up
    seed_way(model, tokenizer, texts[:2], label_ids)
    ours, t_ours = timed(our_way, model, tokenizer, texts, label_ids, args.batch_size)
    seed, t_seed = timed(seed_way, model, tokenizer, texts, label_ids)

    diff = float(np.abs(ours - seed).max())
    tokens = sum(len(encode(tokenizer, t)) for t in texts)
    print(f"device: {device} ({torch.cuda.get_device_name() if cuda else f'{torch.get_num_threads()} threads'})")
    print(f"model: random GPT-NeoX, polyglot-ko shape {args.shape!r}, {dtype}, vocab {model.config.vocab_size}")
    print(f"prompts: {len(texts)} NIKL sample prompts, {tokens / len(texts):.0f} tokens on average, 8 labels")
    print(f"max |p_ours - p_seed| = {diff:.2e} (vocabulary probabilities of the 8 label tokens)")
    print(f"{'method':<44}{'seconds':>10}{'examples/s':>14}")
    print(f"{'seed: generate + 8x compute_transition_scores':<44}{t_seed:>10.2f}{len(texts) / t_seed:>14.1f}")
    print(f"{f'ours: batched last-position (batch {args.batch_size})':<44}{t_ours:>10.2f}{len(texts) / t_ours:>14.1f}")
    print(f"speed-up: {t_seed / t_ours:.1f}x")
    tolerance = 1e-4 if dtype == torch.float32 else 2e-2
    if diff > tolerance:
        raise SystemExit(f"probabilities differ by {diff:.2e} > {tolerance}: the comparison is not like for like")


if __name__ == "__main__":
    main()
