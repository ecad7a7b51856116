"""The error every service raises for a refused command: stable code, Chinese message, HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """A command was refused. ``code`` is stable (API clients switch on it); ``message`` is Chinese.

    ``errors`` lists every problem at once when there are several ({field, code, message}).
    ``status`` is the HTTP status the API answers with (400 bad input, 403 not allowed,
    404 not found or out of scope, 409 conflict with the current state).
    """

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []
        if status is not None:
            self.status = status


class NotFound(ServiceError):
    """Not found — also what an out-of-scope caller is told (never 403, which would leak existence)."""

    status = 404

    def __init__(self, message: str = "未找到您要访问的内容", code: str = "not_found") -> None:
        super().__init__(code, message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str = "您没有执行该操作的权限", code: str = "permission.denied") -> None:
        super().__init__(code, message)


class Conflict(ServiceError):
    status = 409
