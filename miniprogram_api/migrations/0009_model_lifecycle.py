from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_faq_curation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ModelVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=128)),
                ('path', fields.CharField(max_length=500)),
                ('rasa_model_id', fields.CharField(null=True, unique=True, max_length=64)),
                ('source', fields.CharField(default='trained', max_length=16)),
                ('intent_accuracy', fields.FloatField(null=True)),
                ('evaluation', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('evaluated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('files_present', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'model_version', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ModelDeployment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model', fields.ForeignKeyField('models.ModelVersion', source_field='model_id', db_constraint=True, to_field='id', related_name='deployments', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=16)),
                ('staff', fields.CharField(default='', max_length=64)),
                ('override', fields.BooleanField(default=False)),
                ('status', fields.CharField(default='running', max_length=16)),
                ('error', fields.CharField(default='', max_length=500)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'model_deployment', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lock', fields.CharField(null=True, unique=True, max_length=16)),
                ('status', fields.CharField(default='running', max_length=16)),
                ('stage', fields.CharField(default='export', max_length=16)),
                ('progress', fields.FloatField(default=0.0)),
                ('message', fields.CharField(default='', max_length=500)),
                ('log_path', fields.CharField(default='', max_length=500)),
                ('started_by', fields.CharField(default='', max_length=64)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('model', fields.ForeignKeyField('models.ModelVersion', source_field='model_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'training_run', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
