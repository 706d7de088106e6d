"""The model life cycle: curators' training runs, the trained model versions and their deploys."""
from tortoise import fields
from tortoise.models import Model


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
