"""The event vocabulary: every deal fact is one immutable, typed event. Pure, no I/O.

Each field carries a *kind* in its attrs metadata (party, money, decimal, date, ref, …). The
loader, the codec and the canonical hash all read those kinds, so adding a field to an event is
one line here and nothing else.

Events say what happened; what it does to accounts (the postings) is decided by
:mod:`ledger.book`, because some postings depend on earlier events (a purchase draws down the
commitment it names; an amendment changes a total).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, Literal

import attrs

from ledger.model.limits import CAPACITY_PLACES, MAX_DECIMAL_PLACES, MONEY_PLACES, SHARE_PLACES
from ledger.model.values import Money, Undisclosed

Confidence = Literal["stated", "reported", "estimate"]
CONFIDENCES: tuple[str, ...] = ("stated", "reported", "estimate")


def _field(kind: str, *, required: bool = True, default: Any = None, **meta: Any) -> Any:
    metadata = {"kind": kind, "required": required, **meta}
    if required:
        return attrs.field(metadata=metadata)
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for defaults")
    return attrs.field(default=default, metadata=metadata)


def party(*, required: bool = True) -> Any:
    """A party id (``world`` allowed)."""
    return _field("party", required=required)


def money(*, required: bool = True, zero: bool = False, undisclosed: bool = False) -> Any:
    """An exact amount in the book's currency (or ``"10B EUR"``): positive, or ≥ 0 with ``zero``;
    with ``undisclosed``, the file may also write ``undisclosed`` (an :class:`Undisclosed`).

    The loader reads the sign rule from here; the book applies the same rule to events built
    in Python (e.g. a negative strike is refused there too). At most
    :data:`~ledger.model.limits.MONEY_PLACES` decimal places.
    """
    return _field(
        "money", required=required, zero=zero, undisclosed=undisclosed, places=MONEY_PLACES
    )


def decimal(
    *, required: bool = True, positive: bool = True, places: int = MAX_DECIMAL_PLACES
) -> Any:
    """An exact non-money number (shares, GW, a rate) with at most ``places`` decimals."""
    return _field("decimal", required=required, positive=positive, places=places)


def shares_count(*, required: bool = True) -> Any:
    """A number of shares (or warrants over shares): :data:`SHARE_PLACES` decimals at most."""
    return decimal(required=required, places=SHARE_PLACES)


def gigawatts(*, required: bool = True) -> Any:
    """Data-centre capacity in GW: :data:`CAPACITY_PLACES` decimals at most."""
    return decimal(required=required, places=CAPACITY_PLACES)


def date(*, required: bool = True) -> Any:
    """An ISO date."""
    return _field("date", required=required)


def text(*, required: bool = True) -> Any:
    """Free text."""
    return _field("text", required=required)


def override() -> Any:
    """``override: "<reason>"``: the event breaks a term of its deal on purpose — a vest before
    its conditions hold, a draw beyond what is outstanding or before its tranche's milestone,
    an exercise after expiry. Refused without it; recorded with it, and listed by ``verify``."""
    return _field("text", required=False)


def flag(default: bool) -> Any:
    """A boolean with a default."""
    return _field("bool", required=False, default=default)


def choice(options: tuple[str, ...], *, default: str | None = None) -> Any:
    """One of a fixed set of words."""
    return _field("choice", required=default is None, default=default, options=options)


def ref(*targets: str, required: bool = True) -> Any:
    """The id of an earlier event of one of the given types."""
    return _field("ref", required=required, targets=targets)


def tranche_ref(*, required: bool = True) -> Any:
    """The id of a tranche of the event named by the ``commitment``/``grant``/``of`` field."""
    return _field("tranche_ref", required=required)


def ids(*, required: bool = False) -> Any:
    """A list of identifiers (fact-table row ids); absent, not empty, when there are none."""
    return _field("ids", required=required)


def nested(cls: type, *, required: bool = False) -> Any:
    """A list of nested values (tranches, conditions)."""
    return _field("list", required=required, default=(), item=cls)


# --- nested values -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Condition:
    """A milestone: ``metric`` must reach ``at_least`` (GW delivered, or a share price)."""

    metric: str = choice(("delivered_gw", "share_price"))
    at_least: Decimal = decimal()


@attrs.frozen(kw_only=True)
class Tranche:
    """A slice of a commitment, optionally released by a milestone (``condition``) or by an
    outside event the ledger does not measure (``trigger``, in words), and optionally drawable
    only until ``expires``."""

    id: str = text()
    amount: Money = money()
    condition: Condition | None = _field("condition", required=False)
    trigger: str | None = text(required=False)
    expires: dt.date | None = date(required=False)


@attrs.frozen(kw_only=True)
class WarrantTranche:
    """A slice of a warrant grant that vests when all its conditions hold."""

    id: str = text()
    shares: Decimal = shares_count()
    conditions: tuple[Condition, ...] = nested(Condition)


# --- events ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Event:
    """Fields every event has; ``id`` is unique in the book and is the idempotency key."""

    TYPE: ClassVar[str] = ""
    id: str = text()
    date: dt.date = date()
    source: str | None = text(required=False)
    confidence: Confidence = choice(CONFIDENCES, default="stated")
    note: str | None = text(required=False)
    facts: tuple[str, ...] | None = ids()


COMMON_FIELDS = frozenset(a.name for a in attrs.fields(Event))


@attrs.frozen(kw_only=True)
class OpeningBalance(Event):
    """Cash a party brings from outside (its own funds); it comes from ``world``."""

    TYPE: ClassVar[str] = "opening_balance"
    party: str = party()
    amount: Money = money()


SETTLEMENTS: tuple[str, ...] = ("prior",)


@attrs.frozen(kw_only=True)
class Investment(Event):
    """Cash investor → investee for equity, a convertible or debt; may draw down a commitment."""

    TYPE: ClassVar[str] = "investment"
    investor: str = party()
    investee: str = party()
    amount: Money = money()
    shares: Decimal | None = shares_count(required=False)
    instrument: str = choice(("equity", "convertible", "debt"), default="equity")
    commitment: str | None = ref("commitment", required=False)
    tranche: str | None = tranche_ref(required=False)
    settlement: str | None = _field("choice", required=False, options=SETTLEMENTS)
    """``prior``: paid before the history's cash figures begin (a cumulative "funded to date"
    figure): the stake and the draw are booked, the cash is not (it is already inside, or was
    spent before, the parties' opening balances)."""
    override: str | None = override()


@attrs.frozen(kw_only=True)
class Loan(Event):
    """Cash lender → borrower, owed back."""

    TYPE: ClassVar[str] = "loan"
    lender: str = party()
    borrower: str = party()
    amount: Money = money()
    rate: Decimal | None = decimal(required=False)
    maturity: dt.date | None = date(required=False)


@attrs.frozen(kw_only=True)
class Repayment(Event):
    """Cash borrower → lender against a loan; any excess over the principal is interest."""

    TYPE: ClassVar[str] = "repayment"
    loan: str = ref("loan")
    amount: Money = money()


@attrs.frozen(kw_only=True)
class Commitment(Event):
    """An obligation payer → payee that is not cash (yet): purchase, investment, compute, lease.

    ``amount`` may be :class:`~ledger.values.Undisclosed`: the deal is a fact (its GW, its
    dates, whether it binds) but its value was not disclosed, so it posts nothing.
    """

    TYPE: ClassVar[str] = "commitment"
    payer: str = party()
    payee: str = party()
    amount: Money | Undisclosed = money(undisclosed=True)
    kind: str = choice(("purchase", "investment", "compute", "lease"))
    capacity_gw: Decimal | None = gigawatts(required=False)
    start: dt.date | None = date(required=False)
    end: dt.date | None = date(required=False)
    binding: bool = flag(True)
    tranches: tuple[Tranche, ...] = nested(Tranche)


@attrs.frozen(kw_only=True)
class Purchase(Event):
    """Cash buyer → seller for goods or services: the seller's revenue; may draw a commitment."""

    TYPE: ClassVar[str] = "purchase"
    buyer: str = party()
    seller: str = party()
    amount: Money = money()
    item: str = text()
    quantity: Decimal | None = decimal(required=False)
    unit: str | None = text(required=False)
    commitment: str | None = ref("commitment", required=False)
    tranche: str | None = tranche_ref(required=False)
    override: str | None = override()


@attrs.frozen(kw_only=True)
class Delivery(Event):
    """Capacity (GW) or goods supplier → customer; milestones of tranches and warrants count these."""

    TYPE: ClassVar[str] = "delivery"
    supplier: str = party()
    customer: str = party()
    capacity_gw: Decimal | None = gigawatts(required=False)
    quantity: Decimal | None = decimal(required=False)
    unit: str | None = text(required=False)
    commitment: str | None = ref("commitment", required=False)


@attrs.frozen(kw_only=True)
class ShareIssue(Event):
    """The issuer pays the holder in its own stock — consideration, not a sale: no cash moves.

    Why not an investment: an investment is the investor's cash for the investee's stock; here
    the holder pays nothing (e.g. CoreWeave's stock to OpenAI under a compute contract, which
    ``commitment`` names). The stake is worth ``value`` as stated; ``shares`` when known.
    """

    TYPE: ClassVar[str] = "share_issue"
    issuer: str = party()
    holder: str = party()
    value: Money = money()
    shares: Decimal | None = decimal(required=False)
    commitment: str | None = ref("commitment", required=False)


@attrs.frozen(kw_only=True)
class WarrantGrant(Event):
    """Issuer grants holder the right to buy ``shares`` at ``strike``, vesting by tranches."""

    TYPE: ClassVar[str] = "warrant_grant"
    issuer: str = party()
    holder: str = party()
    shares: Decimal = shares_count()
    strike: Money = money(zero=True)  # 0: a zero-strike warrant, legitimate; < 0 is refused
    expiry: dt.date = date()
    tranches: tuple[WarrantTranche, ...] = nested(WarrantTranche, required=True)
    commitment: str | None = ref("commitment", required=False)


@attrs.frozen(kw_only=True)
class WarrantVest(Event):
    """A tranche of a grant has vested."""

    TYPE: ClassVar[str] = "warrant_vest"
    grant: str = ref("warrant_grant")
    tranche: str = tranche_ref()
    override: str | None = override()


@attrs.frozen(kw_only=True)
class WarrantExercise(Event):
    """Vested warrants turned into shares, paying the strike or (cashless) netting it in shares."""

    TYPE: ClassVar[str] = "warrant_exercise"
    grant: str = ref("warrant_grant")
    shares: Decimal = shares_count()
    cashless: bool = flag(False)
    override: str | None = override()


MEASURES: tuple[str, ...] = ("revenue", "run_rate", "rpo", "backlog")


@attrs.frozen(kw_only=True)
class RevenueReport(Event):
    """What a party reported (informational): metrics compare it with recorded flows."""

    TYPE: ClassVar[str] = "revenue_report"
    party: str = party()
    period_start: dt.date = date()
    period_end: dt.date = date()
    amount: Money = money()
    segment: str | None = text(required=False)
    measure: str = choice(MEASURES, default="revenue")


@attrs.frozen(kw_only=True)
class Price(Event):
    """A market mark: a share price or a whole-company valuation."""

    TYPE: ClassVar[str] = "price"
    party: str = party()
    per_share: Money | None = money(required=False)
    valuation: Money | None = money(required=False)


LISTING_STAGES: tuple[str, ...] = ("confidential_filing", "public_filing", "priced", "trading")


@attrs.frozen(kw_only=True)
class Listing(Event):
    """A step towards a stock-market listing (informational; the IPO price is a ``price``)."""

    TYPE: ClassVar[str] = "listing"
    party: str = party()
    stage: str = choice(LISTING_STAGES)
    ticker: str | None = text(required=False)
    exchange: str | None = text(required=False)


STATUSES: tuple[str, ...] = ("definitive", "cancelled", "lapsed", "revised")


@attrs.frozen(kw_only=True)
class Amendment(Event):
    """Terms change without editing history: a new total and/or a new status."""

    TYPE: ClassVar[str] = "amendment"
    of: str = ref("commitment", "warrant_grant")
    amount: Money | None = money(required=False)
    shares: Decimal | None = shares_count(required=False)
    tranche: str | None = tranche_ref(required=False)
    status: str | None = _field("choice", required=False, options=STATUSES)


@attrs.frozen(kw_only=True)
class Reversal(Event):
    """Cancels an earlier event: the ledger then reads as if neither had been recorded."""

    TYPE: ClassVar[str] = "reversal"
    of: str = ref("*")
    reason: str = text()


@attrs.frozen(kw_only=True)
class AssertBalance(Event):
    """A balance the ledger must show: ``party``'s ``account`` holds exactly ``amount`` of
    ``commodity`` as of ``date`` (what ``balances --as-of DATE`` prints). Replay and verify
    fail, naming it, when the ledger disagrees — beancount's ``balance`` directive."""

    TYPE: ClassVar[str] = "assert_balance"
    party: str = party()
    account: str = text()
    commodity: str = text()
    amount: Decimal = decimal(positive=False)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        OpeningBalance,
        Investment,
        Loan,
        Repayment,
        Commitment,
        Purchase,
        Delivery,
        ShareIssue,
        WarrantGrant,
        WarrantVest,
        WarrantExercise,
        RevenueReport,
        Price,
        Listing,
        Amendment,
        Reversal,
        AssertBalance,
    )
}


