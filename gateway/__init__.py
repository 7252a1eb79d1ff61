"""The Starlette app: webhook routes, the ops API and pages, health and metrics."""
