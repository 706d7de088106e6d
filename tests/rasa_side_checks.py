"""Run by tests/test_rasa_side.py in Rasa's environment (.venv-rasa), where bot/rasa_tracker_store.py and
bot/rasa_server.py run: prints one JSON object of observations for the test to check."""
from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import urlparse


async def tracker_store(redis_url: str) -> dict:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, Restarted, SessionStarted, UserUttered

    from bot.rasa_tracker_store import WholeTrackerRedisStore

    url = urlparse(redis_url)

    def new_store() -> WholeTrackerRedisStore:  # as each Rasa process (or Sanic worker) builds its own
        return WholeTrackerRedisStore(Domain.empty(), host=url.hostname, port=url.port or 6379,
                                      db=int(url.path.lstrip("/") or 0), key_prefix="govhallchecks")

    store = new_store()
    store.red.delete(store.key_prefix + "citizen")
    seen: dict = {"missing": await store.retrieve("citizen") is None}
    tracker = await store.get_or_create_tracker("citizen")
    tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen"), UserUttered("第一次"),
                                Restarted(), SessionStarted(), ActionExecuted("action_listen"), UserUttered("第二次")], None)
    await store.save(tracker)
    again = await store.retrieve("citizen")
    seen["current_session_only"] = [e.text for e in again.events if isinstance(e, UserUttered)]
    await store.save(again)
    seen["kept_object_reused"] = (await store.retrieve("citizen")) is again
    seen["handed_out_once"] = (await store.retrieve("citizen")) is not again
    await store.save(again)
    seen["reader_gets_a_copy"] = (await store.retrieve_full_tracker("citizen")) is not again
    other = new_store()
    elsewhere = await other.retrieve("citizen")  # another Rasa process or worker
    elsewhere.update(UserUttered("别处的第三次"))
    await other.save(elsewhere)
    fresh = await store.retrieve("citizen")
    seen["stale_object_not_used"] = fresh is not again
    seen["sees_the_other_write"] = [e.text for e in fresh.events if isinstance(e, UserUttered)][-1]
    events_key = store._keys("citizen")[0]
    before = store.red.lrange(events_key, 0, -1)
    fresh.update(UserUttered("第四次"))
    await store.save(fresh)
    after = store.red.lrange(events_key, 0, -1)
    seen["save_appends"] = after[:len(before)] == before and len(after) == len(before) + 1
    # Two readers of one conversation: the one that saves second read a list that changed meanwhile, so
    # its save rewrites the list whole instead of appending to events it never saw.
    first, second = new_store(), new_store()
    one, two = await first.retrieve("citizen"), await second.retrieve("citizen")
    one.update(UserUttered("甲"))
    two.update(UserUttered("乙"))
    await first.save(one)
    await second.save(two)
    seen["stale_save_rewrites_whole"] = [e.text for e in (await new_store().retrieve("citizen")).events
                                         if isinstance(e, UserUttered)][-2:]
    # A tracker saved in the earlier format (one JSON text under the plain key) is read, and replaced
    # by the list at its next save.
    for key in store._keys("citizen"):
        store.red.delete(key)
    store.red.set(store._keys("citizen")[2], store.serialise_tracker(two))
    earlier = await new_store().retrieve("citizen")
    seen["earlier_format_read"] = [e.text for e in earlier.events if isinstance(e, UserUttered)][-1]
    await new_store().save(earlier)
    seen["earlier_format_replaced"] = (store.red.exists(store._keys("citizen")[2]) == 0
                                       and store.red.llen(events_key) == len(earlier.events))
    seen["keys"] = [k for k in await store.keys() if k == "citizen"]
    for key in store._keys("citizen"):
        store.red.delete(key)
    return seen


async def in_memory_store() -> dict:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

    from bot.rasa_tracker_store import CurrentSessionInMemoryStore

    store = CurrentSessionInMemoryStore(Domain.empty())
    tracker = store.init_tracker("citizen")
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(), UserUttered("你好")], None)
    await store.save(tracker)
    kept = await store.retrieve("citizen")
    seen = {"kept_object_reused": kept is tracker, "handed_out_once": (await store.retrieve("citizen")) is not tracker}
    await store.save(tracker)
    store.store["citizen"] = store.serialise_tracker(store.init_tracker("citizen"))  # written by anyone else
    seen["stale_object_not_used"] = (await store.retrieve("citizen")) is not tracker
    return seen


async def long_conversation() -> dict:
    """A session of 300 turns with a slot set at its start and a form active: what is kept."""
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered

    from bot.rasa_tracker_store import SESSION_EVENTS_KEPT, CurrentSessionInMemoryStore

    domain = Domain.from_dict({"slots": {"current_item": {"type": "text", "mappings": [{"type": "custom"}]},
                                         "requested_slot": {"type": "text", "mappings": [{"type": "custom"}]}},
                               "forms": {"booking_form": {"required_slots": []}}})
    seen: dict = {}
    for name, store in (("in_memory", CurrentSessionInMemoryStore(domain)), ("rasa_in_memory", InMemoryTrackerStore(domain))):
        tracker = await store.get_or_create_tracker("long")
        tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                    SlotSet("current_item", "CRJ-001")], domain)
        for turn in range(300):
            tracker.update_with_events([ActionExecuted("action_listen"), UserUttered(f"第{turn}句"),
                                        ActionExecuted("action_answer_item_question"), BotUttered(f"回答{turn}")], domain)
            if turn == 290:
                tracker.update_with_events([ActiveLoop("booking_form"), SlotSet("requested_slot", "booking_day")], domain)
        await store.save(tracker)
        kept = await store.retrieve("long")
        users = [e.text for e in kept.events if isinstance(e, UserUttered)]
        seen[name] = {"events": len(kept.events), "limit": SESSION_EVENTS_KEPT, "last": users[-1], "first": users[0],
                      "item": kept.get_slot("current_item"), "form": kept.active_loop_name,
                      "requested": kept.get_slot("requested_slot"), "latest": kept.latest_message.text}
    return seen


def action_validation() -> dict:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_server import validate_action_responses_with_a_checked_schema

    validate_action_responses_with_a_checked_schema()
    action = RemoteAction("action_x", None)
    seen: dict = {"valid": action._validate_action_result({"events": [{"event": "slot", "name": "a", "value": 1}],
                                                            "responses": [{"text": "好"}]})}
    try:
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": []})
        seen["invalid"] = "accepted"
    except ValidationError as exc:
        seen["invalid"] = exc.message
    return seen


def response_selection() -> dict:
    from rasa.nlu.selectors.response_selector import ResponseSelector
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_server import select_responses_for_retrieval_intents_only

    asked: list = []

    def record(self, messages):
        asked.extend(m.get("text") for m in messages)
        return messages

    ResponseSelector.process = record  # stands in for the network: which messages reach it
    select_responses_for_retrieval_intents_only()
    selector = ResponseSelector.__new__(ResponseSelector)
    selector.retrieval_intent, selector.all_retrieval_intents = "faq", ["faq"]
    messages = [Message({"text": "几点上班", "intent": {"name": "faq", "confidence": 0.9}}),
                Message({"text": "办护照要什么", "intent": {"name": "ask_materials", "confidence": 0.9}})]
    returned = selector.process(messages)
    return {"selected_for": asked, "returned": [m.get("text") for m in returned]}


def main() -> int:
    print(json.dumps({"tracker_store": asyncio.run(tracker_store(sys.argv[1])),
                      "long_conversation": asyncio.run(long_conversation()),
                      "in_memory_store": asyncio.run(in_memory_store()),
                      "action_validation": action_validation(),
                      "response_selection": response_selection()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
