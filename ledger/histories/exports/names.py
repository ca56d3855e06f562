"""Names the accounting tools accept for loopledger's accounts and commodities.

loopledger keys a balance by (party, account, commodity) — ``("openai", "assets:cash", "USD")``.
A journal has one account tree, so the party goes in as the second level under the account's
root: ``assets:openai:cash``. Beancount allows only five roots (Assets, Liabilities, Equity,
Income, Expenses) and capitalised components of letters, digits and dashes; delivered capacity
(``capacity:received`` / ``capacity:delivered``) therefore sits under Assets / Liabilities, and
an unknown root under Equity. Commodities: a currency stays itself, shares are the issuer's
ticker when it has one (``NVDA``), the rest are upper-case names such as ``COMMITTED.USD``,
``WARRANTS.AMD``, ``SHARES.OPENAI``, ``GW`` and ``UNITS.GPU`` — valid beancount currencies
(≤ 24 characters), written in double quotes in hledger/ledger journals when they hold more than
letters.

Every name is chosen once per export, in sorted order, and a name that would collide gets a
numeric suffix, so the mapping is injective; each export declares it (account and commodity
directives carry the loopledger names), and :class:`Names` hands it to callers that compare.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from ledger.model.values import Party, is_cash

ROOTS = ("assets", "liabilities", "equity", "income", "expenses")
PLACED = {"capacity:received": "assets", "capacity:delivered": "liabilities"}
"""Accounts outside the five roots and the root they are placed under."""

BEAN_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")
BEAN_CURRENCY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]$")
LETTERS = re.compile(r"^[A-Za-z]+$")
MAX_CURRENCY = 24


def tree_path(party: str, account: str) -> list[str]:
    """``(openai, assets:cash)`` → ``[assets, openai, cash]``: root, party, the rest."""
    parts = account.split(":")
    if parts[0] in ROOTS:
        return [parts[0], party, *parts[1:]]
    for prefix, root in PLACED.items():
        if account == prefix or account.startswith(prefix + ":"):
            return [root, party, *parts]
    return ["equity", party, *parts]


def _bean_component(text: str) -> str:
    """``shares-issued`` → ``Shares-Issued``; ``_`` and ``.`` become ``-`` (collisions are
    resolved by the caller)."""
    words = re.split(r"[-_.]+", text)
    out = "-".join(w[:1].upper() + w[1:] for w in words if w)
    out = re.sub(r"[^A-Za-z0-9-]", "-", out) or "X"
    return out if BEAN_COMPONENT.match(out) else "X" + out


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6].upper()


def _fit_currency(candidate: str, original: str) -> str:
    """Make ``candidate`` a valid beancount currency (upper case, ≤ 24, letter first)."""
    name = re.sub(r"[^A-Z0-9'._-]", "-", candidate.upper())
    if not name[:1].isalpha():
        name = "C" + name
    name = name.rstrip("'._-")
    if len(name) > MAX_CURRENCY or not BEAN_CURRENCY.match(name):
        name = f"{name[: MAX_CURRENCY - 7].rstrip(chr(39) + '._-')}-{_short_hash(original)}"
    return name


def _commodity_candidate(commodity: str, tickers: Mapping[str, str]) -> str:
    if is_cash(commodity) or commodity == "GW":
        return commodity
    kind, _, rest = commodity.partition(":")
    if kind == "shares" and rest in tickers:
        return tickers[rest]
    if kind in ("shares", "warrants"):
        return f"{kind.upper()}.{tickers.get(rest, rest)}"
    return f"{kind}.{rest}" if rest else kind


class Names:
    """The injective mapping (party, account) → account name and commodity → symbol of one export.

    :param style: ``"beancount"`` (capitalised components) or ``"journal"`` (hledger, ledger:
        the loopledger words as they are).
    """

    def __init__(
        self,
        style: str,
        keys: Iterable[tuple[str, str]],
        commodities: Iterable[str],
        parties: Iterable[Party] = (),
    ) -> None:
        self.style = style
        tickers = {
            p.id: p.ticker.upper()
            for p in parties
            if p.ticker and BEAN_CURRENCY.match(p.ticker.upper()) and LETTERS.match(p.ticker)
        }
        keys = sorted(set(keys))
        # Beancount spells a_b, a.b and a-b alike (A-B): each party id gets one component of
        # its own, used wherever the id appears (``Assets:A-B-2:Cash``,
        # ``Equity:World:Funding:A-B-2``), so one party's accounts stay together.
        ids = sorted({p.id for p in parties} | {party for party, _ in keys})
        spelled: dict[str, str] = {}
        if style == "beancount":
            used_components: set[str] = set()
            for pid in ids:
                spelled[pid] = _unique(_bean_component(pid), used_components, "account")
        self.accounts: dict[tuple[str, str], str] = {}
        taken: set[str] = set()
        for party, account in keys:
            path = tree_path(party, account)
            if style == "beancount":
                root, *rest = path  # a root stays a root even if a party shares its word
                path = [
                    _bean_component(root),
                    *(spelled.get(c) or _bean_component(c) for c in rest),
                ]
            self.accounts[(party, account)] = _unique(":".join(path), taken, "account")
        self.commodities: dict[str, str] = {}
        used: set[str] = set()
        # Currencies first, so a ticker can never take the name of a currency.
        for commodity in sorted(set(commodities), key=lambda c: (not is_cash(c), c)):
            candidate = _fit_currency(_commodity_candidate(commodity, tickers), commodity)
            self.commodities[commodity] = _unique(candidate, used, "commodity")
        self.reverse_accounts = {v: k for k, v in self.accounts.items()}
        self.reverse_commodities = {v: k for k, v in self.commodities.items()}

    def account(self, party: str, account: str) -> str:
        return self.accounts[(party, account)]

    def commodity(self, commodity: str) -> str:
        return self.commodities[commodity]

    def symbol(self, commodity: str) -> str:
        """The commodity as written in an amount: quoted in journals unless it is all letters."""
        name = self.commodities[commodity]
        if self.style == "beancount" or LETTERS.match(name):
            return name
        return f'"{name}"'


def _unique(name: str, taken: set[str], kind: str) -> str:
    """``name``, or ``name-2``, ``name-3`` … if taken. An account's suffix goes on its last
    component (a sibling, never a sub-account: a parent's total would include it); a
    commodity stays within beancount's 24 characters."""
    chosen, n = name, 1
    while chosen in taken:
        n += 1
        chosen = f"{name[: MAX_CURRENCY - 4]}-{n}" if kind == "commodity" else f"{name}-{n}"
    taken.add(chosen)
    return chosen
