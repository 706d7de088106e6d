"""Rasa's tracker store in Redis, loaded by Rasa itself (`tracker_store.type` in the endpoints file that
bot/rasa_endpoints.py writes); it runs in Rasa's environment, so it imports nothing of the app.

Rasa's own RedisTrackerStore returns only the last conversation session and, to keep the earlier ones,
reads the stored tracker back on every save, replays it and merges the two event by event: about a
tenth of Rasa's CPU per message here. This store hands each sender's tracker out whole, and a save
only appends the events the message added. Nothing changes for predictions: Rasa's policies look only at the
events after the last session start or restart (`applied_events`). Two saves for one sender never race:
the app answers one message per citizen at a time, and with several Sanic workers Rasa's Redis lock
store serialises them too.

Rebuilding a tracker from its JSON replays every event (~8 % of Rasa's CPU a message), so the tracker
object a message ended with is kept for the sender's next message. What is stored stays the truth: the
kept object is used only while the store still holds exactly what it was saved as (another Sanic worker
or Rasa process, a deploy, or anyone else writing it makes it stale), and it is handed out once, so a
message that fails half-way, after changing the object but before saving it, leaves nothing behind.

A citizen's conversation may go on for months; what Rasa works on must not (issue 16). Each save keeps
the current session only (earlier sessions are in the app's transcript tables) and, when a session grows
past SESSION_EVENTS_KEPT events, its recent part: the last turns behind a session start that restores the
slots and the active form as they were. Policies and our actions look no further back than that."""
from __future__ import annotations

import json
import os
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


def _remember(recent: OrderedDict, sender_id: str, value: Any) -> None:
    """`recent[sender_id] = value`, keeping the KEPT_TRACKERS senders put last."""
    recent[sender_id] = value
    recent.move_to_end(sender_id)
    while len(recent) > KEPT_TRACKERS:
        recent.popitem(last=False)


class _Kept:
    """The tracker objects a store saved lately, each with the stamp of what it saved them as, handed out
    at most once: a message that fails half-way, after changing the object but before saving it, leaves
    nothing behind."""

    def __init__(self) -> None:
        self._by_sender: OrderedDict[str, tuple[Any, DialogueStateTracker]] = OrderedDict()

    def keep(self, sender_id: str, stamp: Any, tracker: DialogueStateTracker) -> None:
        _remember(self._by_sender, sender_id, (stamp, tracker))

    def take(self, sender_id: str, stamp: Any) -> DialogueStateTracker | None:
        """The kept object, if it was saved as `stamp` (what the store holds now)."""
        kept = self._by_sender.pop(sender_id, None)
        return kept[1] if kept is not None and stamp is not None and kept[0] == stamp else None


class CurrentSessionInMemoryStore(InMemoryTrackerStore):
    """Rasa's in-memory store (no Redis configured), keeping what current_part keeps, and the object a
    message ended with for the sender's next message while the store holds the text it was saved as."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept = _Kept()

    async def save(self, tracker: DialogueStateTracker) -> None:
        tracker = current_part(tracker, self.domain)
        await self.stream_events(tracker)
        serialised = self.serialise_tracker(tracker)
        self.store[tracker.sender_id] = serialised
        self._kept.keep(tracker.sender_id, serialised, tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        stored = self.store.get(sender_id)
        kept = self._kept.take(sender_id, stored)
        return kept if kept is not None else await super().retrieve(sender_id)


# Appends a save's new events when the list is still what the saver read (its stamp unchanged).
# KEYS: events list, stamp. ARGV: stamp read, new stamp, seconds to live (0: for ever), the new events.
_APPEND = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if #ARGV > 3 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 4)) end
redis.call('SET', KEYS[2], ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
"""


class WholeTrackerRedisStore(RedisTrackerStore):
    """Each sender's tracker is a Redis list of its events (one JSON event an element) and a stamp that
    every save changes. A save appends the events the message added (rewriting a whole tracker was
    ~0.2 of a parse of CPU a message); the stamp says whether the list is still what this process read,
    and whether the object kept from its last save is still the truth (then the next message takes it
    without reading the list). A conversation written elsewhere meanwhile (another Rasa process or Sanic
    worker, a reset) is read afresh and rewritten whole. Trackers saved by the earlier format (the
    whole tracker as one JSON text under the plain key) are still read, and replaced at their next save."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept = _Kept()
        # What each sender's tracker object was read as: (stamp, object, events the list held then).
        self._read: OrderedDict[str, tuple[str | None, DialogueStateTracker, int]] = OrderedDict()
        self._append = self.red.register_script(_APPEND)

    def _keys(self, sender_id: str) -> tuple[str, str, str]:
        """The events list, the stamp, and the earlier format's key."""
        return (self.key_prefix + "~events:" + sender_id, self.key_prefix + "~stamp:" + sender_id,
                self.key_prefix + sender_id)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        handed = tracker
        tracker = current_part(tracker, self.domain)
        await self.stream_events(tracker)
        events_key, stamp_key, earlier_key = self._keys(tracker.sender_id)
        ttl = int(timeout or self.record_exp or 0)
        stamp = os.urandom(8).hex()
        read = self._read.pop(tracker.sender_id, None)
        events = list(tracker.events)
        appended = False
        if read is not None and read[1] is handed is tracker and len(events) >= read[2]:
            appended = bool(self._append(keys=[events_key, stamp_key],
                                         args=[read[0] or "", stamp, ttl, *map(_event_json, events[read[2]:])]))
        if not appended:
            pipe = self.red.pipeline(transaction=True)
            pipe.delete(events_key, earlier_key)
            if events:
                pipe.rpush(events_key, *map(_event_json, events))
            pipe.set(stamp_key, stamp, ex=ttl or None)
            if ttl:
                pipe.expire(events_key, ttl)
            pipe.execute()
        self._kept.keep(tracker.sender_id, stamp, tracker)

    def _stored(self, sender_id: str) -> tuple[str | None, DialogueStateTracker | None, int]:
        """(stamp, tracker, number of events in the list) as Redis holds them now."""
        events_key, stamp_key, earlier_key = self._keys(sender_id)
        pipe = self.red.pipeline(transaction=True)
        pipe.get(stamp_key)
        pipe.lrange(events_key, 0, -1)
        pipe.get(earlier_key)
        stamp, events, earlier = pipe.execute()
        if events:
            text = '{"name": ' + json.dumps(sender_id) + ', "events": [' + ", ".join(events) + "]}"
            return stamp, self.deserialise_tracker(sender_id, text), len(events)
        if earlier is not None:
            return None, self.deserialise_tracker(sender_id, earlier), -1
        return stamp, None, 0

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        stamp = self.red.get(self._keys(sender_id)[1])
        tracker = self._kept.take(sender_id, stamp)
        if tracker is not None:
            count = len(tracker.events)
        else:
            stamp, tracker, count = self._stored(sender_id)
            if tracker is None:
                return None
        if count >= 0:  # a tracker in the earlier format is rewritten whole at its save
            _remember(self._read, sender_id, (stamp, tracker, count))
        return tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """For readers (the tracker endpoints): always a fresh object, the kept one stays kept."""
        return self._stored(sender_id)[1]

    async def keys(self) -> list[str]:
        events_prefix = self._keys("")[0]
        senders = {key[len(events_prefix):] for key in self.red.scan_iter(match=events_prefix + "*")}
        earlier = {key[len(self.key_prefix):] for key in self.red.scan_iter(match=self.key_prefix + "*")}
        return sorted(senders | {s for s in earlier if not s.startswith(("~events:", "~stamp:"))})


def _event_json(event: Event) -> str:
    return json.dumps(event.as_dict())
