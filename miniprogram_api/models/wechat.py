"""The official account's followers."""
from tortoise import fields
from tortoise.models import Model


class WeChatFollower(Model):
    # Followers of the official account.
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
