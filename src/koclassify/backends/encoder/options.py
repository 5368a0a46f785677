"""The encoder backend's options, declared once (types, choices, ranges), checked before any data is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from koclassify.backends.encoder.onnx import RUNTIMES
from koclassify.backends.encoder.tokenize import DEFAULT_MARKERS, TARGET_MODES
from koclassify.backends.encoder.windows import AGGREGATES
from koclassify.options import SWITCH, Options, opt, seed_opt

DEFAULT_MAX_LENGTH = 512  # the default window is the smaller of this and what the model accepts
POOLINGS = ("auto", "cls", "mean")
# the recipe's defaults: the KoBERT lyrics recipe, and the one measured for e5-small on 2 CPU cores (issue 24)
RECIPES: dict[str, dict[str, object]] = {
    "default": {"epochs": 10, "lr": 2e-5, "pooling": "auto", "prune_vocab": "off", "probe": "off", "head_lr": None},
    "e5-small": {"epochs": 2, "lr": 1e-4, "pooling": "mean", "prune_vocab": "on", "probe": "on", "head_lr": 1e-3},
}


def window(max_length: int, stride: int | None, max_target_tokens: int | None) -> tuple[int, int, int]:
    """(max_length, stride, max_target_tokens) with the derived defaults: stride max_length/4, target max_length/8."""
    stride = max_length // 4 if stride is None else stride
    max_target_tokens = max_length // 8 if max_target_tokens is None else max_target_tokens
    return max_length, stride, max_target_tokens


@dataclass
class EncoderOptions(Options):
    """Every option of the ``encoder`` backend (stored in the model's config.json); see ``EncoderBackend``."""

    owner: ClassVar[str] = "encoder backend"

    model: str | None = opt(None, help="Hugging Face name, local path, or built-in 'e5-small' (required)")
    epochs: float | None = opt(None, min=0, min_exclusive=True, help="training epochs (default 10; e5-small 2)")
    batch_size: int = opt(32, min=1)
    lr: float | None = opt(None, min=0, min_exclusive=True, help="encoder learning rate (2e-5; e5-small 1e-4)")
    head_lr: float | None = opt(None, min=0, min_exclusive=True, help="head learning rate (lr; e5-small 1e-3)")
    layer_decay: float = opt(1.0, min=0, max=1, min_exclusive=True, help="lr x decay^depth below the top layer")
    pooling: str = opt("auto", choices=POOLINGS, help="auto: the model's own head (cls); e5-small: mean")
    probe: str = opt("auto", choices=SWITCH, help="start the head from a logistic regression on frozen features")
    prune_vocab: str = opt("auto", choices=SWITCH, help="keep only the pieces seen in training (Unigram vocab)")
    prune_corpus: str | None = opt(None, help="a text file (one text a line) whose pieces are kept as well")
    progress_steps: int | None = opt(None, min=1, help="a progress line every N steps (default: ~20 per run)")
    warmup: float = opt(0.1, min=0, max=1, max_exclusive=True, help="fraction of the steps")
    grad_clip: float = opt(1.0, min=0)
    weight_decay: float = opt(0.01, min=0)
    grad_accum: int = opt(1, min=1)
    log_steps: int = opt(500, min=1)
    save_steps: int = opt(1000, min=1)
    max_length: int | None = opt(None, min=8, help="window tokens (default: the smaller of 512 and the model's limit)")
    stride: int | None = opt(None, min=0, help="tokens shared by consecutive windows (max_length // 4)")
    aggregate: str = opt("mean", choices=AGGREGATES)
    target_mode: str = opt("pair", choices=TARGET_MODES)
    max_target_tokens: int | None = opt(None, min=1, help="target tokens kept in pair mode (max_length // 8)")
    markers: list[str] = opt(list(DEFAULT_MARKERS), help="opening and closing target markers")
    pos_weight: str | dict[str, float] | None = opt(None, help="multi-label: null, 'auto' or {label: weight}")
    bf16: bool | str = opt("auto", choices=(True, False, "auto"))
    group_by_length: bool = opt(True)
    seed: int = seed_opt()
    checkpoint_dir: str | None = opt(None)
    resume: bool | str = opt(False, help="true: newest checkpoint in checkpoint_dir, or a checkpoint path")
    eval_windows: int = opt(64, min=1)
    runtime: str = opt("auto", choices=RUNTIMES)
    onnx_threads: int | None = opt(None, min=1)

    def check(self) -> None:
        if not self.model:
            raise self.fail("model", "NAME_OR_PATH of an encoder (e.g. klue/roberta-base or a local dir)")
        if isinstance(self.pos_weight, str) and self.pos_weight != "auto":
            raise self.fail("pos_weight", "null, 'auto' or a {label: weight} dict")
        if len(self.markers) != 2:
            raise self.fail("markers", "two strings (opening, closing)")
        self.check_window(self.max_length or DEFAULT_MAX_LENGTH)
        base = RECIPES.get(self.model or "", RECIPES["default"])
        pooling = base["pooling"] if self.pooling == "auto" else self.pooling
        if (base["probe"] if self.probe == "auto" else self.probe) == "on" and pooling == "auto":
            raise self.fail("probe", "off unless pooling is mean or cls (the probe fits the pooled features)")

    def recipe(self) -> EncoderOptions:
        """These options with every ``None``/``auto`` recipe value filled in for this model (see ``RECIPES``)."""
        base = RECIPES.get(self.model or "", RECIPES["default"])
        changes = {
            name: base[name]
            for name in ("epochs", "lr", "head_lr")
            if getattr(self, name) is None and base[name] is not None
        }
        changes.update(
            {name: base[name] for name in ("pooling", "probe", "prune_vocab") if getattr(self, name) == "auto"}
        )
        return self.replace(**changes)

    def check_window(self, max_length: int) -> tuple[int, int, int]:
        length, stride, target = window(max_length, self.stride, self.max_target_tokens)
        if length - target <= stride:
            raise self.fail("stride", f"less than max_length - max_target_tokens ({length} - {target})")
        return length, stride, target
