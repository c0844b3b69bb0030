"""Settings: what is accepted, what is refused, and how a refusal reads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings, describe, settings_or_exit

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 40
DB_URL = "postgresql://app:hunter2-password@db.example:5432/app"


def settings(**values: object) -> Settings:
    given = {"ENVIRONMENT": "local", **values}
    return Settings(_env_file=None, **given)  # pyright: ignore[reportCallIssue]


def refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**values)
    return describe(caught.value)


def start_app(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the app as a server would, with only `env` (no `.env` file in the way)."""
    return subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_startup_is_refused_for_changethis_in_production_with_one_line() -> None:
    result = start_app(
        {"ENVIRONMENT": "production", "SECRET_KEY": "changethis", "DATABASE_URL": DB_URL}
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "configuration error: SECRET_KEY: is 'changethis', refused in production; "
        "set a random value of at least 32 characters"
    ]


def test_startup_without_environment_names_it() -> None:
    result = start_app({})
    assert result.returncode == 1
    assert result.stderr.strip() == "configuration error: ENVIRONMENT: is required"


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("key", ["changethis", "", "short-key"])
def test_weak_secret_keys_are_refused_outside_local(environment: str, key: str) -> None:
    message = refusal(ENVIRONMENT=environment, SECRET_KEY=key, DATABASE_URL=DB_URL)
    assert message.startswith("SECRET_KEY: ")
    assert environment in message


def test_local_accepts_the_placeholder_key_warning_only_when_it_was_set() -> None:
    fresh_clone = settings()  # no .env, nothing in the environment: nothing to warn about
    assert fresh_clone.SECRET_KEY.get_secret_value() == "changethis"
    assert fresh_clone.warnings() == []
    assert settings(SECRET_KEY="changethis").warnings() == [
        "SECRET_KEY is set to 'changethis': acceptable in local only"
    ]
    assert settings(SECRET_KEY=STRONG_KEY).warnings() == []


def test_local_allows_the_nextjs_dev_server_origin_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BACKEND_CORS_ORIGINS", raising=False)
    assert settings().cors_origins == ["http://localhost:3000"]
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", "[]")
    assert settings().cors_origins == []
    monkeypatch.delenv("BACKEND_CORS_ORIGINS")
    production = settings(ENVIRONMENT="production", SECRET_KEY=STRONG_KEY, DATABASE_URL=DB_URL)
    assert production.cors_origins == []


def test_production_needs_a_database_url() -> None:
    assert refusal(ENVIRONMENT="production", SECRET_KEY=STRONG_KEY) == (
        "DATABASE_URL: is required in production"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgres://app:pw@db:5432/app",
        "postgresql://app:pw@db:5432/app",
        "postgresql+asyncpg://app:pw@db:5432/app",
    ],
)
def test_every_postgres_url_spelling_is_accepted(url: str) -> None:
    assert settings(DATABASE_URL=url).DATABASE_URL is not None


def test_a_bad_database_url_is_named_without_its_password() -> None:
    message = refusal(DATABASE_URL="mysql://app:hunter2-password@db/app")
    assert message.startswith("DATABASE_URL: must be a PostgreSQL URL")
    assert "hunter2" not in message


def test_several_bad_values_are_reported_on_one_line() -> None:
    message = refusal(ENVIRONMENT="prod", DB_POOL_SIZE="0", LOG_LEVEL="LOUD")
    assert "\n" not in message
    assert message.startswith("ENVIRONMENT: Input should be 'local', 'staging' or 'production'")
    assert "DB_POOL_SIZE: " in message and "LOG_LEVEL: " in message


def test_settings_or_exit_stops_the_process_with_the_message() -> None:
    with pytest.raises(SystemExit) as caught:
        settings_or_exit(ENVIRONMENT="nowhere", _env_file=None)
    assert str(caught.value).startswith("configuration error: ENVIRONMENT: ")


@pytest.mark.parametrize(
    "value",
    [
        "http://localhost:3000,https://app.example.com/",
        '["http://localhost:3000", "https://app.example.com"]',
    ],
)
def test_cors_origins_are_a_json_array_or_comma_separated(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", value)
    assert settings().cors_origins == ["http://localhost:3000", "https://app.example.com"]


def test_unparseable_cors_origins_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", '["http://a.example"')
    with pytest.raises(ValidationError) as caught:
        settings()
    assert describe(caught.value).startswith("BACKEND_CORS_ORIGINS: is neither a JSON array")


def test_log_format_defaults_to_json_outside_local() -> None:
    assert settings().log_json is False
    assert settings(LOG_JSON=True).log_json is True
    production = settings(ENVIRONMENT="production", SECRET_KEY=STRONG_KEY, DATABASE_URL=DB_URL)
    assert production.log_json is True


def test_public_settings_mask_every_secret() -> None:
    public = settings(
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL=DB_URL,
        SENTRY_DSN="https://abc123public@o1.ingest.example.io/42",
    ).public()
    text = repr(public)
    assert STRONG_KEY not in text and "hunter2" not in text and "abc123public" not in text
    assert public["DATABASE_URL"] == "postgresql://app:***@db.example:5432/app"
