"""The leakage rules, one module per family; each reads the snapshot and returns findings."""
