from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_citizens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QueueCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall_code', fields.CharField(max_length=8)),
                ('window_code', fields.CharField(max_length=4)),
                ('day', fields.DateField()),
                ('issued', fields.IntField(default=0)),
            ],
            options={'table': 'queue_counter', 'app': 'models', 'unique_together': (('hall_code', 'window_code', 'day'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Slot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall_code', fields.CharField(max_length=8)),
                ('category', fields.CharField(max_length=32)),
                ('day', fields.DateField(db_index=True)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
                ('booked', fields.IntField(default=0)),
                ('closed', fields.BooleanField(default=False)),
                ('closed_reason', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'slot', 'app': 'models', 'unique_together': (('hall_code', 'category', 'starts_at'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Appointment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen', fields.ForeignKeyField('models.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.CASCADE)),
                ('slot', fields.ForeignKeyField('models.Slot', source_field='slot_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.RESTRICT)),
                ('item_code', fields.CharField(max_length=16)),
                ('hall_code', fields.CharField(max_length=8)),
                ('day', fields.DateField()),
                ('status', fields.CharField(default='booked', max_length=16)),
                ('idempotency_key', fields.CharField(max_length=64)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=64)),
                ('check_in_code', fields.CharField(unique=True, max_length=12)),
                ('queue_number', fields.CharField(null=True, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appointment', 'app': 'models', 'unique_together': (('citizen', 'idempotency_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
