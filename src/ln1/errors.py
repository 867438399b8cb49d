"""Named errors raised inside ln1; the API turns each into one JSON error shape.

The HTTP status lives on the class so a service can raise without knowing about HTTP
and the boundary still answers with the right code.
"""

from __future__ import annotations


class Ln1Error(Exception):
    """Base of every error ln1 raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Ln1Error):
    """Unknown id, or an id of another company: both answer the same, never leaking which."""

    status_code = 404
    code = "not_found"


class Unauthenticated(Ln1Error):
    status_code = 401
    code = "unauthenticated"


class PermissionDenied(Ln1Error):
    status_code = 403
    code = "permission_denied"


class Conflict(Ln1Error):
    status_code = 409
    code = "conflict"


class InvalidInput(Ln1Error):
    status_code = 422
    code = "invalid_input"
