"""A tiny WordPiece tokenizer and a random BERT encoder built in-process: encoder tests and benchmarks need no download.

The tokenizer is trained with ``tokenizers`` on the bundled NIKL sample (plus any extra texts), with BERT's
normaliser (no lower-casing, no accent stripping: stripping accents would decompose Hangul), BERT's
pre-tokenizer and ``[CLS] A [SEP] B [SEP]`` post-processing, saved as a ``BertTokenizerFast``. The model is saved
as a *bare* ``BertModel`` (no classification head), like a pre-trained checkpoint on the Hub.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def sample_texts() -> list[str]:
    """Sentences and targets of the bundled NIKL training sample."""
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path

    examples = read_examples(sample_path("nikl_train.jsonl")).examples
    return [ex.text for ex in examples] + [ex.target_form or "" for ex in examples]


def build_tokenizer(directory: Path, texts: Iterable[str] | None = None, *, vocab_size: int = 1000) -> Path:
    """Train a WordPiece vocabulary and save it as a Hugging Face fast BERT tokenizer in ``directory``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    corpus = sample_texts() + list(texts or [])
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    wrapped = BertTokenizerFast(tokenizer_object=tok, do_lower_case=False, strip_accents=False)
    directory.mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(directory)
    return directory


# (hidden, layers, heads, intermediate): "tiny" for tests, "small" for CPU benchmarks, "base" = BERT-base.
SHAPES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (32, 2, 2, 64),
    "small": (128, 2, 2, 512),
    "base": (768, 12, 12, 3072),
}


def bert_config(
    vocab_size: int, shape: str = "tiny", *, max_positions: int = 512, initializer_range: float = 0.02
) -> object:
    from transformers import BertConfig

    hidden, layers, heads, intermediate = SHAPES[shape]
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=max_positions,
        pad_token_id=0,
        initializer_range=initializer_range,
    )


def build_encoder(
    directory: Path,
    shape: str = "tiny",
    *,
    seed: int = 0,
    texts: Iterable[str] | None = None,
    max_positions: int = 512,
    initializer_range: float = 0.02,
) -> Path:
    """Tokenizer plus a randomly initialised bare ``BertModel`` (no head), saved together in ``directory``.

    Tests pass ``initializer_range=0.2``: with hidden size 32 and BERT's 0.02 the random encoder maps every
    sentence to nearly the same vector, and a few steps cannot separate anything (as in tiny_models.py).
    """
    import torch
    from transformers import AutoTokenizer, BertModel

    build_tokenizer(directory, texts)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    torch.manual_seed(seed)
    config = bert_config(len(tokenizer), shape, max_positions=max_positions, initializer_range=initializer_range)
    BertModel(config).save_pretrained(directory)
    return directory


def build_e5_shaped(
    directory: Path,
    texts: Iterable[str] | None = None,
    *,
    words: int = 300,
    seed: int = 0,
    initializer_range: float = 0.2,
) -> Path:
    """multilingual-e5-small's shape in miniature: a Unigram vocabulary put through the converter's own tokenizer
    code (``e5small.build_tokenizer``: e5's normalisation map, Metaspace, ``<s> $A </s>``, e5's special ids) and a
    tiny random bare ``BertModel``. The e5 recipe (pruned vocabulary, mean pooling, probe) runs on it in seconds.

    The vocabulary is counted, not trained (``tokenizers``' Unigram trainer picks different pieces from run to
    run): the specials, every character with and without ``▁``, and the ``words`` most frequent ``▁word`` pieces,
    each scored by its log frequency.
    """
    import math
    from collections import Counter
    from types import SimpleNamespace

    import numpy as np
    import torch
    from transformers import BertModel

    from koclassify.backends.encoder.e5small import SPECIAL_PIECES, build_tokenizer, save_tokenizer

    corpus = sample_texts() + list(texts or [])
    seen = Counter("▁" + word for text in corpus for word in text.split())
    chars = Counter(char for text in corpus for char in text if not char.isspace())
    counts = Counter({**{"▁" + c: n for c, n in chars.items()}, **chars, "▁": len(corpus)})
    counts.update(dict(sorted(seen.items(), key=lambda w: (-w[1], w[0]))[:words]))
    total = sum(counts.values())
    pieces = list(SPECIAL_PIECES) + sorted(counts, key=lambda p: (-counts[p], p))
    spec = SimpleNamespace(
        pieces=pieces,
        scores=np.array([0.0] * len(SPECIAL_PIECES) + [math.log(counts[p] / total) for p in pieces[5:]]),
        specials={"bos": 0, "pad": 1, "eos": 2, "unk": 3},  # e5's ids (<mask> is last there, 4 here)
        norm_map={"\u3000": " ", "！": "!"},  # the per-character map: ideographic space, a fullwidth sign
    )
    save_tokenizer(build_tokenizer(spec), directory, max_length=512)  # type: ignore[arg-type]
    torch.manual_seed(seed)
    config = bert_config(len(pieces), initializer_range=initializer_range)
    config.pad_token_id, config.bos_token_id, config.eos_token_id = 1, 0, 2  # type: ignore[attr-defined]
    BertModel(config).save_pretrained(directory)
    return directory
