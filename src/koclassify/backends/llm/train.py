"""Model loading, LoRA / 4-bit QLoRA set-up and the training run (Hugging Face ``Trainer``).

``Trainer`` is used so that ``accelerate launch`` / ``torchrun`` (DDP, FSDP, DeepSpeed ZeRO-3 through an
accelerate config) work without code changes, and checkpoints hold everything needed to resume (adapter or
weights, optimizer, scheduler, RNG state). The loss is computed by :func:`data.label_token_loss` on the
label positions only.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from koclassify.backends import hf_files, hf_training
from koclassify.backends.hf_training import (
    checkpointing_args,
    common_args,
    resolve_resume,
    sampling_args,
    train_and_report,
)
from koclassify.backends.llm import deps
from koclassify.backends.llm.data import LabelTokenCollator, label_token_loss
from koclassify.backends.llm.scoring import accepts_logits_to_keep
from koclassify.errors import ModelError

if TYPE_CHECKING:
    from koclassify.backends.llm.options import LLMOptions

# The NIKL 2023 recipe's modules for polyglot-ko, and the attention + MLP projections of Llama-style models.
GPT_NEOX_MODULES = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]
LLAMA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TARGET_MODULES: dict[str, list[str]] = {
    "gpt_neox": GPT_NEOX_MODULES,
    "llama": LLAMA_MODULES,
    "mistral": LLAMA_MODULES,
    "qwen2": LLAMA_MODULES,
    "qwen3": LLAMA_MODULES,
    "gemma": LLAMA_MODULES,
    "gemma2": LLAMA_MODULES,
}


def target_modules_for(model_type: str, override: list[str] | str | None = None) -> list[str] | str | None:
    """LoRA target modules: the override, else the per-architecture list, else ``None`` (PEFT's defaults)."""
    if override:
        return override
    return TARGET_MODULES.get(model_type)


def quantization_config() -> Any:
    """The QLoRA recipe: 4-bit NF4 weights, double quantisation, bf16 compute."""
    deps.bitsandbytes()
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


_cpu_notice_shown = False


def quantized_device() -> int | str:
    """Where a 4-bit base goes: this process's own GPU (``LOCAL_RANK`` under DDP, one full copy per process),
    else the CPU, where bitsandbytes runs NF4 layers too: it works, slowly, so it is said once per process."""
    global _cpu_notice_shown
    import torch

    if torch.cuda.is_available():
        return hf_training.local_device_index()
    deps.check_cpu_bitsandbytes()
    # paging moves optimizer states between GPU and CPU memory; on the CPU bitsandbytes skips it, and says so
    warnings.filterwarnings("ignore", message="Paged optimizers are not supported on CPU")
    if not _cpu_notice_shown:
        _cpu_notice_shown = True
        print("koclassify llm: no CUDA GPU: the 4-bit base runs on the CPU (slow: for tests and small models)",
              file=sys.stderr)  # fmt: skip
    return "cpu"


def load_tokenizer(name_or_path: str, *, trust_remote_code: bool = False) -> Any:
    """``AutoTokenizer`` with a pad token (EOS when the tokenizer has none, as polyglot-ko)."""
    return hf_training.load_tokenizer(name_or_path, pad_with_eos=True, trust_remote_code=trust_remote_code)


def load_causal_lm(
    name_or_path: str | Path, *, qlora: bool = False, bf16: bool = False, trust_remote_code: bool = False
) -> Any:
    """``AutoModelForCausalLM.from_pretrained``: bf16 weights when training in bf16, 4-bit with ``qlora``."""
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if bf16 else torch.float32}
    if qlora:
        kwargs["quantization_config"] = quantization_config()
        kwargs["device_map"] = {"": quantized_device()}
    hf_files.refuse_custom_code(name_or_path, trust_remote_code)
    try:  # trust_remote_code always explicit: left out, transformers asks on stdin and runs the code on "y"
        return AutoModelForCausalLM.from_pretrained(
            str(name_or_path), trust_remote_code=bool(trust_remote_code), **kwargs
        )
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load a causal LM from {str(name_or_path)!r}: {hf_files.one_line(exc)}") from None
    except ImportError as exc:  # transformers' own check of the bitsandbytes version, e.g. ">=0.46.1"
        raise ModelError(f"cannot load {str(name_or_path)!r} in 4 bits: {hf_files.one_line(exc)}") from None


