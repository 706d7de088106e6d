"""Conversations and their transcript: every turn, whoever said it."""
from tortoise import fields
from tortoise.models import Model

ROLES = ("citizen", "bot", "agent", "system")


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)  # wechat, miniprogram, terminal
    user_id = fields.CharField(max_length=128)
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
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transcript_message"


class WeChatFollower(Model):
    """Followers of the official account."""
    # Unfollowing flips `subscribed` instead of deleting the row, so later code can tell
    # "never followed" from "left" and skip customer-service messages to those who left.
    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    subscribed = fields.BooleanField(default=True)
    subscribed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wechat_follower"
