import os

# app.main builds the process's app on import, which needs an environment.
os.environ.setdefault("ENVIRONMENT", "local")
