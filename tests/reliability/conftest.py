# The API tests' app and clients, on the session database.
from tests.api.conftest import anonymous, app, author_id, client

__all__ = ["anonymous", "app", "author_id", "client"]
