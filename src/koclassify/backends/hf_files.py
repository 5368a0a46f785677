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
