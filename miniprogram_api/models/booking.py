from tortoise import fields
from tortoise.models import Model

APPOINTMENT_STATUSES = ("booked", "checked_in", "cancelled", "no_show", "closed")


class Slot(Model):
    # A half-hour of one hall for one item category. `booked` only moves inside a transaction by a
    # conditional update (booked < capacity), which is what keeps a slot from being overbooked.
    id = fields.IntField(primary_key=True)
    hall_code = fields.CharField(max_length=8)
    category = fields.CharField(max_length=32)
    day = fields.DateField(db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    booked = fields.IntField(default=0)
    closed = fields.BooleanField(default=False)
    closed_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "slot"
        unique_together = (("hall_code", "category", "starts_at"),)


class Appointment(Model):
    id = fields.IntField(primary_key=True)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="appointments", on_delete=fields.CASCADE)
    slot = fields.ForeignKeyField("models.Slot", related_name="appointments", on_delete=fields.RESTRICT)
    item_code = fields.CharField(max_length=40)
    hall_code = fields.CharField(max_length=8)
    day = fields.DateField(db_index=True)
    status = fields.CharField(max_length=16, default="booked")
    idempotency_key = fields.CharField(max_length=64)
    # "{citizen}:{item}:{day}" while the booking is active, NULL otherwise: the unique index is the
    # database's rule of one active booking per citizen per item per day (NULLs never clash).
    active_key = fields.CharField(max_length=64, null=True, unique=True)
    check_in_code = fields.CharField(max_length=12, unique=True)
    queue_number = fields.CharField(max_length=8, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appointment"
        unique_together = (("citizen", "idempotency_key"),)


class DailyCounter(Model):
    # The last number handed out per name and day: queue numbers (A001 …), application and ticket numbers.
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32)
    day = fields.DateField()
    issued = fields.IntField(default=0)

    class Meta:
        table = "daily_counter"
        unique_together = (("name", "day"),)
