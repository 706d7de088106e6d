"""An action's result ends the citizen's turn itself when nothing but listening can follow (bot/turn_end.py),
so Rasa skips one policy run a message; with a form active, the policies still decide."""
from __future__ import annotations

from bot.turn_end import ends_the_turn, listen_after

LISTEN = {"event": "followup", "name": "action_listen"}


def call(action: str = "action_answer_item_question", form: str | None = None) -> dict:
    return {"next_action": action, "tracker": {"active_loop": {"name": form} if form else {}}}


def test_an_answer_with_no_form_active_ends_the_turn():
    events = [{"event": "slot", "name": "current_item", "value": "CRJ-001"}]
    assert listen_after(call(), events) == [*events, LISTEN]
    assert listen_after(call("action_submit_booking"), []) == [LISTEN]  # the form has ended already


def test_with_a_form_active_the_policies_bring_the_form_back_after_an_aside():
    assert not ends_the_turn(call(form="booking_form"), [])


def test_a_form_validator_leaves_the_next_step_to_its_form():
    assert not ends_the_turn(call("validate_booking_form"), [{"event": "slot", "name": "booking_day", "value": None}])


def test_an_action_that_names_what_follows_or_starts_a_form_is_left_alone():
    followup = [{"event": "followup", "name": "booking_form"}]
    assert listen_after(call("action_start_booking"), followup) == followup
    assert not ends_the_turn(call("action_handle_yes_no"), [{"event": "active_loop", "name": "booking_form"}])
