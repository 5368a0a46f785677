"""`torchrun -m koclassify train --backend llm`: every rank trains (DDP), exactly one writes the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from koclassify import Classifier


@pytest.mark.slow
def test_torchrun_cli_trains_on_every_rank_and_saves_once(neox_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    rows = [{"id": str(i), "text": f"{noun} 정말 {word}", "label": label}
            for i, (noun, (word, label)) in enumerate((n, wl) for n in ["학교", "영화", "커피", "여행", "선물", "공연"]
                                                     for wl in [("좋다", "joy"), ("싫다", "disgust")])]  # fmt: skip
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command = [*torchrun, "-m", "koclassify", "train",
               str(data), "--backend", "llm", "--model", str(neox_dir), "--epochs", "1", "--batch-size", "2",
               "--calibrate", "none", "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".model")) == []  # no stray temp dirs
    probs = Classifier.load(out).predict_proba([r["text"] for r in rows])
    assert probs.shape == (12, 2)
