"""Conversations and their transcript: every turn, whoever said it."""
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
    item_code = fields.CharField(max_length=16, null=True)
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


class FaqIntent(Model):
    # A curated FAQ retrieval intent (faq/<key>): edited here, exported to intents/templates/faq.yml.
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=48, unique=True)
    title = fields.CharField(max_length=50)
    examples = fields.JSONField(default=list)
    answer = fields.TextField()
    related_items = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    updated_by = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "faq_intent"


class FaqChange(Model):
    # The audit trail of FAQ edits: who, when, what it was before and after.
    id = fields.IntField(primary_key=True)
    faq_key = fields.CharField(max_length=48, db_index=True)
    action = fields.CharField(max_length=16)  # create, update, enable, disable, delete, seed
    staff = fields.CharField(max_length=64, default="")
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "faq_change"


class UnansweredQuestion(Model):
    # A citizen's message the bot fell back on (or understood with low confidence): the curators' inbox.
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=500)
    intent = fields.CharField(max_length=64, null=True)
    confidence = fields.FloatField(null=True)
    handled = fields.BooleanField(default=False, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unanswered_question"


class TrainingRun(Model):
    # One retrain started by a curator: exported FAQ → generated data → `rasa train` → evaluation.
    id = fields.IntField(primary_key=True)
    # "training" while the run is going, NULL after: the unique index lets only one run go at a time.
    lock = fields.CharField(max_length=16, null=True, unique=True)
    status = fields.CharField(max_length=16, default="running")  # running, succeeded, failed
    stage = fields.CharField(max_length=16, default="export")  # export, generate, train, evaluate, done
    progress = fields.FloatField(default=0.0)
    message = fields.CharField(max_length=500, default="")
    log_path = fields.CharField(max_length=500, default="")
    started_by = fields.CharField(max_length=64, default="")
    # The runner touches this while it works; a run whose heartbeat stopped (the app died) is abandoned.
    heartbeat_at = fields.DatetimeField(null=True)
    model: fields.ForeignKeyNullableRelation["ModelVersion"] = fields.ForeignKeyField(
        "models.ModelVersion", related_name=False, null=True, on_delete=fields.SET_NULL)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "training_run"


class ModelVersion(Model):
    # A trained Rasa model kept on disk, with its accuracy on the held-out test set.
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)  # file name under MODEL_DIR
    path = fields.CharField(max_length=500)
    rasa_model_id = fields.CharField(max_length=64, null=True, unique=True)
    source = fields.CharField(max_length=16, default="trained")  # trained, baseline (what Rasa was started with)
    intent_accuracy = fields.FloatField(null=True)
    evaluation = fields.JSONField(null=True)  # {"n", "correct", "per_intent": {intent: [n, correct]}}
    evaluated_at = fields.DatetimeField(null=True)
    files_present = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "model_version"


class ModelDeployment(Model):
    # Every deploy and roll-back: which model, who, whether the accuracy gate was overridden, how it went.
    id = fields.IntField(primary_key=True)
    model: fields.ForeignKeyRelation[ModelVersion] = fields.ForeignKeyField(
        "models.ModelVersion", related_name="deployments", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=16)  # deploy, rollback
    staff = fields.CharField(max_length=64, default="")
    override = fields.BooleanField(default=False)
    status = fields.CharField(max_length=16, default="running")  # running, succeeded, failed
    error = fields.CharField(max_length=500, default="")
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "model_deployment"
