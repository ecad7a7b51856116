"""The low layer of Sifa's API, used by every app's ``api.py``: the one error shape and its
exception handler (``errors``), the OpenAPI building blocks (``schema``), pagination, and the
request bodies every write endpoint declares and validates with one serializer (``bodies``).

It imports nothing of Sifa above ``core``. The top of the API — routing under ``/api/v1/``,
OpenAPI assembly, ``/healthz`` and ``/readyz`` — is ``sifa.api``, which nothing imports.
"""
