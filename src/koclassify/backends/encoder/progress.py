"""Progress lines while an encoder trains (minutes on a CPU): one flushed stderr line every N steps with the
elapsed time and an estimate of what is left, whether or not stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any

LINES_PER_RUN = 20  # default interval: about this many lines over a run


def say(message: str) -> None:
    print(f"koclassify encoder: {message}", file=sys.stderr, flush=True)


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def progress_callback(every: int | None) -> Any:
    """A ``TrainerCallback`` printing ``step k/N (p%), elapsed, ETA, loss`` every ``every`` steps (None: ~20 lines)."""
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        def __init__(self) -> None:
            self.start = 0.0
            self.first = 0
            self.every = every or 1
            self.loss: float | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start, self.first = time.monotonic(), int(state.global_step)
            self.every = every or max(1, (state.max_steps - self.first) // LINES_PER_RUN)
            say(f"training {state.max_steps} steps ({args.num_train_epochs:g} epochs)")

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "loss" in logs:
                self.loss = float(logs["loss"])

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            step, total = int(state.global_step), int(state.max_steps)
            if step % self.every and step != total:
                return
            elapsed = time.monotonic() - self.start
            done = step - self.first
            eta = elapsed / done * (total - step) if done else 0.0
            loss = f", loss {self.loss:.4f}" if self.loss is not None else ""
            say(f"step {step}/{total} ({step / max(total, 1):.0%}), {clock(elapsed)} elapsed, ETA {clock(eta)}{loss}")

    return Progress()
