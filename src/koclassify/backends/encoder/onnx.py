"""ONNX export of a fine-tuned encoder, and ONNX Runtime inference for CPU serving.

``export_onnx`` writes the classifier as ``backend/model.onnx`` beside the safetensors weights: one graph from
token ids (and attention mask, and token types when the tokenizer has them) to logits, with the number of windows
and their length left dynamic. ``int8=True`` adds ONNX Runtime's dynamic int8 quantisation of the weights, which
is where a CPU gains (BERT-base shape on 2 cores: 2.7x torch fp32; fp32 ONNX is on a par with torch).
Windows, batching and the aggregation of window probabilities stay exactly those of the torch path: only the
forward pass changes, so calibration, thresholds and reports apply unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koclassify.errors import KoclassifyError, ModelError

ONNX_FILE = "model.onnx"
RUNTIMES = ("auto", "torch", "onnx")


class OnnxMissing(KoclassifyError):
    """onnx / onnxruntime not installed: says which extra brings them."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs onnx and onnxruntime: pip install 'koclassify[onnx]'")


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def input_names(token_types: bool) -> list[str]:
    return ["input_ids", "attention_mask"] + (["token_type_ids"] if token_types else [])


def export_onnx(model: Any, path: Path, *, token_types: bool, int8: bool = False, opset: int = 18) -> Path:
    """Write ``model`` (an ``AutoModelForSequenceClassification``) to ``path`` as ONNX; returns ``path``."""
    import torch

    from koclassify.io import atomic_path

    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise OnnxMissing("koclassify export onnx") from None
    from torch.export import Dim

    class Logits(torch.nn.Module):  # tensors in, the logits tensor out
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            types = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **types).logits

    names = input_names(token_types)
    model = model.float().cpu().eval()
    # realistic example inputs: ids of several tokens and a padded row, so that no data-dependent branch of the
    # model (e.g. "the mask is all ones: drop it") is taken for good while tracing
    vocab = int(model.config.vocab_size)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(min(5, vocab - 1), vocab, (2, 8), generator=generator)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    args = (ids, mask, torch.zeros((2, 8), dtype=torch.long))[: len(names)]
    windows, tokens = Dim("windows"), Dim("tokens", max=int(getattr(model.config, "max_position_embeddings", 512)))
    with atomic_path(path) as built:  # built beside the target by the write gate, renamed in when complete
        fp32 = built.with_name("fp32.onnx") if int8 else built
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                Logits(model), args, str(fp32), input_names=names, output_names=["logits"], opset_version=opset,
                dynamo=True, external_data=False, dynamic_shapes={n: {0: windows, 1: tokens} for n in names},
            )  # fmt: skip
        if int8:
            try:
                from onnxruntime.quantization import QuantType, quantize_dynamic
            except ImportError:
                raise OnnxMissing("int8 quantisation") from None
            # per-channel weight scales: on e5-small fine-tuned on nsmc they cut the mean probability drift from
            # torch by a third (0.076 -> 0.052) for ~4% of the int8 speed (docs/e5.md, "ONNX int8")
            quantize_dynamic(str(fp32), str(built), weight_type=QuantType.QInt8, per_channel=True)
    return path


class OnnxForward:
    """An ONNX Runtime session that takes the collator's torch tensors and returns torch logits."""

    def __init__(self, path: Path, n_labels: int, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise OnnxMissing(f"predicting with {path}") from None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise ModelError(f"{path}: cannot load the ONNX model: {exc}") from None
        self.names = [i.name for i in self.session.get_inputs()]
        out = self.session.get_outputs()[0].shape
        if isinstance(out[-1], int) and out[-1] != n_labels:
            raise ModelError(f"{path}: the ONNX model has {out[-1]} outputs but the labels are {n_labels}")
        self.n_labels = n_labels

    def __call__(self, inputs: dict[str, Any]) -> Any:
        import torch

        feeds = {name: inputs[name].numpy() for name in self.names}
        return torch.from_numpy(self.session.run(["logits"], feeds)[0])


def resolve_runtime(runtime: str, directory: Path | None) -> str:
    """``auto``: ONNX when the model directory holds an export, onnxruntime is installed and no GPU is present."""
    if runtime != "auto":  # the backend's constructor has checked it is one of RUNTIMES
        return runtime
    if directory is None or not (directory / ONNX_FILE).is_file() or not onnxruntime_available():
        return "torch"
    import torch

    return "torch" if torch.cuda.is_available() else "onnx"
