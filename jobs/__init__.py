"""arq worker settings and the thin job functions that orchestrate sync, events and follow-ups."""
