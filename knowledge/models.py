"""Stored form of the knowledge base. Nested guide parts are JSON: the guide is edited and read as one document."""
from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)  # schema.ITEM_CODE_MAX
    name = fields.CharField(max_length=100)
    aliases = fields.JSONField(default=list)
    department = fields.CharField(max_length=100)
    category = fields.CharField(max_length=32, db_index=True)
    service_object = fields.JSONField(default=list)
    situations = fields.JSONField(default=list)
    process = fields.JSONField(default=list)
    promised_days = fields.IntField()
    legal_days = fields.IntField()
    fee = fields.JSONField(default=dict)
    visits = fields.IntField()
    online = fields.JSONField(default=dict)
    conditions = fields.JSONField(default=list)  # 受理条件
    proxy = fields.JSONField(null=True)  # 委托代办: {allowed, notes}; None when the guide does not say
    halls = fields.JSONField(default=list)
    phone = fields.CharField(max_length=32)
    source_file = fields.CharField(max_length=200)
    content_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "kb_item"


class Bundle(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=100)
    aliases = fields.JSONField(default=list)
    items = fields.JSONField(default=list)
    notes = fields.TextField(default="")
    source_file = fields.CharField(max_length=200)
    content_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "kb_bundle"


class Hall(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    name = fields.CharField(max_length=100)
    district = fields.CharField(max_length=50)
    address = fields.CharField(max_length=200)
    transport = fields.JSONField(default=list)
    parking = fields.TextField(default="")
    phone = fields.CharField(max_length=32)
    opening_hours = fields.JSONField(default=dict)
    notes = fields.TextField(default="")
    self_service = fields.TextField(default="")
    services = fields.JSONField(default=list)
    source_file = fields.CharField(max_length=200)
    content_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    windows: fields.ReverseRelation["HallWindow"]

    class Meta:
        table = "kb_hall"


class HallWindow(Model):
    id = fields.IntField(primary_key=True)
    hall = fields.ForeignKeyField("models.Hall", related_name="windows", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=4)
    name = fields.CharField(max_length=100)
    categories = fields.JSONField(default=list)
    count = fields.IntField()

    class Meta:
        table = "kb_hall_window"
        unique_together = (("hall", "code"),)


class CalendarDay(Model):
    # A day that departs from the Monday-Friday rule: a public holiday, or a 调休 working weekend.

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    is_workday = fields.BooleanField()
    name = fields.CharField(max_length=32)
    year = fields.IntField(db_index=True)

    class Meta:
        table = "kb_calendar_day"


class KbImport(Model):
    # One import run that changed something; its id is the revision of the knowledge base.

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=300)
    summary = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "kb_import"
