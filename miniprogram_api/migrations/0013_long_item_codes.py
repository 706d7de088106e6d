from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class WidenColumn(ops.AlterField):
    """Widens a VARCHAR on PostgreSQL. SQLite does not enforce a VARCHAR's length, and tortoise alters a
    column there by rebuilding the table, which loses the table's indexes and unique_together (the
    message_day upsert relies on one): so on SQLite only the migration state changes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0012_edge_of_the_guide')]

    initial = False

    # The national catalogue's 实施编码 are up to 33 characters: every column holding an item code is 40 wide.
    operations = [
        WidenColumn(
            model_name='Item',
            name='code',
            field=fields.CharField(unique=True, max_length=40),
        ),
        WidenColumn(
            model_name='TranscriptMessage',
            name='item_code',
            field=fields.CharField(null=True, max_length=40),
        ),
        WidenColumn(
            model_name='Application',
            name='item_code',
            field=fields.CharField(max_length=40),
        ),
        WidenColumn(
            model_name='Appointment',
            name='item_code',
            field=fields.CharField(max_length=40),
        ),
        WidenColumn(
            model_name='MessageDay',
            name='item_code',
            field=fields.CharField(default='', max_length=40),
        ),
    ]
