from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete

class Migration(migrations.Migration):
    dependencies = [('models', '0011_stats')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Item',
            name='conditions',
            field=fields.JSONField(default=list),
        ),
        ops.AddField(
            model_name='Item',
            name='proxy',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='UnansweredQuestion',
            name='reason',
            field=fields.CharField(null=True, max_length=24),
        ),
        ops.AddField(
            model_name='Complaint',
            name='conversation',
            field=fields.ForeignKeyField('models.Conversation', source_field='conversation_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.SET_NULL),
        ),
    ]
