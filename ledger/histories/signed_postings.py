"""The stored postings a replay checks a rule against before it commits — balance assertions,
the cash-cover rule — read by date, and only when this user's key signed them: a rule checked
against postings someone else wrote would prove nothing, so such a store is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ledger.model.postings import Posting
from ledger.model.problems import InputError, Problem


def signed_dated_postings(
    appender: Any, upto_day: dt.date, checking: str
) -> Iterator[tuple[dt.date, tuple[Posting, ...]]]:
    """``(event date, postings)`` of every event dated on or before ``upto_day``, stored or
    written in this transaction; :class:`InputError` naming the first record whose postings
    are not signed by this user's key (``checking`` says what could not be checked)."""
    for position, day, postings in appender.dated_postings(upto_day):
        if postings is None:
            raise InputError(
                Problem(
                    file=appender.store.url,
                    position=position,
                    message=f"the stored postings of this record are not signed by this user's "
                    f"key, so {checking} cannot be checked against them; 'loopledger verify' "
                    "names such records",
                )
            )
        yield day, postings
