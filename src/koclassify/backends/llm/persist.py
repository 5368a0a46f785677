"""Saving and loading the llm backend's directory: a plain PEFT adapter, the tokenizer and a JSON manifest.

Directory layout (``<model dir>/backend/``)::

    llm.json            labels -> words and token ids, prompt settings, weights kind, training statistics
    tokenizer/          the tokenizer (with the pad token chosen at training time)
    adapter/            a standard PEFT adapter (adapter_config.json + adapter_model.safetensors); LoRA only
    model/              full weights: after merge_adapter=True (merged) or lora=False (fully fine-tuned)

The base model is referenced (``model`` option and the adapter's ``base_model_name_or_path``), not copied, so
``PeftModel.from_pretrained(base, "<dir>/backend/adapter")`` works without koclassify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.backends.llm.options import LLMOptions
from koclassify.backends.llm.prompt import LabelTokens
from koclassify.errors import ModelError
from koclassify.io import read_json, scratch_directory, write_json

META_FILE = "llm.json"
TOKENIZER_DIR = "tokenizer"
ADAPTER_DIR = "adapter"
MODEL_DIR = "model"
FORMAT_VERSION = 1


def save_directory(
    directory: Path,
    *,
    model: Any,
    tokenizer: Any,
    opts: LLMOptions,
    labels: list[str],
    label_tokens: LabelTokens,
    adapter_files: dict[str, bytes],
    train_stats: dict[str, Any],
) -> None:
    """Write the adapter (or full weights), the tokenizer and ``llm.json`` into ``directory``."""
    from peft import PeftModel

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(directory / TOKENIZER_DIR)
    if isinstance(model, PeftModel):
        model.save_pretrained(str(directory / ADAPTER_DIR))
        weights = "adapter"
    else:
        model.save_pretrained(directory / MODEL_DIR)
        for name, data in adapter_files.items():
            (directory / ADAPTER_DIR).mkdir(exist_ok=True)
            (directory / ADAPTER_DIR / name).write_bytes(data)
        weights = "merged" if adapter_files else "full"
    write_json(
        directory / META_FILE,
        {
            "format_version": FORMAT_VERSION,
            "base_model": opts.model,
            "weights": weights,
            "template": opts.template,
            "answer_prefix": opts.answer_prefix,
            "verbalizer": dict(zip(labels, label_tokens.words)),
            "label_tokens": label_tokens.to_json(),
            "train_stats": train_stats,
        },
    )


def read_meta(directory: Path) -> dict[str, Any]:
    try:
        return read_json(directory / META_FILE)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory}: cannot read {META_FILE}: {exc}") from None


def check_label_tokens(directory: Path, meta: dict[str, Any], tokens: LabelTokens) -> None:
    """The tokenizer must still give the label ids training used (a swapped tokenizer would score other words)."""
    stored = meta.get("label_tokens", {})
    if tokens.to_json() != stored:
        raise ModelError(
            f"{directory}: the tokenizer gives label tokens {tokens.to_json()} but the model was trained with {stored}"
        )


def load_weights(directory: Path, meta: dict[str, Any], opts: LLMOptions) -> tuple[Any, dict[str, bytes]]:
    """The model for inference and, for merged models, the kept adapter files (re-saved with the model)."""
    from koclassify.backends.hf_files import check_adapter, check_stored_model, one_line
    from koclassify.backends.hf_training import resolve_bf16
    from koclassify.backends.llm.train import load_causal_lm

    bf16 = resolve_bf16(opts.bf16)
    adapter = directory / ADAPTER_DIR
    if meta.get("weights") == "adapter":
        from peft import PeftModel

        check_adapter(adapter)  # before the base is loaded: a rank its weights do not have is one line
        base = load_causal_lm(str(opts.model), qlora=opts.qlora, bf16=bf16, trust_remote_code=opts.trust_remote_code)
        try:  # a LoRA config names no code; the flag is passed anyway, explicitly, as at every load
            model = PeftModel.from_pretrained(base, str(adapter), trust_remote_code=bool(opts.trust_remote_code))
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: weights of another shape (r, modules)
            raise ModelError(f"{adapter}: cannot load the LoRA adapter: {one_line(exc)}") from None
        return for_inference(model, opts.qlora), {}
    check_stored_model(directory / MODEL_DIR, trust_remote_code=opts.trust_remote_code)
    model = load_causal_lm(directory / MODEL_DIR, bf16=bf16, trust_remote_code=opts.trust_remote_code)
    files = {p.name: p.read_bytes() for p in adapter.iterdir() if p.is_file()} if adapter.is_dir() else {}
    return for_inference(model, False), files


def for_inference(model: Any, placed: bool) -> Any:
    """Eval mode, on the GPU when there is one (4-bit models are already placed by ``device_map``)."""
    import torch

    if not placed:
        model = model.to("cuda" if torch.cuda.is_available() else "cpu")
    return model.eval()


def merge_into_dequantized(opts: LLMOptions, bf16: bool, files: dict[str, bytes]) -> Any:
    """The adapter merged into the base's 4-bit weights dequantised: a plain full-precision model.

    The base is loaded in 4 bits again (NF4 quantisation is deterministic: the same values training saw) and
    ``dequantize()``-d by transformers; the adapter goes on top and is merged. The sum is not re-quantised, so the
    merged model computes what the 4-bit one did, up to the bf16 rounding of the 4-bit layers' compute.
    It needs the full-precision model's memory (2 bytes a parameter in bf16) on the training device.
    """
    from peft import PeftModel

    from koclassify.backends.llm.train import load_causal_lm

    base = load_causal_lm(str(opts.model), qlora=True, bf16=bf16, trust_remote_code=opts.trust_remote_code)
    base = base.dequantize()
    with scratch_directory("koclassify-adapter-") as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        return PeftModel.from_pretrained(
            base, str(tmp), trust_remote_code=bool(opts.trust_remote_code)
        ).merge_and_unload()


def adapter_files(model: Any) -> dict[str, bytes]:
    """The PEFT adapter's files, kept before merging so the merged model can still be saved with them."""
    with scratch_directory("koclassify-adapter-") as tmp:
        model.save_pretrained(tmp)
        return {p.name: p.read_bytes() for p in tmp.iterdir() if p.is_file()}
