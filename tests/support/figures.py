"""Figures the measured-guarantee tests report, for docs/reliability.md.

Why: the document's numbers must be the ones the suite measured, not typed by hand. A test
calls :func:`record`; when ``LOOPLEDGER_FIGURES`` names a file (``benchmarks/reliability.py``
sets it), one JSON line is appended there; otherwise nothing is written anywhere.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV = "LOOPLEDGER_FIGURES"


def record(kind: str, **figures: Any) -> None:
    """Append ``{"kind": kind, **figures}`` to the figures file, if one is named."""
    target = os.environ.get(ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, **figures}, sort_keys=True) + "\n")
