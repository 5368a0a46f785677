"""Tiny tokenizers and random causal LMs built in-process, so the LLM tests and benchmarks need no download.

The tokenizer is a byte-level BPE (the polyglot-ko / GPT-NeoX kind) trained with ``tokenizers`` on the bundled
NIKL sample texts. The eight NIKL label words are added as whole tokens *with* their leading space, which is how
polyglot-ko holds them after ``### 감정:``; any other word is split into pieces, which the single-token check
tests rely on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

LABEL_WORDS = ("기쁨", "기대", "신뢰", "당황", "혐오", "공포", "분노", "슬픔")
EOS = "<|endoftext|>"
PAD = "<|pad|>"


def sample_texts() -> list[str]:
    """The sentences and targets of the bundled NIKL training sample (Korean text like the real task's)."""
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path

    examples = read_examples(sample_path("nikl_train.jsonl")).examples
    return [ex.text for ex in examples] + [ex.target_form or "" for ex in examples]


def build_tokenizer(
    directory: Path,
    texts: Iterable[str] | None = None,
    *,
    vocab_size: int = 800,
    whole_words: Iterable[str] = LABEL_WORDS,
    pad_token: bool = False,
    bos_token: bool = False,
) -> Path:
    """Train a byte-level BPE on ``texts`` and save it as a Hugging Face fast tokenizer in ``directory``.

    ``whole_words`` become single tokens with a leading space. ``pad_token=False`` leaves the tokenizer without
    a pad token (like polyglot-ko), so the code under test has to choose one; ``bos_token=True`` prepends a BOS
    to every encoding (like Llama tokenizers).
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    texts = list(texts) if texts is not None else sample_texts()
    specials = [EOS, PAD, "<s>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    # normalized=False: the added token must match the raw text " 기쁨" including its space
    tok.add_tokens([AddedToken(" " + w, normalized=False, single_word=False) for w in whole_words])
    if bos_token:
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.token_to_id("<s>"))]
        )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS,
        bos_token="<s>" if bos_token else None,
        pad_token=PAD if pad_token else None,
    )
    directory.mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(directory)
    return directory


def build_model(
    directory: Path,
    arch: str = "gpt_neox",
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    seed: int = 0,
    initializer_range: float = 0.2,
    texts: Iterable[str] | None = None,
    **tokenizer_kwargs: object,
) -> Path:
    """A tokenizer plus a randomly initialised ``gpt_neox`` or ``llama`` causal LM, saved together in ``directory``.

    ``initializer_range`` is larger than real models' 0.02: with a hidden size of 32 and a frozen random output
    layer, LoRA could otherwise not raise any token's logit enough to learn within a few steps.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GPTNeoXConfig, LlamaConfig

    build_tokenizer(directory, texts, **tokenizer_kwargs)  # type: ignore[arg-type]
    tokenizer = AutoTokenizer.from_pretrained(directory)
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 2,
        max_position_embeddings=512,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=initializer_range,
    )
    if arch == "gpt_neox":
        config = GPTNeoXConfig(**common)
    elif arch == "llama":
        config = LlamaConfig(**common, num_key_value_heads=max(1, heads // 2))
    else:
        raise ValueError(f"unknown tiny architecture {arch!r}")
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(directory)
    return directory


# Polyglot-ko shapes (hidden, layers, heads), vocabulary 30,080, for benchmarks; "tiny" is a CPU-sized stand-in,
# "micro" the smallest that bitsandbytes' CPU 4-bit kernels take (rows of >= 64 values), for smoke runs.
SHAPES: dict[str, tuple[int, int, int]] = {
    "micro": (64, 2, 4),
    "tiny": (256, 4, 8),
    "1.3b": (2048, 24, 16),
    "5.8b": (4096, 28, 16),
    "12.8b": (5120, 40, 40),
}
POLYGLOT_VOCAB = 30080


def random_polyglot(shape: str, *, device: str = "cpu", dtype: object = None, seed: int = 0) -> object:
    """A randomly initialised GPT-NeoX with a polyglot-ko shape, built directly on ``device`` (no download)."""
    import torch
    from transformers import AutoModelForCausalLM, GPTNeoXConfig

    hidden, layers, heads = SHAPES[shape]
    config = GPTNeoXConfig(
        vocab_size=POLYGLOT_VOCAB,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 4,
        max_position_embeddings=2048,
        rotary_pct=0.5,
        eos_token_id=0,
        pad_token_id=0,
    )
    torch.manual_seed(seed)
    with torch.device(device):
        return AutoModelForCausalLM.from_config(config, dtype=dtype or torch.float32)
