from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_model_lifecycle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PiiReveal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff_name', fields.CharField(max_length=64)),
                ('staff_role', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=16)),
                ('ref', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pii_reveal', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
