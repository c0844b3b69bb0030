"""Production entry points, shipped in the image with the app.

- `python -m app.cli.serve`: the server (uvicorn, WEB_CONCURRENCY workers)
- `python -m app.cli.healthcheck`: the container's liveness/readiness probe
- `python -m app.cli.prisma_migrate`: apply pending Prisma migrations
"""
