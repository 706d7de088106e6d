from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_bookings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Handoff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='handoffs', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(max_length=32)),
                ('status', fields.CharField(default='waiting', db_index=True, max_length=16)),
                ('agent', fields.ForeignKeyField('models.StaffAccount', source_field='agent_id', null=True, db_constraint=True, to_field='id', related_name='handoffs', on_delete=OnDelete.SET_NULL)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_reason', fields.CharField(default='', max_length=32)),
                ('agent_active_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('told_position', fields.IntField(null=True)),
            ],
            options={'table': 'handoff', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Ticket',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('status', fields.CharField(default='open', max_length=16)),
                ('answer', fields.TextField(default='', unique=False)),
                ('answered_by', fields.ForeignKeyField('models.StaffAccount', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('delivered', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ticket', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Conversation',
            name='rating_handoff_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Conversation',
            name='state',
            field=fields.CharField(default='bot', max_length=16),
        ),
    ]
