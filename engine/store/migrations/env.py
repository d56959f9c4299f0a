"""Alembic environment: the engine comes from ``config.attributes`` (see ``store.migrate``)."""

from alembic import context

from gongzhi.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
