"""PlentyConfig: its checks, its secrets kept out of reprs, and loading it from the environment."""

import pytest

from plenty_events.plentymarkets import AppClient, PlentyConfig, UserLogin

ENV = {
    "PLENTY_URL": "https://shop.example/",
    "PLENTY_USERNAME": "api-user",
    "PLENTY_PASSWORD": "pa55-word",
    "PLENTY_ID": "1000",
    "PLENTY_TICKET_TYPE_ID": "2",
    "PLENTY_TICKET_STATUS_ID": "3",
    "PLENTY_TICKET_ROLE_ID": "4",
    "PLENTY_OWNER_USER_IDS": "7, 8",
}


def test_from_env_reads_the_required_variables():
    """The required variables give the URL (without a trailing slash), a user login, the ids and the owners."""
    config = PlentyConfig.from_env(ENV)
    assert config.url == "https://shop.example"
    assert config.credentials == UserLogin("api-user", "pa55-word")
    assert (config.plenty_id, config.ticket_type_id, config.ticket_status_id, config.ticket_role_id) == (1000, 2, 3, 4)
    assert config.owner_user_ids == (7, 8)
    assert (config.referrer_id, config.language, config.note_type, config.timeout) == (1, "de", "comment", 10.0)


def test_from_env_reads_the_optional_variables_and_the_app_client():
    """With PLENTY_CLIENT_ID the app client logs in; the optional variables override the defaults."""
    env = {
        **ENV,
        "PLENTY_CLIENT_ID": "app",
        "PLENTY_CLIENT_SECRET": "app-secret",
        "PLENTY_TOKEN_URL": "https://shop.example/token",
        "PLENTY_REFERRER_ID": "9",
        "PLENTY_LANGUAGE": "en",
        "PLENTY_NOTE_TYPE": "message",
        "PLENTY_NOTE_TEMPLATE": "$event_id",
        "PLENTY_TITLE_PREFIX": "Buy: ",
        "PLENTY_TIMEOUT": "2.5",
    }
    config = PlentyConfig.from_env(env)
    assert config.credentials == AppClient("app", "app-secret", "https://shop.example/token")
    assert (config.referrer_id, config.language, config.note_type) == (9, "en", "message")
    assert (config.note_template, config.title_prefix, config.timeout) == ("$event_id", "Buy: ", 2.5)


def test_from_env_defaults_to_the_process_environment(monkeypatch):
    """Without a mapping, os.environ is read."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert PlentyConfig.from_env().plenty_id == 1000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"PLENTY_URL": ""}, "PLENTY_URL is not set"),
        ({"PLENTY_ID": "many"}, "PLENTY_ID is not an integer"),
        ({"PLENTY_TICKET_TYPE_ID": ""}, "PLENTY_TICKET_TYPE_ID is not set"),
        ({"PLENTY_OWNER_USER_IDS": "7;8"}, "PLENTY_OWNER_USER_IDS is not a comma-separated list"),
        ({"PLENTY_TIMEOUT": "soon"}, "PLENTY_TIMEOUT is not a float"),
        ({"PLENTY_CLIENT_ID": "app"}, "PLENTY_CLIENT_SECRET is not set"),
    ],
)
def test_from_env_names_the_bad_variable_never_its_value(changes, message):
    """A missing or malformed variable is named in the error; its value is not repeated."""
    with pytest.raises(ValueError, match=message) as caught:
        PlentyConfig.from_env({**ENV, **changes})
    assert "pa55-word" not in str(caught.value)
    for value in changes.values():
        if value:
            assert value not in str(caught.value).replace(message, "")


def test_secrets_never_show_in_a_repr():
    """Neither the password nor the app client's secret is in a repr of the config."""
    user = PlentyConfig.from_env(ENV)
    app = PlentyConfig.from_env(
        {**ENV, "PLENTY_CLIENT_ID": "a", "PLENTY_CLIENT_SECRET": "c1ient-s3cret", "PLENTY_TOKEN_URL": "https://t"}
    )
    assert "pa55-word" not in repr(user)
    assert "c1ient-s3cret" not in repr(app)
    assert "'***'" in repr(user)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "shop.example"}, "an http"),
        ({"owner_user_ids": ()}, "at least one user"),
        ({"note_type": "html"}, "note_type"),
        ({"note_template": "$first_name $password"}, "unknown placeholder 'password'"),
        ({"note_template": "costs $5"}, "Invalid placeholder"),
    ],
)
def test_a_bad_setting_is_refused_at_start(changes, message):
    """A URL without scheme, no owner, an unknown note type or template placeholder fail when the config is made."""
    settings = {
        "url": "https://shop.example",
        "credentials": UserLogin("api", "pw"),
        "plenty_id": 1,
        "ticket_type_id": 1,
        "ticket_status_id": 1,
        "ticket_role_id": 1,
        "owner_user_ids": (1,),
    }
    with pytest.raises(ValueError, match=message):
        PlentyConfig(**{**settings, **changes})
