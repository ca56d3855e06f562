"""Laws of the history as a whole: reversals, as-of cuts, determinism, idempotency, round trips.

These compare two folds of (parts of) the same history; ``fold_states`` is the reference fold —
plain Python over :func:`ledger.book.fold`, no store, no checkpoints — so that the engine, the
store and every projection can be checked against it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from invariants.accounting import balances_of
from invariants.violation import Violation
from ledger.book import fold
from ledger.engine.projection import ProjectionProtocol
from ledger.model.codec import content_hash, from_dict, to_dict
from ledger.model.events import Event, Reversal
from ledger.model.values import Party


def fold_states(
    events: Sequence[Event],
    parties: Iterable[Party] = (),
    projections: Sequence[ProjectionProtocol] = (),
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Reference fold: ``{"balances": Σ postings, <projection name>: state, …}``."""
    _, entries, problems = fold(events, parties, as_of)
    if problems:
        raise ValueError("the history does not fold: " + "; ".join(p.render() for p in problems))
    states: dict[str, Any] = {"balances": balances_of(entries)}
    for projection in projections:
        state = projection.initial()
        for entry in entries:
            if projection.handles is None or entry.event.TYPE in projection.handles:
                state = projection.apply(state, entry)
        states[projection.name] = state
    return states


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Names whose states differ between two fold results."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def reversal_cancels(
    events: Sequence[Event],
    parties: Iterable[Party] = (),
    projections: Sequence[ProjectionProtocol] = (),
    fold_fn: Callable[..., dict[str, Any]] | None = None,
) -> list[Violation]:
    """For every reversal R of X: fold(history) = fold(history − {X, R} − D), where D is what
    depends on X and is reversed too (with its reversals) — the book accepts a reversal of X
    only when everything that depends on X is reversed as well.

    A history with both an event and its reversal reads exactly as if neither were recorded.
    ``fold_fn`` (default :func:`fold_states`) is the fold under test.
    """
    parties = list(parties)
    fold_states_ = fold_fn or fold_states
    both = fold_states_(events, parties, projections)
    found = []
    for r in events:
        if not isinstance(r, Reversal):
            continue
        gone = _cancelled_with(r, events)
        neither = [e for e in events if e.id not in gone]
        without = fold_states_(neither, parties, projections)
        differ = differences(both, without)
        if differ:
            found.append(
                Violation(
                    "reversal-cancels",
                    f"reversal '{r.id}' of '{r.of}' does not cancel it: {', '.join(differ)} differ from the history without both",
                    (r.id, r.of),
                )
            )
    return found


def _cancelled_with(reversal: Reversal, events: Sequence[Event]) -> set[str]:
    """The reversal, its target, and every reversed event that refers (transitively) to one of
    them, with their reversals."""
    from ledger.model.events import references

    reversal_of = {e.of: e.id for e in events if isinstance(e, Reversal)}
    gone = {reversal.id, reversal.of}
    grew = True
    while grew:
        grew = False
        for e in events:
            if e.id in gone or isinstance(e, Reversal) or e.id not in reversal_of:
                continue
            if any(target in gone for _, target in references(e)):
                gone |= {e.id, reversal_of[e.id]}
                grew = True
    return gone


def as_of_consistency(
    events: Sequence[Event],
    as_of: dt.date,
    states: Mapping[str, Any],
    parties: Iterable[Party] = (),
    projections: Sequence[ProjectionProtocol] = (),
) -> list[Violation]:
    """state_as_of(D) = fold({e ∈ history : e.date ≤ D}) for the given computed ``states``."""
    chosen = [e for e in events if e.date <= as_of]
    expected = fold_states(chosen, parties, projections)
    differ = [k for k in differences(expected, states) if k in expected and k in states]
    if differ:
        return [
            Violation(
                "as-of-consistency",
                f"as of {as_of}: {', '.join(differ)} differ from the fold of the {len(chosen)} events dated on or before it",
            )
        ]
    return []


def deterministic(
    first: Mapping[str, Any], second: Mapping[str, Any], *, how: str
) -> list[Violation]:
    """fold(history) computed twice (``how``: fresh process, checkpoint, …) gives identical states."""
    differ = differences(first, second)
    if differ:
        return [
            Violation(
                "replay-determinism", f"{how}: {', '.join(differ)} differ between the two folds"
            )
        ]
    return []


def idempotent(new_events: int, head_before: int, head_after: int) -> list[Violation]:
    """Replaying an already-recorded file records nothing: new = 0 and the head does not move."""
    if new_events or head_before != head_after:
        return [
            Violation(
                "idempotency",
                f"replaying recorded events added {new_events} event(s); head {head_before} → {head_after}",
                (),
                {"new": Decimal(new_events)},
            )
        ]
    return []


def round_trip(raw_records: Iterable[tuple[int, bytes]]) -> list[Violation]:
    """decode(stored) re-encodes to the stored text exactly, and hashes to the stored content hash.

    Every decimal keeps every digit and its scale ("10000000000.00" stays so).
    """
    found = []
    for position, raw in raw_records:
        data = orjson.loads(raw)
        if data["k"] != "event":
            continue
        body = data["r"]
        event = from_dict(body)
        again = to_dict(event)
        if again != body:
            changed = sorted(k for k in set(again) | set(body) if again.get(k) != body.get(k))
            found.append(
                Violation(
                    "round-trip",
                    f"stored event '{body.get('id')}' (#{position}) does not re-encode to its stored text: {', '.join(changed)}",
                    (str(body.get("id")),),
                )
            )
        elif from_dict(again) != event:
            found.append(
                Violation(
                    "round-trip",
                    f"stored event '{body.get('id')}' (#{position}) decodes to a different event",
                    (str(body.get("id")),),
                )
            )
        elif content_hash(event) != data["h"]:
            found.append(
                Violation(
                    "round-trip",
                    f"stored event '{body.get('id')}' (#{position}) hashes differently after decoding",
                    (str(body.get("id")),),
                )
            )
    return found
