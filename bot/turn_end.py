"""Saying, with an action's result, that the citizen's turn ends here.

After every action Rasa asks its policies what comes next: a full featurisation of the session by the
RulePolicy (~0.15 of a parse of CPU a message). When no form is active and the action starts none and
names no follow-up, our rules always answer "listen" (each rule is one intent and one action), so the
action's result says so itself with a follow-up of action_listen, which Rasa runs without asking. With
a form active the question is left to the policies: they bring the form back after an aside."""
from __future__ import annotations

from typing import Any

# Events that leave the next step to Rasa: a follow-up named by the action, a form started or stopped.
_STEERING = {"followup", "active_loop"}


def ends_the_turn(call: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """Whether the action `call` (Rasa's request) with its result `events` leaves nothing to predict but listening."""
    name = call.get("next_action") or ""
    if name.startswith("validate_"):  # a form's validator: its events go back to the form, which decides
        return False
    if ((call.get("tracker") or {}).get("active_loop") or {}).get("name"):
        return False
    return not any(isinstance(e, dict) and e.get("event") in _STEERING for e in events)


def listen_after(call: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`events`, with the follow-up that ends the turn when `ends_the_turn`."""
    return [*events, {"event": "followup", "name": "action_listen"}] if ends_the_turn(call, events) else events
