"""Rasa's command line (`python -m bot.rasa_server run ...` in Rasa's environment, from
scripts/rasa_serve.sh) with two changes to work Rasa does on every message that changes no answer,
and RASA_TOKEN from the environment as Rasa's --auth-token (so the secret never shows in `ps`).
Together with the tracker store (bot/rasa_tracker_store.py) they took Rasa from ~16 to ~7 ms of CPU
a message (bench/bot_speed_bench.py); training and evaluation run Rasa unchanged."""
from __future__ import annotations

import os
import sys


def validate_action_responses_with_a_checked_schema() -> None:
    """Rasa validates every action response with `jsonschema.validate`, which first checks Rasa's own
    constant schema against the JSON-Schema metaschema, on every call: ~9 % of Rasa's CPU a message.
    The schema is checked once here; every response is still validated against it, and an invalid one
    still goes through Rasa's own method, so the error and its message are Rasa's."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    rasa_validate = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: dict) -> bool:
        return validator.is_valid(result) or rasa_validate(self, result)

    RemoteAction._validate_action_result = validate


def select_responses_for_retrieval_intents_only() -> None:
    """The ResponseSelector picks an FAQ answer for every message, though only a message whose intent
    is its retrieval intent (`faq`, predicted by DIET earlier in the pipeline) is answered from it: a
    second neural network run for nothing on ~85 % of messages (~18 % of Rasa's CPU). Messages with
    another intent now carry no `response_selector` in their parse data."""
    from rasa.nlu.selectors.response_selector import ResponseSelector

    rasa_process = ResponseSelector.process

    def process(self: ResponseSelector, messages: list) -> list:
        retrieval = {self.retrieval_intent} if self.retrieval_intent else set(self.all_retrieval_intents)
        rasa_process(self, [m for m in messages if ((m.get("intent") or {}).get("name")) in retrieval])
        return messages

    ResponseSelector.process = process


def main() -> int:
    from rasa.__main__ import main as rasa_main

    validate_action_responses_with_a_checked_schema()
    select_responses_for_retrieval_intents_only()
    sys.argv[0] = "rasa"
    token = os.environ.get("RASA_TOKEN", "").strip()
    if token and len(sys.argv) > 1 and sys.argv[1] == "run":
        # Without it, Rasa's HTTP API (--enable-api: PUT /model, tracker events) is open to the host.
        sys.argv.append(f"--auth-token={token}")  # one argument: a token may begin with "-"
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
