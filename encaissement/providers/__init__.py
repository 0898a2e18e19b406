"""Online payment providers behind one small interface (ARCHITECTURE.md, "Outside services").

A provider does two things: create a hosted checkout for an amount (`create_checkout`, an HTTP
call made outside any transaction) and turn a webhook request into a verified, provider-neutral
`ProviderEvent` (`parse_event`). Everything else (which session, which invoice, recording the
payment, replays and order of events) is `encaissement.online`'s, the same for every provider.
Another provider is one more module here and one line in `PROVIDERS`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from encaissement.models import ComptePrestataire


class ProviderError(Exception):
    """The provider could not be reached, or refused the request."""


class InvalidEvent(Exception):
    """A webhook request whose signature or content does not check out."""


@dataclass(frozen=True)
class Checkout:
    """What we ask the provider: a hosted page to pay `amount` EUR by `method`."""

    reference: str  # the invoice number, shown to the customer and on the bank statement
    amount: Decimal
    method: str  # encaissement.models.Method: carte or prelevement
    description: str
    customer_email: str
    success_url: str
    cancel_url: str
    locale: str  # "fr" or "en"
    idempotency_key: str  # a retried request never creates a second checkout
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutCreated:
    id: str
    url: str


class Outcome(StrEnum):
    """What an event says of a checkout, whatever the provider."""

    PAID = "paid"  # the money is there (card; a debit that succeeded)
    PROCESSING = "processing"  # completed by the customer, not paid yet (a SEPA debit)
    FAILED = "failed"  # a debit that failed
    EXPIRED = "expired"  # abandoned
    IGNORED = "ignored"  # an event we do not act on


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    outcome: Outcome
    session_id: str | None = None
    created: datetime | None = None
    payer: str = ""
    reference: str = ""  # the provider's payment reference (Stripe: the PaymentIntent)
    amount: Decimal | None = None  # what the provider charged, in EUR


class Provider(Protocol):
    def create_checkout(self, compte: "ComptePrestataire", checkout: Checkout) -> CheckoutCreated:
        """Creates the hosted checkout; raises ProviderError."""
        ...

    def parse_event(
        self, compte: "ComptePrestataire", payload: bytes, headers: Mapping[str, str]
    ) -> ProviderEvent:
        """Verifies and reads a webhook request; raises InvalidEvent."""
        ...

    def session_event(self, compte: "ComptePrestataire", session_id: str) -> ProviderEvent | None:
        """What the provider says of a checkout now, as an event (None while it is open), for
        the sweeper that asks about sessions whose webhook never came; raises ProviderError."""
        ...


def provider_for(name: str) -> Provider:
    from encaissement.providers.stripe import StripeProvider

    providers: dict[str, Provider] = {"stripe": StripeProvider()}
    return providers[name]
