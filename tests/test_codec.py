"""The generated codec equals the plain reference codec (tests/support/reference_codec.py) on every
event: the same file-format dict, the same rebuilt event, the same canonical bytes and hash."""

from __future__ import annotations

import hashlib

from hypothesis import given

from invariants.strategies import histories
from ledger.model import codec
from ledger.model.codec import canonical_bytes, content_hash, from_dict, to_dict
from tests.support import reference_codec as reference


@given(histories())
def test_the_generated_codec_is_the_reference_codec(h):
    for event in h.events:
        assert to_dict(event) == reference.to_dict(event)
        assert list(to_dict(event)) == list(reference.to_dict(event))  # the same field order
        assert from_dict(to_dict(event)) == event == reference.from_dict(reference.to_dict(event))
        assert canonical_bytes(event) == reference.canonical_bytes(event)
        assert content_hash(event) == hashlib.sha256(reference.canonical_bytes(event)).hexdigest()
    for party in h.parties:
        assert canonical_bytes(party) == reference.canonical_bytes(party)


def test_the_comparison_catches_a_generator_that_drops_the_scale(monkeypatch):
    """A codec writing decimals by value in the plain form would lose ``10.50``'s scale."""
    import datetime as dt
    from decimal import Decimal

    from ledger.model.events import Purchase
    from ledger.model.values import Money

    event = Purchase(
        id="p1",
        date=dt.date(2025, 1, 1),
        buyer="a",
        seller="b",
        item="GPUs",
        amount=Money(Decimal("10.50")),
    )
    assert to_dict(event) == reference.to_dict(event)
    monkeypatch.setattr(codec, "format_decimal", lambda d: format(d.normalize(), "f"))
    assert reference.format_decimal is not codec.format_decimal
    codec._CODECS.clear()
    try:
        assert to_dict(event)["amount"] == "10.5 USD" != reference.to_dict(event)["amount"]
    finally:
        codec._CODECS.clear()
