"""bench/gpu.sh, the one command behind every GPU figure, run in its CPU stand-in mode (``--tiny``).

It runs as the GPU machine would run it: through bench/gpu.sh, with the packages that machine lacks
(kiwipiepy, iterative-stratification) hidden, so a missing import shows here and not in a scarce GPU window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HIDE = """
import importlib.machinery, sys
HIDDEN = {"kiwipiepy", "kiwipiepy_model", "iterstrat"}
class Hidden(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if name.partition(".")[0] in HIDDEN else super().find_spec(name, path, target)
sys.meta_path = [Hidden if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
"""


@pytest.mark.slow
def test_gpu_bench_prints_one_table_in_its_cpu_mode(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE, encoding="utf-8")  # every process of the run, workers too
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu.sh"), "--tiny"], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()  # training logs, then the header line, a blank line and the table
    start = lines.index(next(line for line in lines if line.startswith("| workload |")))
    assert "bitsandbytes 0." in lines[start - 2] and "CPU" in lines[start - 2]  # date, device, versions
    table = [line.split("|")[1:-1] for line in lines[start + 2 :]]
    workloads = [cells[0].strip() for cells in table]
    assert len(table) == 8 and len(set(workloads)) == 4
    assert workloads[0].startswith("LLM scoring") and workloads[2].startswith("LLM training")
    assert "4-bit NF4" in workloads[2] and workloads[4].startswith("encoder training")
    for cells in table:
        rate = float(cells[2].split()[0].replace(",", ""))
        assert rate > 0
    assert [cells[5].strip() for cells in table[::2]] == ["1.00x"] * 4  # the baselines, against themselves
