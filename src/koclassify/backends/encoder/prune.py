"""Vocabulary pruning for Unigram tokenizers (e5-small's 250,002 pieces): train and save only what is used.

The 250k x 384 input embedding is 96M of e5-small's 118M parameters; AdamW over it costs a third more per step
and ~1.3 GB more memory, yet a data set uses a few thousand pieces. Kept: every piece the full tokenizer produces
on the training (and dev) texts and on ``prune_corpus``, every one-character Hangul, Hangul-jamo or ASCII piece
(with or without the ``▁`` word marker), and the special tokens. Ids are renumbered in the original order.

What happens to text later (prediction, or the saved model reloaded anywhere): the pruned Unigram model segments
it with the kept pieces only, by the same Viterbi search over the same scores. A word whose piece was dropped is
spelt with smaller kept pieces (usually its syllables); a character no kept piece covers becomes ``<unk>``, and a
run of such characters becomes one ``<unk>``. Normalisation, pre-tokenisation and specials are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from koclassify.errors import ModelError

BATCH = 1000


def always_kept(piece: str) -> bool:
    """One-character Hangul / jamo / ASCII pieces: the fallback spelling of any unseen Korean word."""
    core = piece[1:] if piece.startswith("\u2581") else piece
    if len(core) != 1:
        return False
    c = ord(core)
    return c < 128 or 0xAC00 <= c <= 0xD7A3 or 0x1100 <= c <= 0x11FF or 0x3130 <= c <= 0x318F


def seen_ids(tokenizer: Any, texts: Iterable[str]) -> set[int]:
    backend = tokenizer.backend_tokenizer
    seen: set[int] = set()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == BATCH:
            seen.update(i for enc in backend.encode_batch(batch, add_special_tokens=False) for i in enc.ids)
            batch = []
    if batch:
        seen.update(i for enc in backend.encode_batch(batch, add_special_tokens=False) for i in enc.ids)
    return seen


def prune_vocabulary(tokenizer: Any, model: Any, texts: Iterable[str]) -> tuple[Any, dict[str, Any]]:
    """A new tokenizer keeping the pieces ``texts`` use (see the module docstring); ``model``'s input embedding
    shrunk to match in place. Returns the tokenizer and statistics (pieces before / after)."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    if spec.get("model", {}).get("type") != "Unigram":
        raise ModelError("prune_vocab needs a Unigram (SentencePiece) tokenizer, such as e5-small's or XLM-R's")
    vocab: list[list[Any]] = spec["model"]["vocab"]
    specials = {int(t["id"]) for t in spec.get("added_tokens", [])}
    keep = sorted(seen_ids(tokenizer, texts) | specials | {i for i, (p, _) in enumerate(vocab) if always_kept(p)})
    remap = {old: new for new, old in enumerate(keep)}
    spec["model"]["vocab"] = [vocab[i] for i in keep]
    spec["model"]["unk_id"] = remap[int(spec["model"]["unk_id"])]
    for token in spec.get("added_tokens", []):
        token["id"] = remap[int(token["id"])]
    _remap_post_processor(spec.get("post_processor"), remap)
    pruned = _wrap(tokenizer, json.dumps(spec))
    _shrink_embeddings(model, keep, remap)
    return pruned, {"vocab_pieces": len(vocab), "kept_pieces": len(keep)}


def _remap_post_processor(post: Any, remap: dict[int, int]) -> None:
    if not isinstance(post, dict):
        return
    for entry in (post.get("special_tokens") or {}).values():
        entry["ids"] = [remap[int(i)] for i in entry["ids"]]
    for inner in post.get("processors") or []:
        _remap_post_processor(inner, remap)
    for key in ("cls", "sep"):  # RobertaProcessing / BertProcessing: [token, id]
        if isinstance(post.get(key), list):
            post[key] = [post[key][0], remap[int(post[key][1])]]


def _wrap(tokenizer: Any, spec: str) -> Any:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    names = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
    specials = {name: getattr(tokenizer, name) for name in names if getattr(tokenizer, name, None) is not None}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(spec),
        model_max_length=tokenizer.model_max_length,
        model_input_names=list(tokenizer.model_input_names),
        **specials,
    )


def _shrink_embeddings(model: Any, keep: Sequence[int], remap: dict[int, int]) -> None:
    import torch

    old = model.get_input_embeddings()
    index = torch.tensor(list(keep), dtype=torch.long)
    pad = model.config.pad_token_id
    new = torch.nn.Embedding(len(keep), old.weight.shape[1], padding_idx=remap.get(pad) if pad is not None else None)
    with torch.no_grad():
        new.weight.copy_(old.weight.index_select(0, index))
    model.set_input_embeddings(new)
    model.config.vocab_size = len(keep)
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(model.config, name, None)
        if value is not None:
            setattr(model.config, name, remap.get(int(value)))
