"""ID-card and phone numbers citizens type into chat, tickets, complaints and questions: staff see them
masked; revealing one is a deliberate act, allowed to the role whose work it is, and recorded."""
from __future__ import annotations

from typing import Any

from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Forbidden, Invalid, NotFound
from miniprogram_api.field_names import roles_text
from miniprogram_api.logging import mask_sensitive
from miniprogram_api.models.conversation import TranscriptMessage
from miniprogram_api.models.faq import UnansweredQuestion
from miniprogram_api.models.handoff import Ticket
from miniprogram_api.models.staff import PiiReveal, StaffAccount
from miniprogram_api.services.ratings import complaint_or_none

# What may be revealed, and by whom (admin: everything): the desk that sees the masked text.
REVEALABLE = {"message": ("agent",), "ticket": ("agent",), "complaint": ("manager", "agent"), "question": ("curator",)}


def masked(text: str | None) -> str | None:
    return mask_sensitive(text) if text else text


def mask_fields(view: dict[str, Any], *names: str) -> dict[str, Any]:
    """The view with its free-text fields masked, and `masked: true` where that changed something."""
    changed = False
    for name in names:
        if isinstance(view.get(name), str) and (m := mask_sensitive(view[name])) != view[name]:
            view[name], changed = m, True
    if changed:
        view["masked"] = True
    return view


async def _original(kind: str, ref: str) -> str | None:
    if kind == "complaint":
        row = await complaint_or_none(ref)
        return row.text if row else None
    if not plain_digits(ref) or int(ref) >= 2**63:
        return None
    model = {"message": TranscriptMessage, "ticket": Ticket, "question": UnansweredQuestion}[kind]
    row = await model.get_or_none(id=int(ref))
    return row.text if row else None


async def reveal(kind: str, ref: str, staff: StaffAccount) -> str:
    if kind not in REVEALABLE:
        raise Invalid("invalid_kind", "不支持查看这类内容", {"kind": f"可选：{'、'.join(REVEALABLE)}"})
    if staff.role != "admin" and staff.role not in REVEALABLE[kind]:
        raise Forbidden("forbidden", "当前账号没有查看这类原文的权限", {"role": f"需要以下角色之一：{roles_text(REVEALABLE[kind])}"})
    text = await _original(kind, ref)
    if text is None:
        raise NotFound("not_found", "没有找到这条记录")
    await record_reveal(kind, ref, staff)
    return text


async def record_reveal(kind: str, ref: str, staff: StaffAccount) -> None:
    """Seeing a whole number is the member of staff's deliberate act, kept in the audit log."""
    await PiiReveal.create(staff_name=staff.name, staff_role=staff.role, kind=kind, ref=ref)


async def reveals(limit: int = 200) -> list[dict[str, Any]]:
    rows = await PiiReveal.all().order_by("-id").limit(limit)
    return [{"staff": r.staff_name, "role": r.staff_role, "kind": r.kind, "ref": r.ref,
             "at": r.created_at.isoformat()} for r in rows]
