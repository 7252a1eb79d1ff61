"""Pure functions from one vendor payload to canonical records, and cross-system identity resolution.

No network, no database, no clock, no environment: payload in, records out.
"""
