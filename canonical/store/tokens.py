"""OAuth tokens with compare-and-swap rotation.

QuickBooks rotates refresh tokens: two workers refreshing at once must not both store a token, or
the loser's (now revoked) token overwrites the winner's. Each write names the version it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.ops_tables import oauth_tokens


@dataclass(frozen=True, slots=True)
class StoredToken:
    provider: str
    account_key: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    version: int


async def get_token(conn: AsyncConnection, provider: str, account_key: str) -> StoredToken | None:
    t = oauth_tokens.c
    query = select(
        t.provider, t.account_key, t.access_token, t.refresh_token, t.expires_at, t.version
    ).where(t.provider == provider, t.account_key == account_key)
    row = (await conn.execute(query)).first()
    return None if row is None else StoredToken(*row)


async def rotate_token(
    conn: AsyncConnection,
    provider: str,
    account_key: str,
    *,
    expected_version: int | None,
    access_token: str,
    refresh_token: str | None,
    expires_at: datetime | None,
    now: datetime,
) -> bool:
    """Store a new token if the stored version is still `expected_version` (None: no token yet).

    False means another writer rotated first; the caller should re-read and use that token.
    """
    values = {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_at": expires_at,
        "updated_at": now,
    }
    t = oauth_tokens.c
    if expected_version is None:
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(oauth_tokens).values(
                        provider=provider, account_key=account_key, version=1, **values
                    )
                )
        except IntegrityError:
            return False
        return True
    result = await conn.execute(
        update(oauth_tokens)
        .where(
            t.provider == provider,
            t.account_key == account_key,
            t.version == expected_version,
        )
        .values(version=t.version + 1, **values)
    )
    return result.rowcount == 1
