"""What the generated models expect of the database, for the schema-fit check (which,
like everything in app/core, does not import the generated modules itself)."""

from sqlmodel import SQLModel

from app import models, view_tables
from app.core.schema_fit import ExpectedSchema

EXPECTED_SCHEMA = ExpectedSchema(
    metadatas=(SQLModel.metadata, view_tables.metadata), migration=models.PRISMA_MIGRATION
)
