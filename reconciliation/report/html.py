"""The reconciliation report as one self-contained HTML page (see templates/report.html.j2).

Pure: a `ReconcileResult` (and past runs, for the trend) in, a string out. Jinja2 autoescapes
every value, so customer names and details from the vendors cannot inject markup. With `ops_base`
(the gateway's ops API, e.g. "/ops") the findings table gets Acknowledge / Resolve buttons; the
page then asks for the ops token once and keeps it in the tab's sessionStorage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from canonical.records import FindingKind, FindingStatus
from reconciliation.model import Metrics, ReconcileResult, RunSummary
from reconciliation.report import view
from reconciliation.report.links import VendorLinks

DEFAULT_TITLE = "Revenue-cycle reconciliation"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reconciliation.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(
    result: ReconcileResult,
    *,
    history: Sequence[RunSummary] = (),
    title: str = DEFAULT_TITLE,
    ops_base: str | None = None,
    links: VendorLinks | None = None,
) -> str:
    """The report page for `result`; `history` (past runs, any order) draws the trend."""
    template = _environment().get_template("report.html.j2")
    return template.render(_context(result, history, title, ops_base, links or VendorLinks()))


def _context(
    result: ReconcileResult,
    history: Sequence[RunSummary],
    title: str,
    ops_base: str | None,
    links: VendorLinks,
) -> dict[str, Any]:
    metrics = result.metrics
    names = view.party_names(metrics, result.party_names)
    rows = view.finding_rows(result.findings, names, links)
    statuses = Counter(f.status.value for f in result.findings)
    return {
        "title": title,
        "as_of": result.as_of.isoformat(),
        "ops_base": ops_base,
        "findings": rows,
        "status_counts": {s.value: statuses.get(s.value, 0) for s in FindingStatus},
        "kinds": [(k.value, view.kind_label(k.value)) for k in FindingKind],
        "statuses": [s.value for s in FindingStatus],
        "customers": sorted(
            {(r.customer_id, r.customer) for r in rows if r.customer_id}, key=lambda c: c[1]
        ),
        "worklist": view.worklist_rows(result, links),
        "leakage_charts": view.leakage_charts(metrics),
        "aging_charts": view.aging_charts(metrics.aging),
        "trend_charts": view.trend_charts(history),
        **_summary(metrics),
        **_funnel(metrics),
    }


def _summary(metrics: Metrics) -> dict[str, Any]:
    leakage = metrics.leakage
    by_kind = sorted(leakage.by_kind, key=lambda k: -k.count)
    return {
        "leakage_count": sum(k.count for k in leakage.by_kind),
        "leakage_by_currency": leakage.by_currency,
        "converted": leakage.converted,
        "by_kind": [
            {
                "label": view.kind_label(k.kind.value),
                "colour": view.KIND_COLOURS[k.kind],
                "count": k.count,
                "amounts": view.amounts_text(k.amounts),
            }
            for k in by_kind
        ],
        "collection": [
            {
                "currency": c.currency,
                "period_days": c.period_days,
                "dso": "—" if c.dso_days is None else f"{c.dso_days} d",
                "cei": "—" if c.cei_percent is None else f"{c.cei_percent}%",
                "ending_ar": str(c.ending_ar),
                "credit_sales": str(c.credit_sales),
            }
            for c in metrics.collection
        ],
        "match_rates": [
            {
                "pair": r.pair.value.replace("_", " "),
                "matched": r.matched,
                "total": r.total,
                "rate": view.percent(r.rate),
                "methods": ", ".join(f"{m.value} {n}" for m, n in sorted(r.by_method.items())),
            }
            for r in metrics.match_rates
        ],
    }


def _funnel(metrics: Metrics) -> dict[str, Any]:
    funnel = metrics.funnel
    return {
        "funnel_stages": [
            {
                "name": s.name.value.replace("_", " "),
                "count": s.count,
                "amounts": view.amounts_text(s.amounts),
                "conversion": view.percent(s.conversion_from_previous),
            }
            for s in funnel.stages
        ],
        "funnel_durations": [
            {
                "label": f"{d.from_stage} → {d.to_stage}",
                "median": "—" if d.median_days is None else str(d.median_days),
                "samples": d.samples,
            }
            for d in funnel.durations
        ],
    }
