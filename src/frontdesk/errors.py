"""The domain errors every service raises: invalid input, not found, conflict.

They started as the help-request lifecycle's errors and are still re-exported by `lifecycle.py`,
but calls, knowledge, accounts and notifications raise them too; their own module keeps those
services from depending on the lifecycle just to fail. `web/errors.py` maps `code` to HTTP.
"""

from __future__ import annotations


class LifecycleError(Exception):
    """Base of lifecycle errors; `code` is the API error code."""

    code = "invalid"


class InvalidInput(LifecycleError):
    """The caller of the lifecycle passed something unusable."""


class NotFound(LifecycleError):
    """No such help request."""

    code = "not_found"


class Conflict(LifecycleError):
    """The request is no longer in a state that allows this transition."""

    code = "conflict"

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status
