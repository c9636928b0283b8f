"""Configuration: environment over TOML over defaults, and one-line errors."""

import pytest

from afterword.config import load_settings
from afterword.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("AFTERWORD_CONFIG", "AFTERWORD_PORT", "AFTERWORD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_sqlite_in_var():
    settings = load_settings()
    assert settings.database_url == "sqlite:///./var/afterword.db"
    assert settings.port == 8000


def test_environment_overrides_toml(tmp_path, monkeypatch):
    toml = tmp_path / "afterword.toml"
    toml.write_text('port = 9001\nbase_url = "https://comments.example.org"\n')
    monkeypatch.setenv("AFTERWORD_PORT", "9002")
    settings = load_settings(toml)
    assert settings.port == 9002
    assert settings.base_url == "https://comments.example.org"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('port = "eighty"\n', "invalid setting port"),
        ("colour = 1\n", "unknown setting 'colour'"),
        ("port = \n", "config file"),
        ('database_url = "mysql://x"\n', "expected sqlite:///PATH or postgresql"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path, toml, expected):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_masked(tmp_path):
    settings = load_settings(
        secret_key="hunter2-hunter2",
        database_url="postgresql://app:s3cret@db.internal/afterword",
        data_dir=str(tmp_path),
    )
    shown = settings.public_dict()
    assert "hunter2" not in str(shown) and "s3cret" not in str(shown)
    assert shown["database_url"] == "postgresql://app:********@db.internal/afterword"


def test_generated_secret_is_stable_across_restarts(tmp_path):
    first = load_settings(data_dir=str(tmp_path)).secret
    second = load_settings(data_dir=str(tmp_path)).secret
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
