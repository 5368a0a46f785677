"""Training rows: the loss covers exactly the label token(s); collation and the label-only loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from koclassify.backends.llm.data import (
    IGNORE,
    LabelTokenCollator,
    expand_rows,
    label_token_loss,
    make_row,
    predicts_label_mask,
)
from koclassify.backends.llm.prompt import PromptFormat, encode, resolve_label_tokens
from koclassify.backends.llm.train import load_tokenizer
from koclassify.data.read import read_examples
from koclassify.samples import sample_path


@pytest.fixture(scope="module")
def nikl(neox_dir: Path):
    """The first 30 bundled NIKL rows as prompts, prompt ids and gold, with the tiny tokenizer."""
    from koclassify import LabelSpace

    examples = read_examples(sample_path("nikl_train.jsonl")).examples[:30]
    space = LabelSpace.from_examples(examples)
    tok = load_tokenizer(str(neox_dir))
    fmt = PromptFormat()
    prompts = [fmt.render(ex) for ex in examples]
    words = ["기쁨", "기대", "신뢰", "당황", "혐오", "공포", "분노", "슬픔"]
    tokens = resolve_label_tokens(tok, prompts[0], [dict(zip(space.names, words))[n] for n in space.names], " ")
    return tok, fmt, prompts, [encode(tok, p) for p in prompts], space.indicator(examples), tokens


def test_loss_mask_covers_exactly_the_label_token(nikl) -> None:
    tok, _, prompts, ids, y, tokens = nikl
    rows = expand_rows(ids, y, tokens)
    assert len(rows) == int(y.sum())  # one row per true label (the seed's expansion)
    k = 0
    for i, prompt_ids in enumerate(ids):
        for j in np.flatnonzero(y[i]):
            row = rows[k]
            k += 1
            scored = [p for p, lab in enumerate(row["labels"]) if lab != IGNORE]
            assert scored == [len(prompt_ids)]
            assert row["labels"][len(prompt_ids)] == row["input_ids"][-1] == tokens.ids[j][0]
            assert tok.decode(row["input_ids"][: len(prompt_ids)]) == prompts[i]
            assert tok.decode(row["input_ids"]) == prompts[i] + " " + tokens.words[j]


def test_joint_rows_list_every_label_and_shuffle_the_first(nikl) -> None:
    tok, fmt, prompts, ids, y, tokens = nikl
    rows = expand_rows(ids, y, tokens, expand="joint", tokenizer=tok, prompts=prompts, fmt=fmt, seed=3)
    assert len(rows) == len(ids)
    firsts = []
    for i, row in enumerate(rows):
        answer = tok.decode([t for t in row["labels"] if t != IGNORE])
        expected = {tokens.words[j] for j in np.flatnonzero(y[i])}
        assert answer.startswith(" ") and set(answer[1:].split(", ")) == expected
        firsts.append(row["labels"][len(ids[i])])
    # the first answer token (the one scoring reads) is not always the label that comes first in label order
    multi = [i for i in range(len(ids)) if y[i].sum() > 1]
    in_label_order = [firsts[i] == tokens.ids[int(np.flatnonzero(y[i])[0])][0] for i in multi]
    assert len(multi) >= 3 and not all(in_label_order)


def test_rows_without_labels_are_skipped_and_modes_checked(nikl) -> None:
    _, _, _, ids, y, tokens = nikl
    y = y.copy()
    y[0] = 0
    assert len(expand_rows(ids, y, tokens)) == int(y.sum())
    with pytest.raises(ValueError, match="expand"):
        expand_rows(ids, y, tokens, expand="both")


def test_collator_pads_right_and_keeps_logits_before_labels() -> None:
    batch = LabelTokenCollator(pad_id=0)([make_row([5, 6, 7], [9]), make_row([5], [9, 8])])
    assert batch["input_ids"].tolist() == [[5, 6, 7, 9], [5, 9, 8, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["labels"].tolist() == [[IGNORE, IGNORE, IGNORE, 9], [IGNORE, 9, 8, IGNORE]]
    assert batch["logits_to_keep"].tolist() == [[False, False, True, False], [True, True, False, False]]
    assert "logits_to_keep" not in LabelTokenCollator(0, keep_label_logits_only=False)([make_row([1], [2])])


def test_label_only_loss_equals_the_models_own_loss(neox_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(neox_dir)
    rows = [make_row([5, 6, 7, 8], [800]), make_row([9, 10], [801]), make_row([11, 12, 13], [802, 803])]
    batch = LabelTokenCollator(pad_id=0)(rows)
    kept = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=batch["logits_to_keep"]
    )
    assert kept.logits.shape == (4, model.config.vocab_size)  # four label tokens, no other position
    ours = label_token_loss(kept, batch["labels"])
    reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    assert torch.allclose(ours, reference.loss, atol=1e-5)
    # with gradient accumulation the Trainer passes the token count of the whole accumulated batch
    halves = [LabelTokenCollator(0)(rows[:1]), LabelTokenCollator(0)(rows[1:])]
    total = sum(
        label_token_loss(
            model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], logits_to_keep=b["logits_to_keep"]),
            b["labels"],
            num_items_in_batch=torch.tensor(4),
        )
        for b in halves
    )
    assert torch.allclose(total, reference.loss, atol=1e-5)


def test_loss_refuses_logits_for_every_position() -> None:
    labels = torch.tensor([[IGNORE, 3]])
    full = type("Out", (), {"logits": torch.zeros(1, 2, 5)})()
    with pytest.raises(RuntimeError, match="ignored logits_to_keep"):
        label_token_loss(full, labels)
    assert predicts_label_mask(labels).tolist() == [[True, False]]
