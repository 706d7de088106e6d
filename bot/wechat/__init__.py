"""WeChat's official-account channel: what a message means, customer-service messages, the menu.
The REST client is miniprogram_api/wechat_api.py, the webhook route miniprogram_api/routes/wechat.py."""
