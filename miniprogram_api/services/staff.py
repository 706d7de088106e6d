"""Staff accounts and their bearer tokens."""
from __future__ import annotations

import hashlib
import secrets

from miniprogram_api.models.staff import ROLES, StaffAccount


class StaffError(ValueError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_staff(name: str, role: str) -> tuple[StaffAccount, str]:
    """Creates an account and returns it with its token (shown once; only the hash is stored)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise StaffError("name must be 1 to 64 characters")
    if role not in ROLES:
        raise StaffError(f"role must be one of: {', '.join(ROLES)}")
    if await StaffAccount.exists(name=name):
        raise StaffError(f"a staff account named {name!r} exists already")
    token = secrets.token_urlsafe(32)
    account = await StaffAccount.create(name=name, role=role, token_hash=hash_token(token))
    return account, token


async def authenticate(token: str) -> StaffAccount | None:
    if not token:
        return None
    return await StaffAccount.get_or_none(token_hash=hash_token(token), active=True)


# Pages sign in once with the bearer token and then hold a session in an HttpOnly cookie, so no token
# sits in a URL, the access log or the page's storage; the console's WebSocket (browsers cannot set
# its headers) takes a one-use ticket instead. Redis keeps only hashes of both.
SESSION_PREFIX = "govhall:staff-session:"
SESSION_SECONDS = 12 * 3600  # a working day
TICKET_PREFIX = "govhall:ws-ticket:"
TICKET_SECONDS = 30


async def _grant(redis, prefix: str, account: StaffAccount, seconds: int) -> str:
    secret = secrets.token_urlsafe(32)
    await redis.set(prefix + hash_token(secret), account.id, ex=seconds)
    return secret


async def _holder(account_id: str | None) -> StaffAccount | None:
    return await StaffAccount.get_or_none(id=int(account_id), active=True) if account_id else None


async def open_session(redis, account: StaffAccount) -> str:
    return await _grant(redis, SESSION_PREFIX, account, SESSION_SECONDS)


async def account_for_session(redis, session: str) -> StaffAccount | None:
    return await _holder(await redis.get(SESSION_PREFIX + hash_token(session))) if session else None


async def close_session(redis, session: str) -> None:
    if session:
        await redis.delete(SESSION_PREFIX + hash_token(session))


async def issue_ticket(redis, account: StaffAccount) -> str:
    return await _grant(redis, TICKET_PREFIX, account, TICKET_SECONDS)


async def redeem_ticket(redis, ticket: str) -> StaffAccount | None:
    """A ticket opens one WebSocket: it is gone once used."""
    return await _holder(await redis.getdel(TICKET_PREFIX + hash_token(ticket))) if ticket else None


async def agents() -> list[StaffAccount]:
    """Who a conversation can be transferred to."""
    return await StaffAccount.filter(active=True, role__in=("agent", "admin")).order_by("name")
