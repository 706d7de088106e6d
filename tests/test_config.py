"""Settings: documented defaults, and a malformed value names its variable."""
import pytest

from miniprogram_api.config import ConfigError, Settings


def test_defaults_are_embedded():
    s = Settings.from_env({})
    assert s.database_url.startswith("sqlite://") and s.redis_url is None
    assert (s.app_port, s.rasa_url) == (8080, "http://127.0.0.1:5005")


def test_rasa_port_moves_the_default_rasa_url():
    assert Settings.from_env({"RASA_PORT": "5055"}).rasa_url == "http://127.0.0.1:5055"


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", "mysql://x"), ("DATABASE_URL", "postgres://"), ("REDIS_URL", "localhost:6379"),
    ("RASA_URL", "127.0.0.1:5005"), ("APP_PORT", "99999"), ("RASA_PORT", "abc"), ("RASA_TIMEOUT", "-1"),
    ("WECHAT_AES_KEY", "short"), ("WECHAT_API_BASE", "ftp://x"),
])
def test_malformed_value_names_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_several_rasa_servers_each_conversation_sticks_to_one():
    from bot.rasa_client import RasaClient

    settings = Settings.from_env({"RASA_URL": "http://127.0.0.1:5005, http://127.0.0.1:5006"})
    client = RasaClient(settings.rasa_url, session=None)  # type: ignore[arg-type]
    assert client.base_urls == ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]
    chosen = {client.url_for(f"wechat:user-{n}") for n in range(50)}
    assert chosen == set(client.base_urls)
    assert client.url_for("wechat:same") == client.url_for("wechat:same")
    with pytest.raises(ConfigError, match="RASA_URL"):
        Settings.from_env({"RASA_URL": "http://127.0.0.1:5005,ftp://x"})
