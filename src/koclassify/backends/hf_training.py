"""What the Hugging Face backends (``encoder``, ``llm``) share around ``Trainer``: bf16 and resume choices, and
``TrainingArguments`` names that changed between transformers 4.x and 5.x (read from the installed version)."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

from koclassify.errors import ModelError


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
