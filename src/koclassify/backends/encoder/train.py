"""The training run: Hugging Face ``Trainer`` with the KoBERT lyrics recipe and a window-aggregated loss.

``Trainer`` rather than a hand-written loop: ``accelerate launch`` / ``torchrun`` (DDP, FSDP, DeepSpeed through
an accelerate config) work with no code change, checkpoints carry optimizer, scheduler and RNG state for
resuming after a kill, and bf16, length-grouped sampling and best-on-dev checkpoint selection come with it.
The only override is ``compute_loss``: a row is an example with any number of windows, and the loss is taken
on the aggregated probability (:func:`windows.window_loss`).

Seed recipe (KoBERT lyrics genre): AdamW, lr 2e-5, linear schedule with 10% warm-up, gradient clipping 1.0,
10 epochs, batch 32, a log every 500 and a checkpoint every 1000 steps. Intervals are capped at one epoch so
that small data sets still log, checkpoint and pick a best epoch.
"""

from __future__ import annotations

import tempfile
from typing import Any

from koclassify.backends.encoder.batch import WindowCollator
from koclassify.backends.encoder.options import EncoderOptions
from koclassify.backends.encoder.progress import progress_callback
from koclassify.backends.encoder.windows import window_loss
from koclassify.backends.hf_training import common_args, resolve_resume, sampling_args, train_and_report, warmup_args


def version_args(config: EncoderOptions) -> dict[str, Any]:
    """Arguments whose names changed between transformers 4.x and 5.x."""
    return {**warmup_args(config.warmup), **sampling_args(config.group_by_length)}


def param_groups(model: Any, config: EncoderOptions) -> list[dict[str, Any]]:
    """AdamW groups: the head at ``head_lr``; encoder layer i (of L) at ``lr * layer_decay^(L-1-i)``, embeddings
    at ``lr * layer_decay^L``; no weight decay on biases and LayerNorm weights (as ``Trainer`` does)."""
    import re

    assert config.lr is not None
    prefix = getattr(model, "base_model_prefix", "") + "."
    layers = int(getattr(model.config, "num_hidden_layers", 0))
    groups: dict[tuple[float, float], list[Any]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if not name.startswith(prefix):
            rate = float(config.head_lr or config.lr)
        else:
            match = re.search(r"\.layer\.(\d+)\.", name)
            depth = layers - 1 - int(match.group(1)) if match else (layers if ".embeddings." in name else 0)
            rate = float(config.lr) * config.layer_decay**depth
        decay = 0.0 if name.endswith(".bias") or "LayerNorm" in name or "layer_norm" in name else config.weight_decay
        groups.setdefault((rate, decay), []).append(param)
    return [{"params": params, "lr": rate, "weight_decay": decay} for (rate, decay), params in groups.items()]


def make_trainer_class() -> type:
    """``Trainer`` whose loss aggregates each example's windows (built lazily: transformers is heavy)."""
    from transformers import Trainer

    class WindowTrainer(Trainer):
        loss_is_scaled_for_ga = False  # a per-batch mean: Trainer divides by the accumulation steps

        def __init__(self, *args: Any, multi_label: bool, aggregate: str, pos_weight: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.multi_label, self.aggregate, self.pos_weight = multi_label, aggregate, pos_weight

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs = dict(inputs)
            labels, owner = inputs.pop("labels"), inputs.pop("owner")
            outputs = model(**inputs)
            loss = window_loss(
                outputs.logits,
                owner,
                labels,
                multi_label=self.multi_label,
                how=self.aggregate,
                pos_weight=self.pos_weight,
            )
            return (loss, outputs) if return_outputs else loss

    return WindowTrainer


def run_training(
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    dev_rows: list[dict[str, Any]] | None,
    config: EncoderOptions,
    *,
    pos_weight: list[float] | None,
    multi_label: bool,
    token_types: bool,
) -> tuple[Any, dict[str, Any]]:
    """Train ``model`` on window rows; returns the trained (best-on-dev, when dev rows are given) model and stats.

    ``config``: the backend's options with the recipe filled in (:meth:`EncoderOptions.recipe`) and ``bf16``
    resolved to a bool; ``pos_weight`` resolved to one weight per label.
    """
    import torch
    from transformers import TrainingArguments

    resume_from = resolve_resume(config.resume, config.checkpoint_dir)
    steps_per_epoch = max(1, -(-len(rows) // (config.batch_size * config.grad_accum)))
    save_every = max(1, min(config.save_steps, steps_per_epoch))
    keep_checkpoints = bool(dev_rows or config.checkpoint_dir)
    with tempfile.TemporaryDirectory(prefix="koclassify-encoder-") as scratch:
        args = TrainingArguments(
            **common_args(config, config.checkpoint_dir or scratch, has_dev=bool(dev_rows)),
            weight_decay=config.weight_decay,
            lr_scheduler_type="linear",
            max_grad_norm=config.grad_clip,
            **version_args(config),
            logging_strategy="steps",
            logging_steps=max(1, min(config.log_steps, steps_per_epoch)),
            save_strategy="steps" if keep_checkpoints else "no",
            save_steps=save_every,
            save_total_limit=2,
            eval_strategy="steps" if dev_rows else "no",
            eval_steps=save_every,
            dataloader_pin_memory=torch.cuda.is_available(),
            ddp_find_unused_parameters=False,
            disable_tqdm=True,
        )
        optimizer = None
        if (config.head_lr or config.lr) != config.lr or config.layer_decay != 1.0:
            optimizer = torch.optim.AdamW(param_groups(model, config), lr=float(config.lr or 0))
        trainer = make_trainer_class()(
            model=model,
            args=args,
            train_dataset=rows,
            eval_dataset=dev_rows or None,
            data_collator=WindowCollator(tokenizer.pad_token_id, token_types=token_types, multi_label=multi_label),
            processing_class=tokenizer,
            multi_label=multi_label,
            aggregate=config.aggregate,
            pos_weight=torch.tensor(pos_weight) if pos_weight is not None else None,
            optimizers=(optimizer, None),
            callbacks=[progress_callback(config.progress_steps)],
        )
        stats = train_and_report(trainer, rows, resume_from, "encoder")
        stats["bf16"] = bool(config.bf16)
        trained = trainer.model
    return trained, stats
