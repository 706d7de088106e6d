from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_handoff')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=20)),
                ('item_code', fields.CharField(max_length=16)),
                ('citizen', fields.ForeignKeyField('models.Citizen', source_field='citizen_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.SET_NULL)),
                ('applicant_name', fields.CharField(max_length=50)),
                ('applicant_id_number', fields.CharField(db_index=True, max_length=18)),
                ('channel', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='提交', max_length=8)),
                ('accepted_on', fields.DateField(null=True)),
                ('promised_date', fields.DateField(null=True)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('supplement', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'application', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=8)),
                ('note', fields.TextField(default='', unique=False)),
                ('materials', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(default='', unique=False)),
                ('staff', fields.ForeignKeyField('models.StaffAccount', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='application_events', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application_event', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Complaint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.CharField(unique=True, max_length=20)),
                ('citizen', fields.ForeignKeyField('models.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharField(max_length=8)),
                ('text', fields.TextField(unique=False)),
                ('hall_code', fields.CharField(null=True, max_length=8)),
                ('window_code', fields.CharField(null=True, max_length=4)),
                ('status', fields.CharField(default='open', max_length=16)),
                ('answer', fields.TextField(default='', unique=False)),
                ('answered_by', fields.ForeignKeyField('models.StaffAccount', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'complaint', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DailyCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=32)),
                ('day', fields.DateField()),
                ('issued', fields.IntField(default=0)),
            ],
            options={'table': 'daily_counter', 'app': 'models', 'unique_together': (('name', 'day'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(db_index=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'query_attempt', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen', fields.ForeignKeyField('models.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('target_type', fields.CharField(max_length=16)),
                ('target_id', fields.IntField()),
                ('level', fields.IntField()),
                ('comment', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating', 'app': 'models', 'unique_together': (('target_type', 'target_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FollowUp',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rating', fields.OneToOneField('models.Rating', source_field='rating_id', db_constraint=True, to_field='id', related_name='follow_up', on_delete=OnDelete.CASCADE)),
                ('due_date', fields.DateField()),
                ('status', fields.CharField(default='open', max_length=16)),
                ('answer', fields.TextField(default='', unique=False)),
                ('answered_by', fields.ForeignKeyField('models.StaffAccount', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'follow_up', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='QueueCounter'),
    ]
