"""What a stored Hugging Face directory may hold before transformers is let near it.

transformers imports a ``.py`` named by a config's ``auto_map`` (after asking on stdin when ``trust_remote_code``
is left out), builds whatever shape a config describes before reading any weight, and honours loading switches
(``quantization_config``, ``attn_implementation``) written into the config. Here each of those is checked first,
so a model directory that abuses them is one clean :class:`ModelError` line naming the file.
"""

from __future__ import annotations

from pathlib import Path

from koclassify.errors import ModelError

# the files in which Hugging Face looks for ``auto_map`` (a class to import from a .py beside the weights)
CODE_MAP_FILES = ("config.json", "tokenizer_config.json")


def refuse_custom_code(name_or_path: str | Path, trust_remote_code: bool) -> None:
    """A local model directory whose config names its own code (``auto_map``) is refused unless the person passed
    ``trust_remote_code``: one clean line instead of transformers' prompt or its multi-line error."""
    from koclassify.io import read_json

    if trust_remote_code:
        return
    path = Path(name_or_path)
    for name in CODE_MAP_FILES:
        if not (path / name).is_file():
            continue
        try:
            config = read_json(path / name)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path / name}: unreadable: {one_line(exc)}") from None
        if isinstance(config, dict) and "auto_map" in config:
            raise ModelError(
                f"{path / name}: names code shipped with the model (auto_map); koclassify runs no code from a "
                "model unless you pass --trust-remote-code (Classifier.load(..., trust_remote_code=True), llm only)"
            )


def one_line(exc: BaseException, limit: int = 400) -> str:
    """An exception's message on one line, capped (transformers' messages run over several lines)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# switches a stored config must not flip: how weights are loaded is koclassify's (and the person's) choice
REFUSED_KEYS = {
    "quantization_config": "asks for quantised loading",
    "attn_implementation": "chooses the attention implementation",
    "_attn_implementation": "chooses the attention implementation",
}
# sizes no real checkpoint exceeds: a bigger value would make transformers build a model before reading a weight
SIZE_LIMITS = {
    "num_hidden_layers": 1024, "num_layers": 1024, "n_layer": 1024,
    "hidden_size": 65536, "n_embd": 65536, "d_model": 65536,
    "intermediate_size": 1 << 20, "n_inner": 1 << 20,
    "num_attention_heads": 1024, "n_head": 1024, "num_key_value_heads": 1024,
    "vocab_size": 4_000_000, "max_position_embeddings": 1 << 24, "n_positions": 1 << 24, "type_vocab_size": 1024,
}  # fmt: skip
MAX_HEADER = 100 * 2**20  # a safetensors JSON header of more than this is not a real one
_DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2,
                "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}  # fmt: skip


def check_stored_model(directory: Path, *, trust_remote_code: bool = False) -> dict:
    """A stored Hugging Face model (``config.json`` + safetensors) before transformers builds anything from it:
    no ``auto_map`` unless the person trusts it (:func:`refuse_custom_code`), no loading switches, sizes
    within :data:`SIZE_LIMITS` and no larger than the stored weights can fill, and each safetensors file whole.
    Returns the config."""
    from koclassify.io import read_json

    refuse_custom_code(directory, trust_remote_code)
    path = directory / "config.json"
    try:
        config = read_json(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; the model directory is incomplete") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable: {one_line(exc)}") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path}: expected a JSON object, got {type(config).__name__}")
    for key, what in REFUSED_KEYS.items():
        if config.get(key) is not None:
            raise ModelError(f"{path}: '{key}' {what}; a stored model is loaded as it was saved: refused")
    for key, limit in SIZE_LIMITS.items():
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            raise ModelError(f"{path}: '{key}' must be an integer in [0, {limit}], got {str(value)[:40]}")
    stored = sum(safetensors_elements(p) for p in sorted(directory.glob("*.safetensors")))
    layers = _first(config, "num_hidden_layers", "num_layers", "n_layer")
    hidden = _first(config, "hidden_size", "n_embd", "d_model")
    needed = layers * hidden * hidden  # every layer holds at least one hidden x hidden matrix
    if stored and needed > 2 * stored:
        raise ModelError(
            f"{path}: describes {layers} layers of width {hidden} (at least {needed:,} weights) but the stored "
            f"weights hold {stored:,}: refused before building it"
        )
    return config


def _first(config: dict, *keys: str) -> int:
    return next((int(config[k]) for k in keys if isinstance(config.get(k), int)), 0)


def safetensors_header(path: Path) -> dict:
    """The tensors a safetensors file holds (name -> dtype, shape, offsets), after checking that its header
    describes exactly the bytes that follow it (a truncated or padded file is a :class:`ModelError`, not a
    ``SafetensorError`` traceback)."""
    import json
    import math
    import struct

    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ValueError("shorter than its 8-byte header length")
            (length,) = struct.unpack("<Q", head)
            if length > min(MAX_HEADER, size - 8):
                raise ValueError(f"header of {length} bytes in a file of {size}")
            header = json.loads(fh.read(length).decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
        header.pop("__metadata__", None)
        end = 0
        for name, info in header.items():
            shape, (start, stop) = info["shape"], info["data_offsets"]
            need = math.prod(shape) * _DTYPE_BYTES.get(info["dtype"], 1)
            if info["dtype"] in _DTYPE_BYTES and stop - start != need:
                raise ValueError(f"tensor {name!r}: shape {shape} needs {need} bytes, its offsets give {stop - start}")
            end = max(end, stop)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ModelError(f"{path}: not a whole safetensors file: {one_line(exc)}") from None
    if 8 + length + end != size:
        raise ModelError(f"{path}: truncated or padded: its header describes {8 + length + end} bytes, it has {size}")
    return header


def safetensors_elements(path: Path) -> int:
    """Elements stored in a (checked) safetensors file."""
    import math

    return sum(math.prod(info["shape"]) for info in safetensors_header(path).values())


def check_adapter(directory: Path) -> None:
    """A stored LoRA adapter before PEFT builds it: ``r`` an integer that its weights have (PEFT would build
    matrices of any rank, then fail to copy the stored ones in with a ``RuntimeError``), the weights whole."""
    from koclassify.io import read_json

    path = directory / "adapter_config.json"
    try:
        config = read_json(path)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable: {one_line(exc)}") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path}: expected a JSON object, got {type(config).__name__}")
    rank = config.get("r")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 65536:
        raise ModelError(f"{path}: 'r' must be an integer in [1, 65536], got {str(rank)[:40]}")
    ranks = set()
    for weights in sorted(directory.glob("*.safetensors")):
        header = safetensors_header(weights)
        ranks |= {info["shape"][0] for name, info in header.items() if ".lora_A." in name and info["shape"]}
    if ranks and not config.get("rank_pattern") and ranks != {rank}:
        raise ModelError(f"{path}: r {rank} but the stored adapter weights have rank {sorted(ranks)}")
