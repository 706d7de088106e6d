from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_pii_reveal')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MessageDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('outcome', fields.CharField(default='', max_length=16)),
                ('item_code', fields.CharField(default='', max_length=16)),
                ('count', fields.IntField()),
            ],
            options={'table': 'message_day', 'app': 'models', 'unique_together': (('day', 'channel', 'outcome', 'item_code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RolledUpDay',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('rolled_up_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rolled_up_day', 'app': 'models', 'pk_attr': 'day'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Appointment',
            name='day',
            field=fields.DateField(db_index=True),
        ),
        ops.AddField(
            model_name='Complaint',
            name='due_date',
            field=fields.DateField(null=True),
        ),
        ops.AlterField(
            model_name='Handoff',
            name='requested_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='PiiReveal',
            options={'table': 'pii_reveal', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A staff member looked at an ID-card or phone number a citizen typed (masked until then).'},
        ),
        ops.AddField(
            model_name='Ticket',
            name='reason',
            field=fields.CharField(default='', max_length=16),
        ),
        ops.AddField(
            model_name='TranscriptMessage',
            name='item_code',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='TranscriptMessage',
            name='outcome',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddIndex(
            model_name='TranscriptMessage',
            index=Index(fields=['created_at']),
        ),
    ]
