"""Container health probe: exit 0 when the local server answers 200, 1 otherwise.

    python -m app.cli.healthcheck            liveness  (the process serves requests)
    python -m app.cli.healthcheck --ready    readiness (database reachable, schema fits)

Standard library only, so that a probe every few seconds stays cheap; the port is the
server's PORT.
"""

import os
import sys
import urllib.error
import urllib.request

LIVENESS_PATH = "/api/v1/utils/health-check"
READINESS_PATH = "/api/v1/utils/ready"


def main(argv: list[str]) -> int:
    path = READINESS_PATH if "--ready" in argv[1:] else LIVENESS_PATH
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
