"""Pure reconciliation: matching across systems, leakage rules, collection metrics, reports."""
