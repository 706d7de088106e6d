"""Conversations and their transcript: every turn, whoever said it, and what became of a citizen's message."""
from tortoise import fields
from tortoise.models import Model

ROLES = ("citizen", "bot", "agent", "system")


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)  # wechat, miniprogram, terminal
    user_id = fields.CharField(max_length=128)
    # Who answers the citizen now (STATES): the bot, the queue, an agent, or the leave-a-message step.
    state = fields.CharField(max_length=16, default="bot")
    # After a hand-off closes, the citizen's next message may be the rating asked for.
    rating_handoff_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversation"
        unique_together = (("channel", "user_id"),)


class TranscriptMessage(Model):
    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField("models.Conversation", related_name="messages", on_delete=fields.CASCADE,
                                          db_index=True)
    role = fields.CharField(max_length=8)
    text = fields.TextField()
    message_id = fields.CharField(max_length=64, null=True)
    intent = fields.CharField(max_length=64, null=True)
    data = fields.JSONField(default=dict)  # what the bot understood, custom events
    # Of a citizen's message, what became of it (OUTCOMES) and the item it was about: the statistics
    # count these in SQL, so they are columns rather than keys of `data`.
    outcome = fields.CharField(max_length=16, null=True)
    item_code = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transcript_message"
        indexes = (("created_at",),)


# answered: the bot answered; clarify: it asked which item or situation; not_understood / out_of_scope /
# not_covered: it could not (FALLBACK_OUTCOMES, the statistics' fallback share); handoff: the message
# that brought a person in; person: written while with a person or as a left message; rating: the answer
# to "please rate"; unavailable: Rasa did not answer.
FALLBACK_OUTCOMES = ("not_understood", "out_of_scope", "not_covered")
OUTCOMES = ("answered", "clarify", *FALLBACK_OUTCOMES, "handoff", "person", "rating", "unavailable")


STATES = ("bot", "waiting", "agent", "leave_message")
