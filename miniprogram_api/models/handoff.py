"""Hand-offs to a human agent (the queue) and the messages left for the agents (tickets)."""
from tortoise import fields
from tortoise.models import Model


class Handoff(Model):
    # One hand-off of a conversation to a human agent, from the request until it is closed.
    # status: waiting (in the queue), active (an agent has it), closed, expired (nobody claimed it).
    id = fields.IntField(primary_key=True)
    conversation = fields.ForeignKeyField("models.Conversation", related_name="handoffs", on_delete=fields.CASCADE)
    reason = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16, default="waiting", db_index=True)
    agent = fields.ForeignKeyField("models.StaffAccount", related_name="handoffs", null=True, on_delete=fields.SET_NULL)
    requested_at = fields.DatetimeField(db_index=True)
    claimed_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    closed_reason = fields.CharField(max_length=32, default="")
    # The agent's last message (or the claim): the idle rule closes conversations left unanswered.
    agent_active_at = fields.DatetimeField(null=True)
    told_position = fields.IntField(null=True)  # the queue position the citizen was last told

    class Meta:
        table = "handoff"


class Ticket(Model):
    # A message left for the agents (outside agent hours, or when nobody claimed in time), answered later.
    id = fields.IntField(primary_key=True)
    conversation = fields.ForeignKeyField("models.Conversation", related_name="tickets", on_delete=fields.CASCADE)
    text = fields.TextField()
    reason = fields.CharField(max_length=16, default="")  # outside_hours, unclaimed
    status = fields.CharField(max_length=16, default="open")  # open, answered
    answer = fields.TextField(default="")
    answered_by = fields.ForeignKeyField("models.StaffAccount", related_name="tickets", null=True,
                                         on_delete=fields.SET_NULL)
    delivered = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ticket"
