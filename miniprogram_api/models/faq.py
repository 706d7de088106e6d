"""FAQ curation: the curated FAQ intents, their audit trail and the unanswered-question inbox."""
from tortoise import fields
from tortoise.models import Model


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
    # Why it is here: fallback, low_confidence, not_covered, near_miss, out_of_scope, rephrased
    # (asked again right after an answer), handoff_after_answer; null in rows from before the column.
    reason = fields.CharField(max_length=24, null=True)
    handled = fields.BooleanField(default=False, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unanswered_question"
