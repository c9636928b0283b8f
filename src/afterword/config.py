"""Configuration: environment variables ``AFTERWORD_*`` over an optional TOML file over defaults.

One ``Settings`` object is built at start-up and passed down; nothing reads the environment
later, so a worker process sees exactly what ``afterword config show`` printed.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from afterword.errors import ConfigError

#: Environment variable naming the TOML file, so worker processes started by uvicorn find it.
CONFIG_ENV = "AFTERWORD_CONFIG"


class Settings(BaseSettings):
    """Everything an operator can set. Each field is also ``AFTERWORD_<NAME>`` in the environment
    and ``name = value`` at the top level of the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="AFTERWORD_",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(
        "sqlite:///./var/afterword.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db (psycopg 3).",
    )
    redis_url: str | None = Field(
        None, description="redis://host:port/db for shared rate limits and spam state (optional)."
    )
    data_dir: Path = Field(Path("./var"), description="Where the secret key and local files live.")
    secret_key: SecretStr | None = Field(
        None,
        description="Signs tokens and cookies. Generated into data_dir/secret_key when unset.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL of this server, used in links it sends."
    )
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: JSON when stderr is not a terminal."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted, in bytes."
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies trusted for X-Forwarded-For/Proto (comma-separated)."
    )
    demo: bool = Field(False, description="Serve the demo site with sample articles at /.")
    smtp_host: str | None = Field(None, description="SMTP server for notifications (unset: no email).")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        "starttls", description="none, starttls (upgrade on connect) or tls (implicit, port 465)."
    )
    smtp_username: str | None = Field(None, description="SMTP login (optional).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (optional).")
    mail_from: str = Field("afterword@localhost", description="From address of notifications.")
    retention_request_metadata_days: int = Field(
        30, ge=1, description="Days before user agents and request headers are dropped.")
    retention_spam_days: int = Field(30, ge=1, description="Days before spam is deleted.")
    retention_deleted_days: int = Field(
        30, ge=1, description="Days before deleted comments' placeholders are removed.")
    retention_checks_days: int = Field(
        90, ge=1, description="Days before Akismet-API check records are deleted.")
    ip_hash_rotation_days: int = Field(
        30, ge=1, description="Days one IP-hash key is used; older hashes are then erased.")
    erasure_mode: Literal["keep-anonymous", "delete"] = Field(
        "keep-anonymous", description="On an erasure request: keep the text as anonymous, or delete.")
    maintenance_interval_minutes: int = Field(
        60, ge=0, description="How often the app runs the retention job (0: only the CLI).")
    related_poll_minutes: int = Field(
        30, ge=0, description="How often the app polls the feeds and sitemaps sites list for "
        "related posts (0: only `afterword related poll-feeds`).")
    privacy_contact: str = Field("", description="Operator contact shown on the privacy page.")
    privacy_extra_text: str = Field(
        "", description="Operator's own text, added below the generated privacy notice.")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST/DB")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://HOST:PORT/DB")
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = os.environ.get(CONFIG_ENV)
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @cached_property
    def secret(self) -> bytes:
        """The signing key: configured, or created once in data_dir so restarts keep sessions."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(48).encode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race: use its key
            return path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"data_dir: cannot write {path} ({exc.strerror})") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key

    def public_dict(self) -> dict[str, Any]:
        """The effective configuration with secrets masked, for ``afterword config show``."""
        data = self.model_dump(mode="json")
        data["secret_key"] = "********" if self.secret_key else "(generated in data_dir)"
        data["database_url"] = _mask_url_password(self.database_url)
        data["smtp_password"] = "********" if self.smtp_password else None
        if self.redis_url:
            data["redis_url"] = _mask_url_password(self.redis_url)
        return data


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}{sep}{user}:********@{host}"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings, turning every validation problem into one ``ConfigError`` line.

    ``config_file`` is exported as ``AFTERWORD_CONFIG`` so uvicorn's worker processes load
    the same file.
    """
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        os.environ[CONFIG_ENV] = str(path.resolve())
    toml_file = os.environ.get(CONFIG_ENV)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except ValueError as exc:  # TOML syntax errors surface as ValueError subclasses
        raise ConfigError(f"config file {toml_file}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "?"
    if err["type"] == "extra_forbidden":
        return f"unknown setting {key!r} (see `afterword config show` for the known ones)"
    got = err.get("input")
    env = f"AFTERWORD_{key.upper()}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"invalid setting {key} ({env}): {msg}; got {got!r}"
