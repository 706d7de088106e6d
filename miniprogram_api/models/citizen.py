from tortoise import fields
from tortoise.models import Model


class Citizen(Model):
    # One person. Linked to the mini-program openid; the unionid (when WeChat gives it) joins the
    # official account's openid to the same row later. ID and phone numbers are stored whole
    # (the back office needs them) and masked in every response and log.
    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, null=True, unique=True)  # mini-program openid
    unionid = fields.CharField(max_length=64, null=True, unique=True)
    oa_openid = fields.CharField(max_length=64, null=True, unique=True)  # official-account openid
    name = fields.CharField(max_length=50, default="")
    id_number = fields.CharField(max_length=18, default="")
    phone = fields.CharField(max_length=20, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "citizen"


class Notification(Model):
    # Every message sent to a citizen outside a conversation turn (subscribe messages: reminders,
    # progress, closed slots), with WeChat's answer; `dedupe_key` makes "sent once" a database rule.
    id = fields.BigIntField(primary_key=True)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    dedupe_key = fields.CharField(max_length=128, unique=True)
    data = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending")  # pending, sent, failed, skipped
    error = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
