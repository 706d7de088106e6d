"""200 citizens book the same 5-seat slot at the same moment: exactly 5 get a seat, the database agrees."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from miniprogram_api import housekeeping
from miniprogram_api.models.booking import Appointment, Slot
from tests.api_helpers import login

pytestmark = pytest.mark.both_databases

PASSPORT = "CRJ-001"


async def test_two_hundred_simultaneous_bookings_for_five_seats(api):
    await housekeeping.run_once(api.app)
    listed = await (await api.get("/api/v1/halls/SMZX/slots", params={"item_code": PASSPORT, "day": "2026-11-25"})).json()
    slot_id = listed["slots"][0]["id"]
    await Slot.filter(id=slot_id).update(capacity=5)
    citizens = await asyncio.gather(*(login(api, f"race-{n}") for n in range(200)))

    async def attempt(headers):
        resp = await api.post("/api/v1/appointments", headers=headers,
                              json={"slot_id": slot_id, "item_code": PASSPORT, "idempotency_key": uuid.uuid4().hex})
        return resp.status, (await resp.json())

    results = await asyncio.gather(*(attempt(h) for h in citizens))
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 5, statuses
    assert all(body["error"]["code"] == "slot_full" for status, body in results if status != 201)
    assert (await Slot.get(id=slot_id)).booked == 5
    assert await Appointment.filter(slot_id=slot_id, status="booked").count() == 5
