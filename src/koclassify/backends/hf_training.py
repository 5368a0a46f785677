"""What the Hugging Face backends (``encoder``, ``llm``) share around ``Trainer``: bf16 and resume choices, and
``TrainingArguments`` names that changed between transformers 4.x and 5.x (read from the installed version)."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

from koclassify.backends.hf_files import one_line, refuse_custom_code
from koclassify.errors import ModelError


def load_tokenizer(name_or_path: str | Path, *, pad_with_eos: bool = False, trust_remote_code: bool = False) -> Any:
    """``AutoTokenizer`` with a pad token: the model's own, or (``pad_with_eos``, causal LMs such as polyglot-ko)
    its EOS token; an encoder without one is the wrong model."""
    from transformers import AutoTokenizer

    refuse_custom_code(name_or_path, trust_remote_code)
    try:  # trust_remote_code always explicit (False unless the person said so): never transformers' prompt
        tokenizer = AutoTokenizer.from_pretrained(str(name_or_path), trust_remote_code=bool(trust_remote_code))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load a tokenizer from {str(name_or_path)!r}: {one_line(exc)}") from None
    except Exception as exc:  # the Rust tokenizers library raises a bare Exception for a malformed tokenizer.json
        if type(exc) is not Exception:
            raise
        raise ModelError(f"cannot load a tokenizer from {str(name_or_path)!r}: {one_line(exc)}") from None
    if tokenizer.pad_token_id is None:
        if not pad_with_eos:
            raise ModelError(f"tokenizer {str(name_or_path)!r} has no pad token: is it an encoder's tokenizer?")
        if tokenizer.eos_token_id is None:
            raise ModelError(f"tokenizer {str(name_or_path)!r} has neither a pad nor an EOS token to pad with")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def local_device_index() -> int:
    """This process's GPU under torchrun / accelerate launch (``LOCAL_RANK``), 0 in a single process."""
    import os

    return int(os.environ.get("LOCAL_RANK", 0))


def resolve_bf16(setting: bool | str) -> bool:
    """``"auto"``: bf16 exactly when a CUDA GPU that supports it is present."""
    if setting == "auto":
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if not isinstance(setting, bool):
        raise ValueError(f"bf16 must be true, false or 'auto', got {setting!r}")
    return setting


def resolve_resume(resume: bool | str, checkpoint_dir: str | None) -> str | None:
    """The checkpoint to resume from: ``True`` = the newest in ``checkpoint_dir`` (none yet: start afresh)."""
    from transformers.trainer_utils import get_last_checkpoint

    if resume is False or resume is None:
        return None
    if resume is True:
        if not checkpoint_dir:
            raise ModelError("resume=True needs checkpoint_dir= (where the checkpoints are written)")
        if not Path(checkpoint_dir).is_dir():
            return None
        return get_last_checkpoint(checkpoint_dir)
    path = Path(str(resume))
    if not (path / "trainer_state.json").is_file():
        raise ModelError(f"resume={str(resume)!r} is not a training checkpoint (no trainer_state.json)")
    return str(path)


def checkpoint_progress(checkpoint: str | None) -> tuple[int, int | None]:
    """(global step, planned max steps) of a checkpoint, read *before* training: Trainer's checkpoint rotation
    may delete the resumed-from checkpoint while it trains."""
    import json

    if checkpoint is None:
        return 0, None
    try:
        state = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
        return int(state["global_step"]), (int(state["max_steps"]) if state.get("max_steps") else None)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{checkpoint}: unreadable trainer_state.json: {exc}") from None


def finished_note(checkpoint: str | None, start: int, planned: int | None, steps: int) -> str | None:
    """Say so when a resume had nothing left to train (the checkpoint had finished): its weights are kept."""
    if checkpoint is None or steps > start:
        return None
    import warnings

    note = (
        f"resumed from {checkpoint}, which had already finished training (step {start}"
        f"{f' of {planned}' if planned else ''}): 0 steps trained, its weights are saved as they are; "
        "raise epochs to train further, or use a new checkpoint_dir to start afresh"
    )
    warnings.warn(note, UserWarning, stacklevel=3)
    return note


