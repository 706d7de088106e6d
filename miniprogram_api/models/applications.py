from tortoise import fields
from tortoise.models import Model

STATUSES = ("提交", "受理", "审查", "办结", "送达", "补正", "不予受理")


class Application(Model):
    # One citizen's case (办件) for an item. The applicant's ID number is stored whole for the
    # back office and masked in every response; its last 4 characters answer the public query.
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=20, unique=True)
    item_code = fields.CharField(max_length=40)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="applications", null=True, on_delete=fields.SET_NULL)
    applicant_name = fields.CharField(max_length=50)
    applicant_id_number = fields.CharField(max_length=18, db_index=True)
    channel = fields.CharField(max_length=16)
    status = fields.CharField(max_length=8, default="提交")
    accepted_on = fields.DateField(null=True)
    promised_date = fields.DateField(null=True)
    completed_at = fields.DatetimeField(null=True)
    supplement = fields.JSONField(default=list)  # materials to add (补正)
    reason = fields.TextField(default="")  # why not accepted (不予受理)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "application"


class ApplicationEvent(Model):
    # The timeline: every change of status, when and by whom.
    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="events", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=8)
    note = fields.TextField(default="")
    materials = fields.JSONField(default=list)
    reason = fields.TextField(default="")
    staff = fields.ForeignKeyField("models.StaffAccount", related_name="application_events", null=True,
                                   on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()

    class Meta:
        table = "application_event"


class QueryAttempt(Model):
    # A failed public progress query (wrong number or wrong ID digits), for rate limiting guesses.
    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=80, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "query_attempt"


class Rating(Model):
    # 好差评: one per service (an appointment, an application, a hand-off); level 1 非常满意 … 5 非常不满意.
    id = fields.IntField(primary_key=True)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="ratings", on_delete=fields.CASCADE)
    target_type = fields.CharField(max_length=16)
    target_id = fields.IntField()
    level = fields.IntField()
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "rating"
        unique_together = (("target_type", "target_id"),)


class FollowUp(Model):
    # A rating of 不满意 or worse must be answered by staff within 5 working days.
    id = fields.IntField(primary_key=True)
    rating = fields.OneToOneField("models.Rating", related_name="follow_up", on_delete=fields.CASCADE)
    due_date = fields.DateField()
    status = fields.CharField(max_length=16, default="open")  # open, answered, closed
    answer = fields.TextField(default="")
    answered_by = fields.ForeignKeyField("models.StaffAccount", related_name="follow_ups", null=True,
                                         on_delete=fields.SET_NULL)
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "follow_up"


class Complaint(Model):
    id = fields.IntField(primary_key=True)
    ticket = fields.CharField(max_length=20, unique=True)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="complaints", on_delete=fields.CASCADE)
    category = fields.CharField(max_length=8)
    text = fields.TextField()
    hall_code = fields.CharField(max_length=8, null=True)
    window_code = fields.CharField(max_length=4, null=True)
    status = fields.CharField(max_length=16, default="open")  # open, answered, closed
    answer = fields.TextField(default="")
    answered_by = fields.ForeignKeyField("models.StaffAccount", related_name="complaints", null=True,
                                         on_delete=fields.SET_NULL)
    answered_at = fields.DatetimeField(null=True)
    due_date = fields.DateField(null=True)  # an answer is due within COMPLAINT_WORKDAYS working days
    # The chat it was made in, so the staff answer also reaches the citizen there (null: the mini-program's form).
    conversation = fields.ForeignKeyField("models.Conversation", related_name="complaints", null=True,
                                          on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()

    class Meta:
        table = "complaint"
