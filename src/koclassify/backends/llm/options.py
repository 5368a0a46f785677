"""The llm backend's options: one typed, validated record, so a typo in ``-O key=value`` fails before training."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from koclassify.backends.llm.prompt import DEFAULT_TEMPLATE, MULTI_TOKEN_MODES, NO_TARGET, template_fields
from koclassify.errors import KoclassifyError, ModelError

SCORES = ("auto", "label_softmax", "vocab")
EXPANDS = ("per_label", "joint")


class LLMOptionError(KoclassifyError, ValueError):
    """A bad llm backend option: one line naming it (a ValueError too, as the other backends raise)."""


@dataclass
class LLMOptions:
    """Every option of the ``llm`` backend (all JSON values; stored in the model's config.json).

    model: base model name or path for ``AutoModelForCausalLM`` / ``AutoTokenizer`` (required).
    template: ``str.format`` prompt over ``{text}``, ``{target}`` and any column in ``Example.fields``;
        it should end with a literal cue such as ``### 감정:``.
    verbalizer: ``{label: word}``; unlisted labels use the NIKL Korean words (joy -> 기쁨 ...) or their name.
    answer_prefix: text between the prompt and the word (``" "``: the word's leading-space token).
    no_target: what ``{target}`` says for rows without a target span.
    expand: ``per_label`` (one training row per true label) or ``joint`` (one row listing all labels).
    epochs, batch_size, grad_accum, lr: training loop (seed: 4, 2, 1, 2e-4).
    lora, lora_r, lora_alpha, lora_dropout, target_modules: LoRA (seed: r 16, alpha 32, dropout 0.01);
        ``lora=False`` fine-tunes every weight (tiny models).
    qlora: 4-bit NF4 base with double quantisation and bf16 compute, paged 8-bit AdamW (needs bitsandbytes;
        on the process's GPU, else on the CPU: slow, for tests and small models).
    bf16: ``"auto"`` (when the GPU supports it), true or false.
    gradient_checkpointing: ``"auto"`` (on with qlora: the 24 GB recipe), true or false.
    group_by_length: batches of similar length (less padding).
    max_length: prompt tokens kept (the middle of longer prompts is cut); answer tokens come on top.
    score: ``auto`` (multi-label: ``vocab``, multi-class: ``label_softmax``), ``vocab`` or ``label_softmax``.
    multi_token: ``error`` (every word must be one token) or ``sum`` (summed log-probability of its tokens).
    merge_adapter: save the adapter merged into the base weights (the adapter is saved as well); with qlora,
        into the dequantised 4-bit weights (a full-precision model that computes what the 4-bit one did).
    seed, checkpoint_dir, save_steps, resume: reproducibility, checkpoints (per epoch, or every ``save_steps``)
        and resuming (``true``: newest checkpoint in ``checkpoint_dir``, or a checkpoint path).
    eval_batch_size: rows per scoring forward pass.
    trust_remote_code: passed to ``from_pretrained`` (architectures that ship their own code, e.g. EXAONE 3.x).
    """

    model: str | None = None
    template: str = DEFAULT_TEMPLATE
    verbalizer: dict[str, str] | None = None
    answer_prefix: str = " "
    no_target: str = NO_TARGET
    expand: str = "per_label"
    epochs: float = 4
    batch_size: int = 2
    grad_accum: int = 1
    lr: float = 2e-4
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.01
    target_modules: list[str] | None = None
    qlora: bool = False
    bf16: bool | str = "auto"
    gradient_checkpointing: bool | str = "auto"
    group_by_length: bool = True
    max_length: int = 512
    score: str = "auto"
    multi_token: str = "error"
    merge_adapter: bool = False
    seed: int = 0
    checkpoint_dir: str | None = None
    save_steps: int | None = None
    resume: bool | str = False
    eval_batch_size: int = 8
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        if not self.model:
            raise ModelError(
                "the llm backend needs model=NAME_OR_PATH of a causal LM (e.g. EleutherAI/polyglot-ko-1.3b)"
            )
        self.model = str(self.model)
        _check_choice("expand", self.expand, EXPANDS)
        _check_choice("score", self.score, SCORES)
        _check_choice("multi_token", self.multi_token, MULTI_TOKEN_MODES)
        template_fields(self.template)
        if self.verbalizer is not None and not (
            isinstance(self.verbalizer, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in self.verbalizer.items())
        ):
            raise LLMOptionError("verbalizer must be a {label: word} dict of strings")
        self.verbalizer = dict(self.verbalizer) if self.verbalizer else None
        self.target_modules = list(self.target_modules) if self.target_modules else None
        self.checkpoint_dir = str(self.checkpoint_dir) if self.checkpoint_dir else None
        self.resume = self.resume if isinstance(self.resume, bool) else str(self.resume)
        for name in ("bf16", "gradient_checkpointing"):
            if getattr(self, name) != "auto" and not isinstance(getattr(self, name), bool):
                raise LLMOptionError(f"{name} must be true, false or 'auto', got {getattr(self, name)!r}")
        if self.qlora and not self.lora:
            raise LLMOptionError("qlora=True trains LoRA adapters on a 4-bit base: it needs lora=True")
        if self.merge_adapter and not self.lora:
            raise LLMOptionError("merge_adapter=true merges a LoRA adapter: it needs lora=true")
        if self.max_length < 8:
            raise LLMOptionError(f"max_length must be at least 8, got {self.max_length}")
        for name in ("batch_size", "grad_accum", "eval_batch_size", "lora_r"):
            if int(getattr(self, name)) < 1:
                raise LLMOptionError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if float(self.epochs) <= 0:
            raise LLMOptionError(f"epochs must be positive, got {self.epochs!r}")

    @classmethod
    def parse(cls, options: dict[str, Any]) -> LLMOptions:
        """Build from keyword options; an unknown key fails with the list of known ones."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise LLMOptionError(f"unknown llm backend option(s) {unknown}; known options: {known}")
        return cls(**options)

    @property
    def checkpointing(self) -> bool:
        """Gradient checkpointing on: asked for, or ``auto`` with a 4-bit base (the one-24-GB-GPU recipe)."""
        if self.gradient_checkpointing == "auto":
            return bool(self.qlora)
        return bool(self.gradient_checkpointing)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise LLMOptionError(f"{name} must be one of {list(choices)}, got {value!r}")
