from tortoise import fields
from tortoise.models import Model


class MessageDay(Model):
    # Citizens' messages of one finished local day, counted by channel, outcome and item: the statistics
    # read a year of these instead of a year of transcript rows (services/stats.py keeps them).
    id = fields.IntField(primary_key=True)
    day = fields.DateField(db_index=True)
    channel = fields.CharField(max_length=16)
    outcome = fields.CharField(max_length=16, default="")  # "" for messages stored before outcomes were
    item_code = fields.CharField(max_length=40, default="")
    count = fields.IntField()

    class Meta:
        table = "message_day"
        unique_together = (("day", "channel", "outcome", "item_code"),)


class RolledUpDay(Model):
    # A day whose MessageDay rows are complete. The day is the key, so only one worker writes them.
    day = fields.DateField(primary_key=True)
    rolled_up_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rolled_up_day"
