"""`make bench`: the service against a bare Starlette + asyncpg reference (see runner.py)."""
