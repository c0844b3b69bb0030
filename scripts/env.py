"""Settings of the developer tools (`make orm`, migrations, the dev database).

Read from the environment and `.env`, like the service's settings, but without the
service's required values: generating models needs only a database and a schema.
"""

from pathlib import Path

from app.cli.prisma_migrate import MigrateSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PRISMA = ROOT / "prisma"


class ToolSettings(MigrateSettings):
    PRISMA_SCHEMA: Path = EXAMPLE_PRISMA / "schema.prisma"


def tool_settings() -> ToolSettings:
    return ToolSettings()
