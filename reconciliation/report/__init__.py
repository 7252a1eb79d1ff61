"""Rendering a `ReconcileResult`: the HTML report, JSON and CSV, and links to vendor UIs."""

from reconciliation.report.csv_out import to_csv
from reconciliation.report.html import render_html
from reconciliation.report.json_out import to_json
from reconciliation.report.links import VendorLinks

__all__ = ["VendorLinks", "render_html", "to_csv", "to_json"]
