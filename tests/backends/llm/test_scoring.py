"""Batched label-token scoring equals a slow one-example-at-a-time reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from koclassify import Example
from koclassify.backends.llm.prompt import PromptFormat, encode, resolve_label_tokens
from koclassify.backends.llm.scoring import accepts_logits_to_keep, label_logprobs, logits_mode, to_probabilities
from koclassify.backends.llm.train import load_tokenizer
from tiny_models import LABEL_WORDS

TEXTS = [
    "아 학교 가기 싫다",
    "와 졸업식에 다녀왔는데 기분이 날아갈 것 같았어요 하...",
    "진짜",
    "솔직히 말하면 동창회는 정직해서 안심이 된다!! 다음에도 또 가고 싶다",
    "무선 이어폰",
]


def _setup(path: Path, words=LABEL_WORDS, multi_token: str = "error"):
    from transformers import AutoModelForCausalLM

    tok = load_tokenizer(str(path))
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    prompts = [PromptFormat().render(Example(str(i), t)) for i, t in enumerate(TEXTS)]
    tokens = resolve_label_tokens(tok, prompts[0], words, " ", multi_token)
    return tok, model, [encode(tok, p) for p in prompts], tokens


def _reference(model, prompt_ids: list[list[int]], label_ids) -> np.ndarray:
    """One unpadded forward pass per (example, label), full logits: the slow, obviously right way."""
    out = np.zeros((len(prompt_ids), len(label_ids)))
    with torch.no_grad():
        for i, ids in enumerate(prompt_ids):
            for j, word in enumerate(label_ids):
                seq = torch.tensor([ids + list(word)])
                logp = torch.log_softmax(model(seq).logits[0].float(), dim=-1)
                out[i, j] = sum(logp[len(ids) - 1 + k, t].item() for k, t in enumerate(word))
    return out


@pytest.mark.parametrize("arch", ["neox", "llama"])
def test_batched_scoring_equals_per_example_reference(arch: str, neox_dir: Path, llama_dir: Path) -> None:
    tok, model, ids, tokens = _setup(neox_dir if arch == "neox" else llama_dir)
    assert accepts_logits_to_keep(model)
    got = label_logprobs(model, ids, tokens.ids, pad_id=tok.pad_token_id, batch_size=3)
    np.testing.assert_allclose(got, _reference(model, ids, tokens.ids), atol=1e-4)


def test_multi_token_words_score_by_summed_log_probability(neox_dir: Path) -> None:
    tok, model, ids, tokens = _setup(neox_dir, ("기쁨", "놀라움", "슬픔 가득"), multi_token="sum")
    got = label_logprobs(model, ids, tokens.ids, pad_id=tok.pad_token_id, batch_size=4)
    np.testing.assert_allclose(got, _reference(model, ids, tokens.ids), atol=1e-4)


class _NoLogitsToKeep(torch.nn.Module):
    """A model whose forward has no ``logits_to_keep`` (older or custom architectures)."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def get_input_embeddings(self) -> torch.nn.Module:
        return self.inner.get_input_embeddings()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.inner(input_ids=input_ids, attention_mask=attention_mask)


class _IntLogitsToKeep(_NoLogitsToKeep):
    """A transformers-4.x-style forward: ``logits_to_keep`` must be an int (the last N positions)."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids=None, logits_to_keep=0):
        if not isinstance(logits_to_keep, int):
            raise TypeError("this model keeps the last N logits only")
        self.kept.append(logits_to_keep)
        return self.inner(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, logits_to_keep=logits_to_keep
        )


def test_models_without_logits_to_keep_get_the_same_scores(neox_dir: Path) -> None:
    tok, model, ids, tokens = _setup(neox_dir)
    wrapped = _NoLogitsToKeep(model)
    assert logits_mode(wrapped) == "full" and not accepts_logits_to_keep(wrapped)
    got = label_logprobs(wrapped, ids, tokens.ids, pad_id=tok.pad_token_id, batch_size=2)
    np.testing.assert_allclose(got, label_logprobs(model, ids, tokens.ids, pad_id=tok.pad_token_id), atol=1e-5)


@pytest.mark.parametrize("arch", ["neox", "llama"])
def test_int_only_logits_to_keep_uses_left_padding_and_matches_the_reference(
    arch: str, neox_dir: Path, llama_dir: Path
) -> None:
    tok, model, ids, tokens = _setup(neox_dir if arch == "neox" else llama_dir)
    wrapped = _IntLogitsToKeep(model)
    wrapped.kept = []
    assert logits_mode(wrapped) == "last" and logits_mode(model) == "positions"
    got = label_logprobs(wrapped, ids, tokens.ids, pad_id=tok.pad_token_id, batch_size=3)
    np.testing.assert_allclose(got, _reference(model, ids, tokens.ids), atol=1e-4)
    assert wrapped.kept == [1, 1]  # two batches, the last position's logits only
    probe = PromptFormat().render(Example("0", TEXTS[0]))
    summed = resolve_label_tokens(tok, probe, ("기쁨", "놀라움", "슬픔 가득"), " ", "sum")
    got = label_logprobs(wrapped, ids, summed.ids, pad_id=tok.pad_token_id, batch_size=4)
    np.testing.assert_allclose(got, _reference(model, ids, summed.ids), atol=1e-4)


def test_both_probability_readings() -> None:
    logprobs = np.log(np.array([[0.5, 0.2, 0.05], [0.01, 0.01, 0.02]]))
    probs = to_probabilities(logprobs)
    np.testing.assert_allclose(probs["vocab"], np.exp(logprobs))
    np.testing.assert_allclose(probs["label_softmax"].sum(axis=1), 1.0)
    np.testing.assert_allclose(probs["label_softmax"][1], [0.25, 0.25, 0.5])
    assert label_logprobs(None, [], [[1]], pad_id=0).shape == (0, 1)
