"""The low layer of Sifa's API, used by every app's ``api.py``: the one error shape and its
exception handler (``errors``), the OpenAPI building blocks (``schema``) and pagination.

It imports nothing of Sifa above ``core``. The top of the API — routing under ``/api/v1/``,
OpenAPI assembly, ``/healthz`` — is ``sifa.api``, which nothing imports.
"""
