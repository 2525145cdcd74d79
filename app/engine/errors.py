"""The engine's one error type: what is wrong, and where in the request it is."""

from __future__ import annotations


class SpecError(ValueError):
    """Invalid network, data or setting.

    ``loc`` is a dotted path into the request (``network.weights[1]``) so the API
    can answer with a ``detail`` that names the field; the message says what was
    expected.
    """

    def __init__(self, loc: str, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message
