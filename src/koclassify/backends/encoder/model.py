"""Loading encoders and tokenizers, and the batched prediction loop.

Any checkpoint ``AutoModelForSequenceClassification`` can open works: a fine-tuned classifier, or a bare encoder
(``BertModel``, an MLM checkpoint such as KcBERT or klue/roberta-base), which gets a freshly initialised head.
A head of the wrong size (another task's classifier) is replaced as well; both cases are reported in the
training statistics rather than silently accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.backends import hf_files, hf_training
from koclassify.backends.encoder.batch import WindowCollator, prediction_batches
from koclassify.backends.encoder.windows import aggregate_log_probs
from koclassify.errors import ModelError


def load_tokenizer(name_or_path: str | Path) -> Any:
    """``AutoTokenizer`` that must have a pad token (encoders always do; a missing one means a wrong model)."""
    return hf_training.load_tokenizer(name_or_path)


def load_classifier(
    name_or_path: str | Path, labels: Sequence[str], *, multi_label: bool, pooling: str = "auto"
) -> tuple[Any, dict[str, Any]]:
    """The model with a ``len(labels)``-way head, and what was (re)initialised: ``fresh_head``, ``new_keys``.

    ``pooling`` ``mean`` or ``cls`` (BERT architectures): the head of :mod:`pooling` reads the hidden states
    directly; ``auto``: the checkpoint's own ``AutoModelForSequenceClassification`` head.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    hf_files.refuse_custom_code(name_or_path, False)  # the encoder backend never runs a model's code

    from koclassify.backends.encoder.pooling import POOLING_KEY, pooled_classifier_class

    head = {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {name: i for i, name in enumerate(labels)},
        "problem_type": "multi_label_classification" if multi_label else "single_label_classification",
    }
    loader: Any = AutoModelForSequenceClassification
    if pooling in ("mean", "cls"):
        try:
            config = AutoConfig.from_pretrained(str(name_or_path), trust_remote_code=False, **head)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load an encoder from {str(name_or_path)!r}: {exc}") from None
        if config.model_type != "bert":
            raise ModelError(
                f"pooling={pooling} needs a BERT-architecture encoder; {name_or_path} is a {config.model_type}"
            )
        setattr(config, POOLING_KEY, pooling)
        loader, head = pooled_classifier_class(), {"config": config}
    try:
        model, info = loader.from_pretrained(
            str(name_or_path),
            ignore_mismatched_sizes=True,
            output_loading_info=True,
            trust_remote_code=False,
            **head,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot load an encoder from {str(name_or_path)!r}: {hf_files.one_line(exc)}") from None
    new_keys = sorted({*info.get("missing_keys", ()), *(_key(k) for k in info.get("mismatched_keys", ()))})
    return model, {"fresh_head": bool(new_keys), "new_keys": new_keys}


def _key(entry: Any) -> str:
    return entry[0] if isinstance(entry, (tuple, list)) else str(entry)


def load_trained(directory: Path, n_labels: int) -> Any:
    """A fine-tuned model saved by the backend; its head must match the label space."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from koclassify.backends.encoder.pooling import is_pooled, pooled_classifier_class

    hf_files.check_stored_model(directory)  # no code, no loading switches, sizes the weights can fill
    try:
        config = AutoConfig.from_pretrained(str(directory), trust_remote_code=False)
        loader: Any = pooled_classifier_class() if is_pooled(config) else AutoModelForSequenceClassification
        model = loader.from_pretrained(str(directory), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory}: cannot load the encoder weights: {hf_files.one_line(exc)}") from None
    if model.config.num_labels != n_labels:
        raise ModelError(f"{directory}: the model has {model.config.num_labels} outputs but the labels are {n_labels}")
    return model


def add_markers(tokenizer: Any, model: Any, markers: Sequence[str]) -> int:
    """Add the entity markers as special tokens (never split, never lower-cased); grow the embeddings."""
    added = tokenizer.add_tokens(list(markers), special_tokens=True)
    if added:
        model.resize_token_embeddings(len(tokenizer))
    return int(added)


def device_for(model: Any) -> Any:
    """Eval mode on a GPU when there is one; a model Trainer already placed (this rank's GPU) stays there."""
    import torch

    if next(model.parameters()).device.type != "cpu" or not torch.cuda.is_available():
        return model.eval()
    return model.to(f"cuda:{hf_training.local_device_index()}").eval()


def torch_forward(model: Any) -> Callable[[dict[str, Any]], Any]:
    """The model's forward as ``inputs -> logits`` (what :func:`predict_rows` calls; ONNX Runtime offers the same)."""
    return lambda inputs: model(**inputs).logits


def predict_rows(
    forward: Callable[[dict[str, Any]], Any],
    rows: Sequence[dict[str, Any]],
    collator: WindowCollator,
    *,
    n_labels: int,
    device: Any,
    multi_label: bool,
    aggregate: str,
    max_windows: int = 64,
    bf16: bool = False,
) -> np.ndarray:
    """(n, L) probabilities: windows batched (shortest first), classified by ``forward``, aggregated per example."""
    import contextlib

    import torch

    device = torch.device(device)
    out = np.zeros((len(rows), n_labels), dtype=np.float64)
    cast = (
        torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        if bf16 and device.type == "cuda"
        else contextlib.nullcontext()
    )
    for indices in prediction_batches(rows, max_windows):
        batch = collator([rows[i] for i in indices])
        owner = batch.pop("owner").to(device)
        inputs = {k: v.to(device) for k, v in batch.items() if k != "labels"}
        with torch.inference_mode(), cast:
            logits = forward(inputs)
        log_p, _ = aggregate_log_probs(logits, owner, len(indices), multi_label=multi_label, how=aggregate)
        out[indices] = log_p.exp().double().cpu().numpy()
    return out
