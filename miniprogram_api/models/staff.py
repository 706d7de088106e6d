from tortoise import fields
from tortoise.models import Model

# admin: everything; manager: the hall (bookings, slots, statistics); backoffice: 办件 (applications);
# agent: the console; curator: the FAQ and the models.
ROLES = ("admin", "manager", "backoffice", "agent", "curator")


class StaffAccount(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    role = fields.CharField(max_length=16)
    # Only a hash of the bearer token is kept: a leaked table does not leak working tokens.
    token_hash = fields.CharField(max_length=64, unique=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff_account"


class PiiReveal(Model):
    """A staff member looked at an ID-card or phone number a citizen typed (masked until then)."""
    id = fields.BigIntField(primary_key=True)
    staff_name = fields.CharField(max_length=64)
    staff_role = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=16)  # message, ticket, complaint, question
    ref = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pii_reveal"
