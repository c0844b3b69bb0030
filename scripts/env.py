"""Settings of the developer tools (`make orm`, migrations, the dev database).

Read from the environment and `.env`, like the service's settings, but without the
service's required values: generating models needs only a database and a schema.
"""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PRISMA = ROOT / "prisma"


class ToolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", extra="ignore")

    DATABASE_URL: str | None = None
    PRISMA_SCHEMA: Path = EXAMPLE_PRISMA / "schema.prisma"
    PRISMA_MIGRATIONS: Path = EXAMPLE_PRISMA / "migrations"


def tool_settings() -> ToolSettings:
    return ToolSettings()
