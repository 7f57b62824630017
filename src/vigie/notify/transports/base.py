"""What every channel implements, and the two ways a send can fail."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigie.notify.models import Delivery


class DeliveryError(Exception):
    """A failed send. The message is short, for the log and the UI: never a secret."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message[:500])
        self.status_code = status_code
        self.retry_after = retry_after


class TemporaryError(DeliveryError):
    """Worth trying again later: the network, a timeout, a busy or failing receiver."""


class PermanentError(DeliveryError):
    """Trying again would fail the same way: the delivery is dead."""


class Transport(ABC):
    kind: str

    @abstractmethod
    def send(self, delivery: Delivery) -> int | None:
        """Deliver or raise TemporaryError / PermanentError; returns a status code if any."""
