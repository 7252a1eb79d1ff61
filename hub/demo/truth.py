"""Scoring findings against the sandbox's ground truth (`truth.json`).

A finding counts as found when its kind, keyed record (source + id) and exact amount at stake
(minor units + currency) equal a planted row. The truth describes the dataset as generated; the
demo's webhooks then change vendor state, so a later run may differ from it. Such a difference is
*explained* when the records behind it are ones the webhooks or their follow-ups touched; the
adjusted score leaves explained rows out and says which they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from canonical.records import Finding

Row = tuple[str, str, str, int, str]  # kind, source, keyed id, minor, currency


@dataclass(frozen=True)
class TruthScore:
    true_positives: int
    false_positives: int
    missed: int
    explained: tuple[str, ...] = field(default_factory=tuple)  # rows left out, with the reason

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return 1.0 if found == 0 else self.true_positives / found

    @property
    def recall(self) -> float:
        planted = self.true_positives + self.missed
        return 1.0 if planted == 0 else self.true_positives / planted


def truth_rows(dataset: Path) -> set[Row]:
    rows = json.loads((dataset / "truth.json").read_text())
    return {
        (
            str(r["kind"]),
            str(r["source"]),
            str(r["id"]),
            int(r["amount_at_stake"]["minor"]),
            str(r["amount_at_stake"]["currency"]),
        )
        for r in rows
    }


def finding_row(finding: Finding) -> Row:
    money = finding.amount_at_stake
    return (
        finding.kind.value,
        finding.key.source.value,
        finding.key.source_id,
        money.minor,
        money.currency,
    )


def score(findings: Iterable[Finding], truth: set[Row]) -> TruthScore:
    found = {finding_row(f) for f in findings}
    return TruthScore(len(found & truth), len(found - truth), len(truth - found))


def score_after_changes(
    findings: Iterable[Finding],
    truth: set[Row],
    *,
    before: Iterable[Finding],
    touched: set[str],
) -> TruthScore:
    """Score a run made after the webhooks, leaving out differences on touched records.

    A false positive is explained when a record of its own finding was touched; a missed row when
    a record of the finding that matched it before the webhooks was.
    """
    now = list(findings)
    records_of: dict[Row, set[str]] = {}
    for finding in [*before, *now]:
        ids = {ref.source_id for ref in finding.records} | {finding.key.source_id}
        records_of.setdefault(finding_row(finding), set()).update(ids)
    found = {finding_row(f) for f in now}
    explained: list[str] = []
    false_positives = missed = 0
    for row in sorted(found - truth):
        hit = sorted(records_of.get(row, set()) & touched)
        if hit:
            explained.append(f"new {_label(row)}: the webhooks changed {', '.join(hit)}")
        else:
            false_positives += 1
    for row in sorted(truth - found):
        hit = sorted(records_of.get(row, set()) & touched)
        if hit:
            explained.append(f"gone {_label(row)}: the webhooks changed {', '.join(hit)}")
        else:
            missed += 1
    return TruthScore(len(found & truth), false_positives, missed, tuple(explained))


def _label(row: Row) -> str:
    kind, source, source_id, _, _ = row
    return f"{kind} on {source} {source_id}"


def touched_ids(payloads: Iterable[Mapping[str, object]]) -> set[str]:
    """Every id-looking string value in webhook bodies and follow-up answers."""
    ids: set[str] = set()
    for payload in payloads:
        _collect(payload, ids)
    return ids


def _collect(value: object, ids: set[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str) and _is_id_field(str(key)):
                ids.add(item)
            else:
                _collect(item, ids)
    elif isinstance(value, list):
        for item in value:
            _collect(item, ids)


_ID_KEYS = frozenset(
    {"id", "value", "txnid", "charge", "invoice", "payment_intent", "customer", "dispute"}
)


def _is_id_field(key: str) -> bool:
    """Stripe's `id`/`customer`/`*_id`, QBO's `Id`/`TxnId`/ref `value`, CloudEvents' entity id."""
    return key.lower() in _ID_KEYS or key.endswith(("_id", "Id", "ID", "entityid"))
