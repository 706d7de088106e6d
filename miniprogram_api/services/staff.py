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
