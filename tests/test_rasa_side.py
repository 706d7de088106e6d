"""What our code inside Rasa's process does (bot/rasa_tracker_store.py, bot/rasa_server.py), checked in
Rasa's own environment by tests/rasa_side_checks.py; the end-to-end bot tests cover the answers."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import REDIS_URL, ROOT


@pytest.fixture(scope="session")  # not module: an xdist worker may end a module early
def seen() -> dict:
    out = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), str(ROOT / "tests" / "rasa_side_checks.py"),
                          REDIS_URL], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_tracker_store_keeps_the_current_session_and_reuses_the_saved_tracker_only_while_redis_agrees(seen):
    store = seen["tracker_store"]
    assert store["missing"] is True
    assert store["current_session_only"] == ["第二次"]  # earlier sessions live in the transcript tables
    assert store["kept_object_reused"] is True
    assert store["handed_out_once"] is True  # a message that failed half-way leaves nothing behind
    assert store["reader_gets_a_copy"] is True
    assert store["stale_object_not_used"] is True
    assert store["sees_the_other_write"] == "别处的第三次"
    assert store["save_appends"] is True  # a message's save writes its own events, not the whole tracker
    assert store["stale_save_rewrites_whole"] == ["第四次", "乙"]  # never 甲 and 乙 both
    assert store["earlier_format_read"] == "乙" and store["earlier_format_replaced"] is True
    assert store["keys"] == ["citizen"]


def test_in_memory_store_reuses_the_saved_tracker_once_and_only_while_it_holds_what_was_saved(seen):
    assert seen["in_memory_store"] == {"kept_object_reused": True, "handed_out_once": True,
                                       "stale_object_not_used": True}


def test_action_responses_are_still_validated_with_rasas_own_error(seen):
    checks = seen["action_validation"]
    assert checks["valid"] is True
    assert "Failed to validate Action server response" in checks["invalid"]


def test_the_response_selector_runs_only_for_faq_messages_and_every_message_goes_on(seen):
    assert seen["response_selection"] == {"selected_for": ["几点上班"], "returned": ["几点上班", "办护照要什么"]}


def test_a_long_session_keeps_its_recent_turns_with_the_slots_and_the_form_it_had(seen):
    kept, rasa = seen["long_conversation"]["in_memory"], seen["long_conversation"]["rasa_in_memory"]
    assert kept["events"] <= kept["limit"] < rasa["events"]  # Rasa's own store keeps all 1,200
    assert kept["last"] == kept["latest"] == "第299句" and kept["first"] != "第0句"
    assert (kept["item"], kept["form"], kept["requested"]) == ("CRJ-001", "booking_form", "booking_day")
