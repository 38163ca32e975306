"""Alembic migrations; shipped inside the package so the migrate function can run them."""
