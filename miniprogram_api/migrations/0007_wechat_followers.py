from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_applications_ratings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WeChatFollower',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('openid', fields.CharField(unique=True, max_length=64)),
                ('subscribed', fields.BooleanField(default=True)),
                ('subscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unsubscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'wechat_follower', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
