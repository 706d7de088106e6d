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
a message that fails half-way, after changing the object but before saving it, leaves nothing behind."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

KEPT_TRACKERS = 1000  # the conversations saved most recently: a tracker of five turns is ~70 kB in memory


class WholeTrackerRedisStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, tuple[str, DialogueStateTracker]] = OrderedDict()

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
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
