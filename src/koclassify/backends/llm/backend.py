"""``llm``: a causal LM fine-tuned (LoRA / QLoRA / full) to say a label word after a prompt.

The polyglot-ko recipe of the NIKL 2023 emotion task, generalised: any ``AutoModelForCausalLM``, any label
space (one verbalizer word per label), any prompt over the row's columns. Probabilities come from one batched
forward pass: the label words' probabilities at the answer position, either under the whole vocabulary (the NIKL
2023 recipe's number, thresholds tuned on top) or renormalised over the label words. Options: :class:`LLMOptions`;
directory layout: :mod:`koclassify.backends.llm.persist`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.backends.base import Backend, DevData
from koclassify.backends.llm.options import LLMOptions
from koclassify.backends.llm.prompt import (
    LabelTokens,
    PromptFormat,
    default_verbalizer,
    encode,
    resolve_label_tokens,
    template_fields,
    truncate_prompt,
)
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import DataError


class LLMBackend(Backend):
    """Label-token classification with a causal LM; see :class:`LLMOptions` for every option."""

    name = "llm"
    prompt_fields = True  # an instruction / context / response prompt
    runs_model_code = True

    requires = ("torch", "transformers", "peft", "accelerate")
    extra = "llm"
    run_state_options = {"checkpoint_dir": None, "resume": False}
    options_class = LLMOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # checked by LLMOptions: a bad option fails before any data is read
        self.opts: LLMOptions = self.params
        self.format = PromptFormat(self.opts.template, self.opts.answer_prefix, self.opts.no_target)
        self.model: Any = None
        self.tokenizer: Any = None
        self.label_tokens: LabelTokens | None = None
        self.train_stats_: dict[str, Any] = {}
        self._adapter_files: dict[str, bytes] = {}

    # ------------------------------------------------------------------ set-up
    def _probe_prompt(self) -> str:
        """A prompt with the template's own tail, to find how each word tokenizes in the answer position."""
        return self.format.template.format(**{name: "예시" for name in template_fields(self.format.template)})

    def _label_tokens(self, tokenizer: Any, labels: LabelSpace) -> LabelTokens:
        words = default_verbalizer(labels.names, self.opts.verbalizer)
        return resolve_label_tokens(
            tokenizer,
            self._probe_prompt(),
            [words[name] for name in labels.names],
            self.opts.answer_prefix,
            self.opts.multi_token,
        )

    def _score_mode(self, labels: LabelSpace) -> str:
        score = self.opts.score
        if score == "auto":
            return "vocab" if labels.multi_label else "label_softmax"
        if score == "vocab" and not labels.multi_label:
            raise ValueError(
                "score='vocab' gives rows that do not sum to 1, but multi-class probabilities must: "
                "use score='label_softmax' (same argmax) for multi-class data"
            )
        return score

    def _prompt_ids(self, examples: Sequence[Example]) -> tuple[list[str], list[list[int]]]:
        prompts = [self.format.render(ex) for ex in examples]
        return prompts, [truncate_prompt(encode(self.tokenizer, p), int(self.opts.max_length)) for p in prompts]

    def _rows(self, examples: Sequence[Example], y: np.ndarray) -> list[dict[str, list[int]]]:
        from koclassify.backends.llm.data import expand_rows

        assert self.label_tokens is not None
        prompts, ids = self._prompt_ids(examples)
        return expand_rows(
            ids,
            y,
            self.label_tokens,
            expand=self.opts.expand,
            tokenizer=self.tokenizer,
            prompts=prompts,
            fmt=self.format,
            seed=int(self.opts.seed),
        )

    # ---------------------------------------------------------------- training
    def fit(self, examples: Sequence[Example], y: np.ndarray, labels: LabelSpace, dev: DevData = None) -> LLMBackend:
        from koclassify.backends.llm import deps

        deps.require(self.opts.qlora)  # a missing extra (bitsandbytes with qlora) is one line before any work
        from transformers import set_seed

        from koclassify.backends.hf_training import resolve_bf16
        from koclassify.backends.llm.persist import adapter_files, for_inference, merge_into_dequantized
        from koclassify.backends.llm.train import (
            add_lora,
            load_causal_lm,
            load_tokenizer,
            run_training,
        )

        opts = self.opts
        self._score_mode(labels)  # fail on a bad score option before any training
        set_seed(int(opts.seed))
        model_name = str(opts.model)
        self.tokenizer = load_tokenizer(model_name, trust_remote_code=opts.trust_remote_code)
        self.label_tokens = self._label_tokens(self.tokenizer, labels)
        rows = self._rows(examples, y)
        if not rows:
            raise DataError("no training rows: every example has an empty label set")
        dev_rows = self._rows(dev[0], dev[1]) if dev is not None and len(dev[0]) else None
        bf16 = resolve_bf16(opts.bf16)
        model = load_causal_lm(model_name, qlora=opts.qlora, bf16=bf16, trust_remote_code=opts.trust_remote_code)
        if opts.lora:
            model = add_lora(
                model,
                r=int(opts.lora_r),
                alpha=int(opts.lora_alpha),
                dropout=float(opts.lora_dropout),
                target_modules=opts.target_modules,
                qlora=opts.qlora,
                gradient_checkpointing=opts.checkpointing,
            )
        # the options as they are, bf16 as this machine decided it ("auto": when the GPU supports it)
        config = opts.replace(bf16=bf16)
        model, self.train_stats_ = run_training(model, self.tokenizer, rows, dev_rows, config)
        if opts.merge_adapter:
            self._adapter_files = adapter_files(model)
            if opts.qlora:  # merged into the dequantised base, rebuilt from disk: free the 4-bit copy first
                model = None
                free_memory()
                model = merge_into_dequantized(opts, bf16, self._adapter_files)
            else:
                model = model.merge_and_unload()
        self.model = for_inference(model, opts.qlora)
        self.labels = labels
        return self

    # --------------------------------------------------------------- inference
    def predict_scores(self, examples: Sequence[Example]) -> dict[str, np.ndarray]:
        """All readings of the label scores, (n, L) each: ``logprob`` (log-probability of the word under the
        vocabulary), ``vocab`` (its probability, the NIKL 2023 recipe's number) and ``label_softmax`` (renormalised)."""
        from koclassify.backends.llm.scoring import label_logprobs, to_probabilities

        self.check_fitted()
        assert self.label_tokens is not None
        _, ids = self._prompt_ids(examples)
        logprob = label_logprobs(
            self.model,
            ids,
            self.label_tokens.ids,
            pad_id=self.tokenizer.pad_token_id,
            batch_size=int(self.opts.eval_batch_size),
        )
        return {"logprob": logprob, **to_probabilities(logprob)}

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        labels = self.check_fitted()
        return self.predict_scores(examples)[self._score_mode(labels)]

    # ------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        from koclassify.backends.llm.persist import save_directory

        labels = self.check_fitted()
        assert self.label_tokens is not None
        save_directory(
            directory,
            model=self.model,
            tokenizer=self.tokenizer,
            opts=self.opts,
            labels=list(labels.names),
            label_tokens=self.label_tokens,
            adapter_files=self._adapter_files,
            train_stats=self.train_stats_,
        )

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> LLMBackend:
        from koclassify.backends.llm import deps
        from koclassify.backends.llm.persist import TOKENIZER_DIR, check_label_tokens, load_weights, read_meta

        meta = read_meta(directory)
        deps.require(bool(options.get("qlora")) and meta.get("weights") == "adapter")  # merged: no bitsandbytes
        from koclassify.backends.llm.train import load_tokenizer

        backend = cls(**options)
        remote = backend.opts.trust_remote_code
        backend.tokenizer = load_tokenizer(str(directory / TOKENIZER_DIR), trust_remote_code=remote)
        tokens = backend._label_tokens(backend.tokenizer, labels)  # the single-token check, again at load time
        check_label_tokens(directory, meta, tokens)
        backend.model, backend._adapter_files = load_weights(directory, meta, backend.opts)
        backend.label_tokens = tokens
        backend.train_stats_ = meta.get("train_stats", {})
        backend.labels = labels
        return backend


def free_memory() -> None:
    """Give dropped tensors' memory back (the GPU's cache too) before a large allocation."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