def add_lora(
    model: Any,
    *,
    r: int = 16,
    alpha: int = 32,
    dropout: float = 0.01,
    target_modules: list[str] | str | None = None,
    qlora: bool = False,
    gradient_checkpointing: bool = False,
) -> Any:
    """Wrap ``model`` in a PEFT LoRA model (after k-bit preparation for QLoRA)."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if qlora:
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=target_modules_for(model.config.model_type, target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as exc:
        raise ModelError(
            f"LoRA set-up failed for model type {model.config.model_type!r}: {exc}; "
            "pass target_modules=[...] naming its linear layers"
        ) from None


def run_training(
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, list[int]]],
    dev_rows: list[dict[str, list[int]]] | None,
    config: LLMOptions,
    *,
    label_logits_only: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Train ``model`` on label-token rows; returns the trained (unwrapped) model and run statistics.

    ``config``: the backend's own options (declared once, in :class:`LLMOptions`), with what this machine decided
    filled in: ``bf16`` as true or false, not ``"auto"``. ``label_logits_only``:
    project only label positions onto the vocabulary (when the model can); off only to measure what it saves."""
    import torch
    from transformers import Trainer, TrainingArguments

    resume_from = resolve_resume(config.resume, config.checkpoint_dir)
    keep_label_logits = label_logits_only and accepts_logits_to_keep(model)
    steps_per_epoch = max(1, -(-len(rows) // (config.batch_size * config.grad_accum)))
    total_steps = int(steps_per_epoch * config.epochs)
    with tempfile.TemporaryDirectory(prefix="koclassify-llm-") as scratch:
        output_dir = config.checkpoint_dir or scratch
        # checkpoints are needed to resume (checkpoint_dir) and to pick the best epoch on dev data; the best-epoch
        # choice needs saves aligned with the per-epoch evaluations, so dev data overrides save_steps
        if dev_rows:
            save_strategy = "epoch"
        elif config.save_steps:
            save_strategy = "steps"
        else:
            save_strategy = "epoch" if config.checkpoint_dir else "no"
        args = TrainingArguments(
            **common_args(config, output_dir, has_dev=bool(dev_rows)),
            **checkpointing_args(config.checkpointing),
            **sampling_args(config.group_by_length),
            eval_strategy="epoch" if dev_rows else "no",
            save_strategy=save_strategy,
            save_steps=config.save_steps or 500,
            save_total_limit=2,
            logging_strategy="steps",
            logging_steps=max(1, total_steps // 50),
            optim="paged_adamw_8bit" if config.qlora else "adamw_torch",  # QLoRA: paged 8-bit AdamW
            dataloader_pin_memory=torch.cuda.is_available(),
            ddp_find_unused_parameters=False,  # every LoRA weight is used in every step
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=rows,
            eval_dataset=dev_rows or None,
            data_collator=LabelTokenCollator(tokenizer.pad_token_id, keep_label_logits_only=keep_label_logits),
            processing_class=tokenizer,
            compute_loss_func=label_token_loss if keep_label_logits else None,
        )
        stats = train_and_report(trainer, rows, resume_from, "llm")
        stats.update(label_logits_only=keep_label_logits, optimizer=optimizer_name(trainer.optimizer))
        trained = trainer.model
    return trained, stats


def optimizer_name(optimizer: Any) -> str:
    """The optimizer ``Trainer`` built from ``optim`` (accelerate wraps it): QLoRA's ``paged_adamw_8bit`` is
    bitsandbytes' ``AdamW`` with 8-bit states and paging (the class behind ``bnb.optim.PagedAdamW8bit``)."""
    inner = getattr(optimizer, "optimizer", optimizer)
    name = f"{type(inner).__module__.split('.')[0]}.{type(inner).__name__}"
    bits = getattr(getattr(inner, "args", None), "optim_bits", None)
    if bits is not None:  # a bitsandbytes optimizer
        name += f" ({bits}-bit{', paged' if getattr(inner, 'is_paged', False) else ''})"
    return name
