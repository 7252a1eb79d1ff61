"""The canonical store: tables, migrations and every SQL statement of revcycle.

SQLAlchemy 2 async Core on asyncpg (PostgreSQL, production) or aiosqlite (SQLite, the embedded
default). Modules by role: `engine` (URLs, pools, error boundary), `schema` (all tables), `codecs`
(record ↔ row), `upsert` (bulk monotonic writes), `reading`, `checkpoints`, `tokens`, `migrate`.
"""

from canonical.store.checkpoints import Checkpoint
from canonical.store.engine import async_url, create_engine
from canonical.store.migrate import current, upgrade, upgrade_async
from canonical.store.store import Store, UnitOfWork
from canonical.store.tokens import StoredToken
from canonical.store.upsert import UpsertCounts

__all__ = [
    "Checkpoint",
    "Store",
    "StoredToken",
    "UnitOfWork",
    "UpsertCounts",
    "async_url",
    "create_engine",
    "current",
    "upgrade",
    "upgrade_async",
]
