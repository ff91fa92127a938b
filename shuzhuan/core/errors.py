"""The one error type services raise for a refused request.

It carries a message fit to show a person (Chinese) and, where one applies, the field
or row it is about. Views, the API and the CLI turn it into a page message, a 4xx body
or a one-line error; none of them shows a traceback.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    def __init__(self, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message
