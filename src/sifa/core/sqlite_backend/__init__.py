"""Sifa's SQLite database backend: Django's, with each statement's placeholder conversion remembered
(:mod:`sifa.core.sqlite_backend.base`)."""
