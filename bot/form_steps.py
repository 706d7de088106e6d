"""A form step that cannot use the citizen's reply: the forms' one way of saying so (bot/booking_dialogue.py,
bot/progress_dialogue.py), answering a question on the side as the item action would."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.actions import answer_aside
from bot.dialogue import misunderstood


async def not_usable(slot: str, reply: str, dispatcher, tracker: Tracker, knowledge, clock) -> dict[str, Any]:
    """A form's step cannot use the reply: a question about an item is answered (the step is asked again,
    or the form is left for "which situation?"); anything else gets `reply` (`misunderstood`)."""
    aside = await answer_aside(dispatcher, tracker, await knowledge.snapshot(), clock.now().date())
    if aside is not None:
        return {slot: None, **aside}
    misunderstood(dispatcher, tracker, reply)
    return {slot: None}
