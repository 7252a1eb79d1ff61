"""Webhook routes: one verifier per vendor (plus generic sources) behind one raw ASGI endpoint."""
