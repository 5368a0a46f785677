"""A label audit: the rows most likely mislabelled, and duplicates whose labels disagree.

Likely label errors come from confident learning (``cleanlab.filter.find_label_issues``; not re-implemented
here) over out-of-fold probabilities from :meth:`koclassify.Classifier.cross_val_proba`, the same
cross-validation that calibrates thresholds without a dev set: every row is scored by models that never saw it.
Each finding says the label it suggests and why (the given labels' probabilities against the model's). Duplicate
conflicts are rows with the same text (``exact``) or the same text once case, spaces and punctuation are set
aside (``near``), and, for target-conditioned rows, the same target, whose label sets differ.

Needs the ``audit`` extra (``pip install 'koclassify[audit]'``).
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koclassify.data.example import Example
from koclassify.errors import DataError, MissingDependencyError

LABEL_ISSUE = "label_issue"
DUPLICATE = "conflicting_duplicate"


@dataclass
class Finding:
    """One row to look at again (``label_issue``) or a group of duplicates with conflicting labels."""

    kind: str
    ids: list[str]
    texts: list[str]
    given: list[list[str]]  # the labels of each row
    suggested: list[str]  # the labels the audit suggests (for a duplicate group: the majority label set)
    reason: str
    score: float | None = None  # cleanlab's label quality (0: surely wrong .. 1: fine); None for duplicates
    match: str | None = None  # duplicates: exact | near
    rank: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class AuditResult:
    """What :func:`audit` found, and how (rows, folds, backend), for the jsonl, the page and the CLI summary."""

    rows: int
    multi_label: bool
    labels: list[str]
    folds: int
    backend: str
    label_issues: list[Finding] = field(default_factory=list)
    duplicates: list[Finding] = field(default_factory=list)
    scores: np.ndarray | None = None  # per-row label quality, in input order
    probs: np.ndarray | None = None  # the out-of-fold probabilities cleanlab ranked (n, L), in input order

    @property
    def findings(self) -> list[Finding]:
        return [*self.label_issues, *self.duplicates]


def require_cleanlab() -> Any:
    try:
        import cleanlab.filter
    except ImportError:
        raise MissingDependencyError("cleanlab", "audit") from None
    return cleanlab


def audit(clf: Any, examples: Sequence[Example], *, folds: int = 5, seed: int = 0) -> AuditResult:
    """Audit labelled ``examples`` with ``clf`` (an unfitted :class:`Classifier` holding the backend and options
    to use): fit it on all rows (for the label space), take ``folds``-fold out-of-fold probabilities, let
    cleanlab rank the likely label errors, and find conflicting duplicates."""
    cleanlab = require_cleanlab()
    from cleanlab.multilabel_classification.rank import get_label_quality_scores as multilabel_scores
    from cleanlab.rank import get_label_quality_scores

    if len(examples) < 2 * folds:
        raise DataError(f"{len(examples)} labelled rows: too few to audit with {folds}-fold cross-validation")
    clf.fit(examples, calibrate="none")
    space = clf.labels_
    rows = clf.prepare(examples, source="audit data")
    probs = clf.cross_val_proba(rows, folds=folds, seed=seed)
    gold = space.indicator(rows, source="audit data").astype(bool)
    names = list(space.names)
    result = AuditResult(len(rows), space.multi_label, names, folds, clf.backend.name, probs=probs)
    if space.multi_label:
        given = [list(np.flatnonzero(g)) for g in gold]
        issues = cleanlab.filter.find_label_issues(
            given, probs, multi_label=True, return_indices_ranked_by="self_confidence"
        )
        result.scores = multilabel_scores(given, probs)
    else:
        given_idx = gold.argmax(axis=1)
        issues = cleanlab.filter.find_label_issues(given_idx, probs, return_indices_ranked_by="self_confidence")
        result.scores = get_label_quality_scores(given_idx, probs)
    how = f"{folds}-fold out-of-fold probabilities ({clf.backend.name})"
    for rank, i in enumerate(issues, 1):
        ex = rows[i]
        suggested, reason = _explain(probs[i], gold[i], names, space.multi_label, how)
        result.label_issues.append(
            Finding(
                LABEL_ISSUE,
                [ex.id],
                [ex.text],
                [list(ex.labels or ())],
                suggested,
                reason,
                score=round(float(result.scores[i]), 6),
                rank=rank,
            )  # fmt: skip
        )
    result.duplicates = conflicting_duplicates(rows)
    return result


def _explain(p: np.ndarray, g: np.ndarray, names: list[str], multi_label: bool, how: str) -> tuple[list[str], str]:
    if not multi_label:
        given, best = int(g.argmax()), int(p.argmax())
        if best == given:  # flagged though argmax agrees: the runner-up is close
            best = int(np.argsort(-p)[1])
        reason = f"given {names[given]!r} has p={p[given]:.3f}; {names[best]!r} has p={p[best]:.3f} ({how})"
        return [names[best]], reason
    suggested = [n for n, q in zip(names, p) if q >= 0.5]
    doubted = [f"{names[j]!r} p={p[j]:.3f}" for j in np.flatnonzero(g) if p[j] < 0.5]
    missing = [f"{names[j]!r} p={p[j]:.3f}" for j in np.flatnonzero(~g) if p[j] >= 0.5]
    parts = []
    if doubted:
        parts.append(f"given {', '.join(doubted)}")
    if missing:
        parts.append(f"not given {', '.join(missing)}")
    if not parts:  # every label on the right side of 0.5: the least certain one
        j = int(np.argmin(np.where(g, p, 1 - p)))
        parts.append(f"{names[j]!r} {'given' if g[j] else 'not given'} with p={p[j]:.3f}")
    return suggested, f"{'; '.join(parts)} ({how})"


def normalise(text: str) -> str:
    """The near-duplicate key: NFKC, lower case, without whitespace, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PS"))


