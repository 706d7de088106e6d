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


async def open_session(redis, account: StaffAccount) -> str:
    session = secrets.token_urlsafe(32)
    await redis.set(SESSION_PREFIX + hash_token(session), account.id, ex=SESSION_SECONDS)
    return session


async def account_for_session(redis, session: str) -> StaffAccount | None:
    if not session:
        return None
    account_id = await redis.get(SESSION_PREFIX + hash_token(session))
    return await StaffAccount.get_or_none(id=int(account_id), active=True) if account_id else None


async def close_session(redis, session: str) -> None:
    if session:
        await redis.delete(SESSION_PREFIX + hash_token(session))


async def issue_ticket(redis, account: StaffAccount) -> str:
    ticket = secrets.token_urlsafe(24)
    await redis.set(TICKET_PREFIX + hash_token(ticket), account.id, ex=TICKET_SECONDS)
    return ticket


async def redeem_ticket(redis, ticket: str) -> StaffAccount | None:
    """A ticket opens one WebSocket: it is gone once used."""
    if not ticket:
        return None
    account_id = await redis.getdel(TICKET_PREFIX + hash_token(ticket))
    return await StaffAccount.get_or_none(id=int(account_id), active=True) if account_id else None
