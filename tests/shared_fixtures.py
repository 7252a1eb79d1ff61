"""Where Stripe's official object fixtures (`fixtures3.json`) are found.

They live in the project's shared folder, beside the checkout (`../shared`, as CI lays it out);
`REVCYCLE_SHARED_DIR` names another place. Every test that reads them goes through here.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    named = os.environ.get("REVCYCLE_SHARED_DIR")
    candidates = [Path(named)] if named else []
    candidates += [_REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "fixtures").is_dir():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"the shared fixtures folder is missing (looked in {searched})")


STRIPE_FIXTURES = _shared_dir() / "fixtures" / "stripe" / "fixtures3.json"
