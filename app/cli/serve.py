"""Serve the API in production: uvicorn with WEB_CONCURRENCY worker processes.

The container runs this instead of the `uvicorn` command so that the parent process
logs through the app's pipeline too: with several workers, uvicorn's own supervisor
lines (a worker died, shutting down) come out as the same JSON lines as everything else.

On SIGTERM (docker stop, Kubernetes) the server stops accepting connections, lets
in-flight requests finish for up to GRACEFUL_SHUTDOWN_TIMEOUT seconds, then runs the
app's shutdown (the database pool is disposed). Settings are checked before any worker
starts: a bad value stops the container with one line.
"""

import uvicorn

from app.core.config import settings_or_exit
from app.core.logging import setup_logging


def main() -> None:
    settings = settings_or_exit()
    setup_logging(level=settings.LOG_LEVEL, json_logs=settings.log_json)
    uvicorn.run(
        "app.main:app",
        host=settings.HOST,
        port=settings.PORT,
        workers=settings.WEB_CONCURRENCY,
        log_config=None,  # logging is the app's: set up above, and by each worker's app
        access_log=False,  # the app writes one access line per request itself
        timeout_graceful_shutdown=settings.GRACEFUL_SHUTDOWN_TIMEOUT,
        timeout_keep_alive=settings.KEEPALIVE_TIMEOUT,
        server_header=False,
        # X-Forwarded-* are honoured from the addresses in FORWARDED_ALLOW_IPS only.
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