def type_fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs fields of an event or nested class, in declaration order."""
    return attrs.fields(cls)  # type: ignore[no-any-return]


_REF_FIELDS: dict[type, tuple[str, ...]] = {}


def references(event: Event) -> list[tuple[str, str]]:
    """``(field, id)`` for every field of ``event`` that names another event."""
    cls = type(event)
    names = _REF_FIELDS.get(cls)
    if names is None:
        names = _REF_FIELDS[cls] = tuple(
            a.name for a in type_fields(cls) if a.metadata.get("kind") == "ref"
        )
    return [(name, value) for name in names if (value := getattr(event, name)) is not None]


def parties_of(event: Event) -> list[str]:
    """Every party id the event names directly."""
    return [
        getattr(event, a.name)
        for a in type_fields(type(event))
        if a.metadata.get("kind") == "party" and getattr(event, a.name) is not None
    ]


def commitment_of(event: Event) -> str | None:
    """The id of the commitment an event creates, amends or draws down (None for the others)."""
    if isinstance(event, Commitment):
        return event.id
    if isinstance(event, Amendment):
        return event.of
    if isinstance(event, (Investment, Purchase)):
        return event.commitment
    return None


def amounts_of(event: Event) -> list[Money]:
    """Every money field set on the event (top level); an undisclosed amount is no amount."""
    found: list[Money] = []
    for a in type_fields(type(event)):
        if a.metadata.get("kind") == "money":
            value = getattr(event, a.name)
            if isinstance(value, Money):
                found.append(value)
    return found


EventVisitor = Callable[[Event], None]
