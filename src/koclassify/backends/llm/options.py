"""The llm backend's options: one typed, validated record, so a typo in ``-O key=value`` fails before training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from koclassify.backends.llm.prompt import DEFAULT_TEMPLATE, MULTI_TOKEN_MODES, NO_TARGET, template_fields
from koclassify.options import OptionError, Options, opt, seed_opt

SCORES = ("auto", "label_softmax", "vocab")
EXPANDS = ("per_label", "joint")


LLMOptionError = OptionError  # the name earlier releases raised; every option error is an OptionError now


@dataclass
class LLMOptions(Options):
    """Every option of the ``llm`` backend (all JSON values; stored in the model's config.json).

    model: base model name or path for ``AutoModelForCausalLM`` / ``AutoTokenizer`` (required).
    template: ``str.format`` prompt over ``{text}``, ``{target}`` and any column in ``Example.fields``;
        it should end with a literal cue such as ``### 감정:``.
    verbalizer: ``{label: word}``; unlisted labels use the NIKL Korean words (joy -> 기쁨 ...) or their name.
    answer_prefix: text between the prompt and the word (``" "``: the word's leading-space token).
    no_target: what ``{target}`` says for rows without a target span.
    expand: ``per_label`` (one training row per true label) or ``joint`` (one row listing all labels).
    epochs, batch_size, grad_accum, lr: training loop (the NIKL 2023 recipe: 4, 2, 1, 2e-4).
    lora, lora_r, lora_alpha, lora_dropout, target_modules: LoRA (the NIKL 2023 recipe: r 16, alpha 32, dropout 0.01);
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

    owner: ClassVar[str] = "llm backend"

    model: str | None = opt(None, help="causal LM name or path (required)")
    template: str = opt(DEFAULT_TEMPLATE, check=template_fields)
    verbalizer: dict[str, str] | None = opt(None)
    answer_prefix: str = opt(" ")
    no_target: str = opt(NO_TARGET)
    expand: str = opt("per_label", choices=EXPANDS)
    epochs: float = opt(4, min=0, min_exclusive=True)
    batch_size: int = opt(2, min=1)
    grad_accum: int = opt(1, min=1)
    lr: float = opt(2e-4, min=0, min_exclusive=True)
    lora: bool = opt(True)
    lora_r: int = opt(16, min=1)
    lora_alpha: int = opt(32, min=1)
    lora_dropout: float = opt(0.01, min=0, max=1, max_exclusive=True)
    target_modules: list[str] | None = opt(None)
    qlora: bool = opt(False)
    bf16: bool | str = opt("auto", choices=(True, False, "auto"))
    gradient_checkpointing: bool | str = opt("auto", choices=(True, False, "auto"))
    group_by_length: bool = opt(True)
    max_length: int = opt(512, min=8)
    score: str = opt("auto", choices=SCORES)
    multi_token: str = opt("error", choices=MULTI_TOKEN_MODES)
    merge_adapter: bool = opt(False)
    seed: int = seed_opt()
    checkpoint_dir: str | None = opt(None)
    save_steps: int | None = opt(None, min=1)
    resume: bool | str = opt(False)
    eval_batch_size: int = opt(8, min=1)
    trust_remote_code: bool = opt(False)

    def check(self) -> None:
        if not self.model:
            raise self.fail("model", "NAME_OR_PATH of a causal LM (e.g. EleutherAI/polyglot-ko-1.3b)")
        self.target_modules = self.target_modules or None
        self.verbalizer = self.verbalizer or None
        if self.qlora and not self.lora:
            raise self.fail("qlora", "false unless lora=true (qlora trains LoRA adapters on a 4-bit base)")
        if self.merge_adapter and not self.lora:
            raise self.fail("merge_adapter", "false unless lora=true (it merges a LoRA adapter)")

    @property
    def checkpointing(self) -> bool:
        """Gradient checkpointing on: asked for, or ``auto`` with a 4-bit base (the one-24-GB-GPU recipe)."""
        if self.gradient_checkpointing == "auto":
            return bool(self.qlora)
        return bool(self.gradient_checkpointing)