def conflicting_duplicates(examples: Sequence[Example]) -> list[Finding]:
    """Groups of rows with the same text (exact) or the same normalised text (near), and the same target, whose
    label sets differ; a near group is reported only when it is not one exact group."""
    exact: dict[tuple, list[int]] = defaultdict(list)
    near: dict[tuple, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        target = ex.target_form or ""
        exact[(ex.text, target)].append(i)
        near[(normalise(ex.text), target)].append(i)
    found: list[Finding] = []
    seen: set[tuple[int, ...]] = set()
    for match, groups in (("exact", exact), ("near", near)):
        for members in groups.values():
            sets = {tuple(sorted(examples[i].labels or ())) for i in members}
            if len(members) < 2 or len(sets) < 2 or tuple(members) in seen:
                continue
            seen.add(tuple(members))
            votes: dict[tuple[str, ...], int] = defaultdict(int)
            for i in members:
                votes[tuple(sorted(examples[i].labels or ()))] += 1
            majority = max(votes.items(), key=lambda kv: kv[1])
            tie = sum(1 for v in votes.values() if v == majority[1]) > 1
            counts = ", ".join(f"{list(k)} x{v}" for k, v in sorted(votes.items(), key=lambda kv: -kv[1]))
            reason = f"{len(members)} {match} duplicates with {len(sets)} different label sets: {counts}"
            found.append(
                Finding(
                    DUPLICATE,
                    [examples[i].id for i in members],
                    [examples[i].text for i in members],
                    [list(examples[i].labels or ()) for i in members],
                    [] if tie else list(majority[0]),
                    reason + ("; no majority" if tie else ""),
                    match=match,
                )  # fmt: skip
            )
    found.sort(key=lambda f: (f.match != "exact", -len(f.ids)))
    for rank, finding in enumerate(found, 1):
        finding.rank = rank
    return found


def write_findings(result: AuditResult, path: str | os.PathLike) -> Path:
    """One JSON object a line: label issues by rank, then duplicate groups (written atomically)."""
    from koclassify.io import atomic_open

    with atomic_open(path) as fh:
        for finding in result.findings:
            fh.write(json.dumps(finding.to_json(), ensure_ascii=False) + "\n")
    return Path(path)


def write_page(result: AuditResult, path: str | os.PathLike, *, title: str, subtitle: str | None = None) -> Path:
    """The findings as one HTML page in the report's style (written atomically)."""
    from html import escape

    from koclassify.io import atomic_open
    from koclassify.report.page import document

    def table(findings: list[Finding], head: list[str], cells: Any) -> str:
        if not findings:
            return "<p>None found.</p>"
        header = "".join(f"<th>{escape(h)}</th>" for h in head)
        body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in cells(f)) + "</tr>" for f in findings)
        return f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"

    def labels(values: Sequence[str]) -> str:
        return escape(", ".join(values)) or "—"

    cards = [("rows", result.rows), ("task", "multi-label" if result.multi_label else "multi-class"),
             ("backend", result.backend), ("folds", result.folds), ("likely label errors", len(result.label_issues)),
             ("conflicting duplicate groups", len(result.duplicates))]  # fmt: skip
    issues = table(
        result.label_issues,
        ["#", "id", "text", "given", "suggested", "label quality", "why"],
        lambda f: [
            str(f.rank),
            escape(f.ids[0]),
            escape(f.texts[0]),
            labels(f.given[0]),
            labels(f.suggested),
            f"{f.score:.3f}",
            f'<span class="note">{escape(f.reason)}</span>',
        ],  # fmt: skip
    )
    dups = table(
        result.duplicates,
        ["#", "match", "ids", "texts", "labels", "majority", "why"],
        lambda f: [
            str(f.rank),
            escape(f.match or ""),
            "<br>".join(escape(i) for i in f.ids),
            "<br>".join(escape(t) for t in f.texts),
            "<br>".join(labels(g) for g in f.given),
            labels(f.suggested),
            f'<span class="note">{escape(f.reason)}</span>',
        ],  # fmt: skip
    )
    body = "\n".join(
        [
            '<div class="cards">'
            + "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
            + "</div>",
            '<div class="notes"><ul><li>Likely label errors: confident learning (cleanlab) over out-of-fold '
            "probabilities; each row was scored by models that did not see it. Lower label quality: more likely "
            "wrong.</li><li>Duplicates: the same text (exact), or the same text without case, spaces and "
            "punctuation (near), with different labels.</li></ul></div>",
            "<h2>Likely label errors</h2>",
            issues,
            "<h2>Conflicting duplicates</h2>",
            dups,
        ]
    )
    with atomic_open(path) as fh:
        fh.write(document(title, body, subtitle=subtitle))
    return Path(path)
