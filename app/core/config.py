"""Service settings: one class, read from the environment and `.env`, checked at startup.

A bad value stops the process with one line naming the variable (`settings_or_exit`),
never a traceback; messages never repeat the offending value, which may be a secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core import dburl

ROOT = Path(__file__).resolve().parents[2]

Environment = Literal["local", "staging", "production"]
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

DEFAULT_SECRET_KEY = "changethis"  # noqa: S105 - the placeholder refused outside local
MIN_SECRET_KEY_LENGTH = 32
NEXTJS_DEV_ORIGIN = "http://localhost:3000"  # `next dev`'s default
_MASK = "*" * 8


def _split_origins(value: Any) -> Any:
    """Accept a JSON array (already decoded by the caller) or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError("is neither a JSON array nor comma-separated origins") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


CorsOrigins = Annotated[list[AnyHttpUrl], NoDecode, BeforeValidator(_split_origins)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=ROOT / ".env",
        env_ignore_empty=True,
        extra="ignore",
        hide_input_in_errors=True,
    )

    ENVIRONMENT: Environment
    PROJECT_NAME: str = "Pages service"

    # Signs and checks bearer tokens (HS256).
    SECRET_KEY: SecretStr = SecretStr(DEFAULT_SECRET_KEY)

    # postgres://, postgresql:// or postgresql+asyncpg://. Required outside local;
    # in local, `make run` starts an embedded database when it is unset.
    DATABASE_URL: SecretStr | None = Field(default=None, validate_default=True)
    # Connections kept open per worker: cover the worker's concurrency. Overflow
    # connections are closed as soon as they are returned, so under steady load they
    # mean a new connection every few requests; a full pool waits DB_POOL_TIMEOUT.
    DB_POOL_SIZE: int = Field(default=20, ge=1)
    DB_MAX_OVERFLOW: int = Field(default=0, ge=0)
    DB_POOL_TIMEOUT: float = Field(default=5.0, gt=0)  # seconds to wait for a free connection
    DB_POOL_RECYCLE: int = Field(default=1800, gt=0)  # seconds before a connection is replaced
    DB_CONNECT_TIMEOUT: float = Field(default=5.0, gt=0)
    # Seconds a statement may run before the database cancels it (0: no limit).
    DB_STATEMENT_TIMEOUT: float = Field(default=10.0, ge=0)
    # Behind PgBouncer in transaction mode: no prepared-statement cache, unique
    # statement names, no startup parameters, no client-side pool.
    DB_PGBOUNCER: bool = False

    # Unset: the Next.js dev server's origin in local, none elsewhere.
    BACKEND_CORS_ORIGINS: CorsOrigins = []
    SENTRY_DSN: HttpUrl | None = None
    # Share of requests traced (0: tracing off). The release defaults to Sentry's own
    # detection (the image sets SENTRY_RELEASE from its RELEASE build argument).
    SENTRY_TRACES_SAMPLE_RATE: float = Field(default=0.0, ge=0, le=1)
    SENTRY_RELEASE: str | None = None
    LOG_LEVEL: LogLevel = "INFO"
    LOG_JSON: bool | None = None  # unset: JSON lines outside local, readable text in local

    # The production server (app/cli/serve.py; the image listens on 0.0.0.0) and `make run`.
    HOST: str = "127.0.0.1"
    PORT: int = Field(default=8000, ge=1, le=65535)
    WEB_CONCURRENCY: int = Field(default=1, ge=1)  # worker processes
    GRACEFUL_SHUTDOWN_TIMEOUT: int = Field(default=20, ge=0)  # seconds for in-flight requests
    # Seconds an idle keep-alive connection stays open; behind a load balancer, keep it
    # above the balancer's idle timeout, or it reuses connections the server just closed.
    KEEPALIVE_TIMEOUT: int = Field(default=5, ge=1)
    MAX_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)

    @field_validator("SECRET_KEY")
    @classmethod
    def _secret_key_is_strong_outside_local(
        cls, value: SecretStr, info: ValidationInfo
    ) -> SecretStr:
        environment = info.data.get("ENVIRONMENT")
        if environment in (None, "local"):
            return value
        secret = value.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            raise ValueError(
                f"is '{DEFAULT_SECRET_KEY}', refused in {environment}; set a random value of "
                f"at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"is too short for {environment} ({len(secret)} characters); use at least "
                f"{MIN_SECRET_KEY_LENGTH}"
            )
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_is_postgres(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        environment = info.data.get("ENVIRONMENT")
        if value is None:
            if environment not in (None, "local"):
                raise ValueError(f"is required in {environment}")
            return None
        dburl.parse(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _nextjs_dev_server_allowed_in_local(self) -> Self:
        if self.ENVIRONMENT == "local" and "BACKEND_CORS_ORIGINS" not in self.model_fields_set:
            self.BACKEND_CORS_ORIGINS = [AnyHttpUrl(NEXTJS_DEV_ORIGIN)]
        return self

    @property
    def cors_origins(self) -> list[str]:
        return [str(origin).rstrip("/") for origin in self.BACKEND_CORS_ORIGINS]

    @property
    def log_json(self) -> bool:
        return self.LOG_JSON if self.LOG_JSON is not None else self.ENVIRONMENT != "local"

    def warnings(self) -> list[str]:
        """Accepted but unsafe choices, logged at startup. The built-in key is not one:
        it is refused outside local, where it is what a fresh clone runs with."""
        if (
            "SECRET_KEY" in self.model_fields_set
            and self.SECRET_KEY.get_secret_value() == DEFAULT_SECRET_KEY
        ):
            return [f"SECRET_KEY is set to '{DEFAULT_SECRET_KEY}': acceptable in local only"]
        return []

    def public(self) -> dict[str, Any]:
        """The effective settings with secrets masked, for diagnostics."""
        values = self.model_dump(mode="json")
        values["SECRET_KEY"] = _MASK
        if self.DATABASE_URL is not None:
            values["DATABASE_URL"] = dburl.masked(self.DATABASE_URL.get_secret_value())
        if self.SENTRY_DSN is not None:
            values["SENTRY_DSN"] = f"{self.SENTRY_DSN.scheme}://{_MASK}@{self.SENTRY_DSN.host}"
        return values


def describe(error: ValidationError) -> str:
    """One line naming each bad variable and what is wrong, without its value."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        parts.append(f"{name}: {message}")
    return "; ".join(parts)


def settings_or_exit(**values: Any) -> Settings:
    """Load the settings for this process, or stop it with one clear line."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SystemExit(f"configuration error: {describe(exc)}") from None
