"""`make openapi` / `make openapi-check`: the committed OpenAPI document, openapi.json.

The document is built from the app as production builds it (ENVIRONMENT=production, so
the local-only private routes are absent), without a server or a database, and from the
code alone: the environment and `.env` are not read, so every machine writes the same
bytes. Keys are sorted, indentation is two spaces, and the file ends with a newline.

Usage: python -m scripts.openapi [--check]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

# app.main builds this process's own app on import, from the environment.
os.environ.setdefault("ENVIRONMENT", "local")

from app.core.config import MIN_SECRET_KEY_LENGTH, Settings
from app.main import create_app
from scripts.env import ROOT

DOCUMENT = ROOT / "openapi.json"
FIX_COMMAND = "make openapi"


class _CodeOnlySettings(Settings):
    """Settings from the arguments only: the document must not depend on the machine."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def production_settings() -> Settings:
    # Neither value is used: no token is checked and the engine is made in the lifespan.
    return _CodeOnlySettings(
        ENVIRONMENT="production",
        SECRET_KEY=SecretStr("openapi-document-" + "x" * MIN_SECRET_KEY_LENGTH),
        DATABASE_URL=SecretStr("postgresql://openapi@localhost/openapi"),
    )


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> str:
    return render(create_app(production_settings()).openapi())


def diff(committed: str, generated: str) -> str:
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile="openapi.json (committed)",
            tofile="openapi.json (generated from the app)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check the committed openapi.json")
    parser.add_argument("--check", action="store_true", help="fail with a diff when it is stale")
    args = parser.parse_args(argv)

    generated = generate()
    if not args.check:
        DOCUMENT.write_text(generated, encoding="utf-8")
        print(f"wrote {DOCUMENT.name}")
        return 0
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.is_file() else ""
    stale = diff(committed, generated)
    if not stale:
        print(f"{DOCUMENT.name} is up to date")
        return 0
    sys.stdout.write(stale)
    print(f"\n{DOCUMENT.name} is stale: run `{FIX_COMMAND}` and commit it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
