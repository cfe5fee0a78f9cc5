"""Canonical charge and account events: what the revenue-cycle platform must bill.

Amounts are :class:`decimal.Decimal` with an ISO 4217 currency, never floats: the books must
reconcile to the cent.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum

import msgspec

from careweave.model.care import Code, Provider
from careweave.model.clinical import ClinicalEvent
from careweave.model.identity import Identifier


class Money(msgspec.Struct, frozen=True, kw_only=True):
    """An amount in a currency."""

    amount: decimal.Decimal
    currency: str = "USD"


class TransactionType(enum.StrEnum):
    """What a financial transaction line is (HL7 v2 table 0017 mapped onto words)."""

    CHARGE = "charge"
    CREDIT = "credit"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"


class ChargeCaptured(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A charge (or a credit reversing one) was captured for a visit (FT1, FHIR ChargeItem)."""

    transaction_id: str
    """The sender's transaction id (FT1-2), else the line's set id (FT1-1)."""
    transaction_type: TransactionType
    transaction_code: Code
    """The chargemaster item (FT1-7)."""
    quantity: decimal.Decimal = decimal.Decimal(1)
    procedure_code: Code | None = None
    """The CPT/HCPCS code billed (FT1-25)."""
    modifiers: tuple[str, ...] = ()
    unit_amount: Money | None = None
    extended_amount: Money | None = None
    revenue_code: str | None = None
    ndc: Code | None = None
    item_number: Code | None = None
    """The supply item the line charges for (FT1-34), when it is a supply charge."""
    performing_provider: Provider | None = None
    ordering_provider: Provider | None = None
    diagnoses: tuple[Code, ...] = ()
    service_date: dt.date | None = None
    posted_at: dt.datetime | None = None
    department: Code | None = None
    filler_order_number: str | None = None

    @property
    def is_credit(self) -> bool:
        """Whether the line reverses an earlier charge."""
        return self.transaction_type is TransactionType.CREDIT


class AccountAction(enum.StrEnum):
    """What a BAR message did to the billing account."""

    ADDED = "added"
    """BAR P01: a new account."""
    UPDATED = "updated"
    """BAR P05: account information changed."""
    CODED = "coded"
    """BAR P12: diagnoses and procedures of the account were updated."""


class AccountUpdated(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient billing account was created or changed (BAR P01, P05, P12; FHIR Account)."""

    action: AccountAction
    account_number: Identifier | None = None
    diagnoses: tuple[Code, ...] = ()
    procedures: tuple[Code, ...] = ()
    status: str | None = None
