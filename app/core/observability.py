"""Logging and Sentry for this process, from the settings."""

from app.core import dburl
from app.core.config import Settings
from app.core.logging import setup_logging
from app.core.sentry import init_sentry


def setup_observability(settings: Settings) -> None:
    """Logging first: Sentry's loguru integration adds sinks that must come after ours."""
    setup_logging(
        level=settings.LOG_LEVEL, json_logs=settings.log_json, secrets=_secret_values(settings)
    )
    init_sentry(
        dsn=str(settings.SENTRY_DSN) if settings.SENTRY_DSN else None,
        environment=settings.ENVIRONMENT,
        release=settings.SENTRY_RELEASE,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
    )


def _secret_values(settings: Settings) -> list[str | None]:
    """Values masked wherever they appear in a log line or a Sentry event."""
    values: list[str | None] = [settings.SECRET_KEY.get_secret_value()]
    if settings.DATABASE_URL is not None:
        values.append(dburl.parse(settings.DATABASE_URL.get_secret_value()).password)
    return values
