"""Sifa's PostgreSQL database backend: Django's, with psycopg's compiled ``timestamptz`` loader where
it gives exactly Django's values (:mod:`sifa.core.postgresql_backend.base`)."""
