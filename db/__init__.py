"""Storage: engine and sessions, typed models, Alembic migrations, and the queries the jobs need."""
