"""Exporting a saved model for serving elsewhere: today the encoder backend to ONNX (CPU inference)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from koclassify.errors import KoclassifyError
from koclassify.model.classifier import BACKEND_DIR

# sentences of several lengths and registers: the export is checked on them against the torch model
PROBE = [
    "배송이 빨라서 좋아요",
    "이 영화 진짜 최악이다 시간 아깝다",
    "음… 뭐라고 해야 할지 모르겠네요. 그냥 그랬어요!",
    "오늘 아침에 지하철에서 오랜만에 고등학교 친구를 만나서 한참 동안 이야기를 나눴는데 정말 반가웠다.",
    "ㅋㅋㅋ",
    "Samsung 갤럭시 S24 샀어요 2주 써봤는데 배터리가 오래가네요",
]


@dataclass
class OnnxExport:
    path: Path
    int8: bool
    max_prob_diff: float  # largest |p_onnx - p_torch| over the probe sentences
    size_mb: float


def export_onnx(model_dir: str | Path, *, int8: bool = False) -> OnnxExport:
    """Write ``MODEL_DIR/backend/model.onnx`` for an encoder model and check it against the torch model.

    Afterwards ``Classifier.load(model_dir)`` predicts with ONNX Runtime on CPU (``runtime=auto``); delete the
    file, or train with ``-O runtime=torch``, to go back to torch.
    """
    from koclassify.backends.encoder.backend import EncoderBackend
    from koclassify.backends.encoder.onnx import OnnxForward
    from koclassify.io import updating_in_place
    from koclassify.manifest import update_manifest
    from koclassify.model.classifier import Classifier

    model_dir = Path(model_dir)
    clf = Classifier.load(model_dir)
    backend = clf.backend
    if not isinstance(backend, EncoderBackend):
        raise KoclassifyError(f"{model_dir}: ONNX export is for the encoder backend, this model is {backend.name!r}")
    backend.onnx = None  # the reference below runs on torch
    reference = clf.predict_proba(PROBE, use_prior=False)
    with updating_in_place(model_dir):
        path = backend.export_onnx(model_dir / BACKEND_DIR, int8=int8)
        update_manifest(model_dir, [path.relative_to(model_dir).as_posix()])  # the directory's record of its files
    backend.onnx = OnnxForward(path, len(clf._check()), backend.options["onnx_threads"])
    exported = clf.predict_proba(PROBE, use_prior=False)
    return OnnxExport(path, int8, float(np.abs(exported - reference).max()), path.stat().st_size / 2**20)
