"""Alembic environment: uses the engine handed over by ``afterword.db.migrate``."""

from alembic import context

from afterword.db.models import Base

engine = context.config.attributes["engine"]
target_metadata = Base.metadata

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
