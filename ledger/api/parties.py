"""One rule for naming a party on the command line or in a notebook, in every command.

A party is named by its id or its display name (or its ticker), case-insensitively:
``openai``, ``OpenAI``, ``NVDA``. A name that matches no party — or more than one — is bad
input (exit 2) listing the known parties, so a typo never silently filters everything away.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.model.problems import InputError, Problem
from ledger.model.values import WORLD, Party


def known_list(parties: Mapping[str, Party]) -> str:
    """``amd (AMD), openai (OpenAI), …`` — what an error about a party lists."""
    shown = [f"{p.id} ({p.name})" if p.name != p.id else p.id for _, p in sorted(parties.items())]
    return ", ".join([*shown, WORLD]) if shown else f"none recorded (only '{WORLD}')"


def resolve_party(parties: Mapping[str, Party], text: str, field: str = "--party") -> str:
    """The id of the party ``text`` names (id, name or ticker, any case), or InputError."""
    wanted = text.strip()
    if wanted in parties or wanted == WORLD:
        return wanted
    folded = wanted.casefold()
    if folded == WORLD:
        return WORLD
    for how in ("id", "name", "ticker"):
        found = sorted(
            pid
            for pid, p in parties.items()
            if (getattr(p, how) or "").casefold() == folded and getattr(p, how)
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(
                Problem(
                    field=field,
                    message=f"'{text}' names several parties by {how} ({', '.join(found)}); give the id",
                )
            )
    raise InputError(
        Problem(field=field, message=f"unknown party '{text}'; known: {known_list(parties)}")
    )
