"""A Bot API request that hands its calls to another request: the base of the counted and the capped ones."""

from __future__ import annotations

from telegram.request import BaseRequest


class WrappedRequest(BaseRequest):
    """Another request's timeouts and life cycle; subclasses say what happens around its `do_request`."""

    __slots__ = ("_inner",)

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner

    @property
    def read_timeout(self) -> float | None:
        """The wrapped request's read timeout."""
        return self._inner.read_timeout

    async def initialize(self) -> None:
        """Initialise the wrapped request."""
        await self._inner.initialize()

    async def shutdown(self) -> None:
        """Shut the wrapped request down."""
        await self._inner.shutdown()
