# syntax=docker/dockerfile:1
# Build:  docker build -t pages-service --build-arg RELEASE="$(git rev-parse --short HEAD)" .
# Run:    docker run -p 8000:8000 -e ENVIRONMENT=production -e SECRET_KEY=... -e DATABASE_URL=... pages-service
ARG PYTHON_VERSION=3.11

# --- builder: the locked runtime dependencies in /app/.venv, bytecode compiled ---------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app
# Only the lock and the project file: this layer is rebuilt when dependencies change,
# not when the code does. The project itself is not a package, so nothing else to install.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project

# --- runtime: the same Python, no build tools, a non-root user -------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ARG RELEASE=""
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SENTRY_RELEASE=${RELEASE} \
    HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=1 \
    GRACEFUL_SHUTDOWN_TIMEOUT=20

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY app ./app
# Compiled as root: the app user cannot write next to the sources.
RUN python -m compileall -q app

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-m", "app.cli.healthcheck"]
# Exec form: the server is PID 1 and gets SIGTERM itself, finishes in-flight requests
# (up to GRACEFUL_SHUTDOWN_TIMEOUT seconds), then runs the lifespan shutdown.
CMD ["python", "-m", "app.cli.serve"]
