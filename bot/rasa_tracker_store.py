"""Rasa's tracker store in Redis, loaded by Rasa itself (`tracker_store.type` in the endpoints file that
bot/rasa_endpoints.py writes); it runs in Rasa's environment, so it imports nothing of the app.

Rasa's own RedisTrackerStore returns only the last conversation session and, to keep the earlier ones,
reads the stored tracker back on every save, replays it and merges the two event by event: about a
tenth of Rasa's CPU per message here. This store keeps one whole tracker per sender and hands it out
whole, so a save is a plain write. Nothing changes for predictions: Rasa's policies look only at the
events after the last session start or restart (`applied_events`). Two saves for one sender never race:
the app answers one message per citizen at a time, and with several Sanic workers Rasa's Redis lock
store serialises them too.

Rebuilding a tracker from its JSON replays every event (~8 % of Rasa's CPU a message), so the tracker
object a message ended with is kept for the sender's next message. Redis stays the truth: the kept
object is used only while Redis still holds exactly the text it was saved as (another Sanic worker or
Rasa process, a deploy, or anyone else writing the key makes it stale), and it is handed out once, so
a message that fails half-way, after changing the object but before saving it, leaves nothing behind.

A citizen's conversation may go on for months; what Rasa works on must not (issue 16). Each save keeps
the current session only (earlier sessions are in the app's transcript tables) and, when a session grows
past SESSION_EVENTS_KEPT events, its recent part: the last turns behind a session start that restores the
slots and the active form as they were. Policies and our actions look no further back than that."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

KEPT_TRACKERS = 1000  # the conversations saved most recently: a tracker of five turns is ~70 kB in memory
# Events of one session kept at most (a turn is ~6-10 events); past it, the last half is kept, so the
# work is bounded and a compaction happens once every few dozen turns, not on every message.
SESSION_EVENTS_KEPT = 160


def _session_start(events: list[Event]) -> int:
    """Index of the current session's first event (its action_session_start), 0 when there is one session."""
    start = max((i for i, e in enumerate(events) if isinstance(e, SessionStarted)), default=0)
    if start > 0 and isinstance(events[start - 1], ActionExecuted) \
            and events[start - 1].action_name == ACTION_SESSION_START_NAME:
        start -= 1
    return start


def _recent_turns(events: list[Event]) -> int:
    """Where the last half of `events` begins, moved on to the start of a citizen's turn."""
    at = len(events) - SESSION_EVENTS_KEPT // 2
    while at < len(events) and not isinstance(events[at], UserUttered):
        at += 1
    if at >= len(events):
        return len(events) - SESSION_EVENTS_KEPT // 2
    if at > 0 and isinstance(events[at - 1], ActionExecuted) and events[at - 1].action_name == ACTION_LISTEN_NAME:
        at -= 1
    return at


def current_part(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    """The tracker as the next message needs it: its current session, or that session's recent turns
    after a session start that sets the slots and the active form they had."""
    events = list(tracker.events)
    start = _session_start(events)
    session = events[start:]
    if len(session) <= SESSION_EVENTS_KEPT:
        if start == 0:
            return tracker
        return DialogueStateTracker.from_events(tracker.sender_id, session, domain.slots,
                                                sender_source=tracker.sender_source, domain=domain)
    cut = _recent_turns(session)
    before = DialogueStateTracker.from_events(tracker.sender_id, session[:cut], domain.slots, domain=domain)
    at = session[cut].timestamp
    restored: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at), SessionStarted(timestamp=at)]
    restored += [SlotSet(slot.name, slot.value, timestamp=at) for slot in before.slots.values()
                 if slot.value != slot.initial_value]
    if before.active_loop_name:
        restored.append(ActiveLoop(before.active_loop_name, timestamp=at))
    return DialogueStateTracker.from_events(tracker.sender_id, restored + session[cut:], domain.slots,
                                            sender_source=tracker.sender_source, domain=domain)


class CurrentSessionInMemoryStore(InMemoryTrackerStore):
    """Rasa's in-memory store (no Redis configured), keeping what current_part keeps."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(current_part(tracker, self.domain))


class WholeTrackerRedisStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, tuple[str, DialogueStateTracker]] = OrderedDict()

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        tracker = current_part(tracker, self.domain)
        await self.stream_events(tracker)
        serialised = self.serialise_tracker(tracker)
        self.red.set(self.key_prefix + tracker.sender_id, serialised, ex=timeout or self.record_exp)
        self._kept[tracker.sender_id] = (serialised, tracker)
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > KEPT_TRACKERS:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            return None
        if kept is not None and kept[0] == stored:
            return kept[1]
        return self.deserialise_tracker(sender_id, stored)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """For readers (the tracker endpoints): always a fresh object, the kept one stays kept."""
        stored = self.red.get(self.key_prefix + sender_id)
        return None if stored is None else self.deserialise_tracker(sender_id, stored)