@cache
def argument_names() -> frozenset[str]:
    """The fields of the installed ``TrainingArguments``."""
    from transformers import TrainingArguments

    return frozenset(f.name for f in dataclasses.fields(TrainingArguments))


def sampling_args(group_by_length: bool) -> dict[str, Any]:
    """Length-grouped batches: ``train_sampling_strategy`` in recent transformers, ``group_by_length`` before."""
    if "train_sampling_strategy" in argument_names():
        return {"train_sampling_strategy": "group_by_length" if group_by_length else "random"}
    return {"group_by_length": group_by_length}


def warmup_args(ratio: float) -> dict[str, Any]:
    """Warm-up as a share of all steps: ``warmup_ratio`` in 4.x; 5.x reads a float < 1 in ``warmup_steps`` so."""
    return {"warmup_ratio": ratio} if "warmup_ratio" in argument_names() else {"warmup_steps": ratio}


def checkpointing_args(enabled: bool) -> dict[str, Any]:
    """Gradient (activation) checkpointing under the argument names this transformers version uses."""
    kwargs = {"use_reentrant": False} if enabled else None  # non-reentrant: works with frozen inputs (LoRA)
    prefix = "activation" if "activation_checkpointing" in argument_names() else "gradient"
    return {f"{prefix}_checkpointing": enabled, f"{prefix}_checkpointing_kwargs": kwargs}


def common_args(config: Any, output_dir: str, *, has_dev: bool) -> dict[str, Any]:
    """``TrainingArguments`` both backends set the same way: the loop (epochs, batch, accumulation, rate, bf16),
    best-checkpoint selection on dev loss, label-only loss, no reporting, seeds. ``config`` holds a backend's
    training options (``epochs``, ``batch_size``, ``grad_accum``, ``lr``, ``bf16``, ``seed``)."""
    return {
        "output_dir": output_dir,
        "num_train_epochs": config.epochs,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr,
        "bf16": config.bf16,
        "load_best_model_at_end": has_dev,
        "metric_for_best_model": "eval_loss" if has_dev else None,
        "greater_is_better": False if has_dev else None,
        "prediction_loss_only": True,
        "remove_unused_columns": False,
        "label_names": ["labels"],
        "report_to": "none",
        "seed": config.seed,
        "data_seed": config.seed,
    }


def train_and_report(trainer: Any, rows: list, resume_from: str | None, name: str) -> dict[str, Any]:
    """Run ``trainer`` (resuming when asked) and return the run statistics both backends record; on a GPU also
    the peak memory, printed once (rank 0)."""
    import sys

    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start_step, planned = checkpoint_progress(resume_from)
    result = trainer.train(resume_from_checkpoint=resume_from)
    history = trainer.state.log_history
    stats: dict[str, Any] = {
        "rows": len(rows),
        "steps": int(trainer.state.global_step),
        "start_step": start_step,
        "train_loss": float(result.training_loss),
        "runtime_s": float(result.metrics.get("train_runtime", 0.0)),
        "train_samples_per_s": float(result.metrics.get("train_samples_per_second", 0.0)),
        "loss_history": [float(e["loss"]) for e in history if "loss" in e],
        "resumed_from": resume_from,
    }
    note = finished_note(resume_from, start_step, planned, int(trainer.state.global_step))
    if note:
        stats["note"] = note
    if trainer.args.eval_strategy != "no":
        stats["eval_loss"] = [float(e["eval_loss"]) for e in history if "eval_loss" in e]
        stats["best_checkpoint"] = trainer.state.best_model_checkpoint
    if torch.cuda.is_available():
        stats["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        if trainer.is_world_process_zero():
            print(f"koclassify {name}: peak GPU memory {stats['peak_gpu_memory_gib']:.2f} GiB", file=sys.stderr)
    return stats
