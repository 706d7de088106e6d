"""Rasa's tracker store in Redis, loaded by Rasa itself (`tracker_store.type` in the endpoints file that
bot/rasa_endpoints.py writes); it runs in Rasa's environment, so it imports nothing of the app.

Rasa's own RedisTrackerStore returns only the last conversation session and, to keep the earlier ones,
reads the stored tracker back on every save, replays it and merges the two event by event: about a
tenth of Rasa's CPU per message here. This store keeps one whole tracker per sender and hands it out
whole, so a save is a plain write. Nothing changes for predictions: Rasa's policies look only at the
events after the last session start or restart (`applied_events`). Two saves for one sender never race:
the app answers one message per citizen at a time, and with several Sanic workers Rasa's Redis lock
store serialises them too."""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class WholeTrackerRedisStore(RedisTrackerStore):
    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        self.red.set(self.key_prefix + tracker.sender_id, self.serialise_tracker(tracker),
                     ex=timeout or self.record_exp)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self.retrieve_full_tracker(sender_id)
