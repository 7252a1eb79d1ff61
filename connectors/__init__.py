"""Vendor I/O: one connector per vendor (Stripe, Salesforce, QuickBooks) with the same shape.

A connector reads and pages, backs off, refreshes tokens, writes back, and verifies webhook
signatures. It hands vendor payloads to `mappings` and never touches SQL.
"""
