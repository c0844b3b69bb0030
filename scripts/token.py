"""Print a bearer token signed with SECRET_KEY, for local calls (`make token`).

Usage: python -m scripts.token [--sub SUBJECT] [--minutes N]
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from app.core.config import settings_or_exit
from app.core.security import create_token


def local_token(secret_key: str, subject: str = "local-developer", minutes: int = 24 * 60) -> str:
    return create_token(secret_key, subject, expires_in=timedelta(minutes=minutes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a bearer token signed with SECRET_KEY.")
    parser.add_argument("--sub", default="local-developer", help="the token's subject")
    parser.add_argument("--minutes", type=int, default=24 * 60, help="lifetime (default: a day)")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    print(local_token(settings.SECRET_KEY.get_secret_value(), args.sub, args.minutes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
