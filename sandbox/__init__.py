"""Emulators of the Stripe, Salesforce and QuickBooks APIs, and a seeded dataset generator.

The sandbox plays the vendors, so it imports nothing from the hub's own packages.
"""
