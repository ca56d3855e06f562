"""What other plugins and users may use of the scenarios plugin: reading scenario files,
applying them, comparing and sweeping — and the values a scenario generator receives.
Import from here, not from the modules behind it (the layering test enforces it).

::

    import ledger
    from plugins.scenarios.api import run_scenarios

    with ledger.open("loopledger.db") as book:
        report = run_scenarios(book, ["amd-600.yaml"])
        for d in report.outcomes[0].differences:
            print(d.key, d.before, d.after, d.delta)
"""

from __future__ import annotations

from plugins.scenarios.branch import BaseHistory, Branched, GeneratorFailed, branch
from plugins.scenarios.context import CommitmentTerms, Generated, GeneratorContext, Params
from plugins.scenarios.diff import Difference, compare
from plugins.scenarios.files import load_scenario, scenario_from_data
from plugins.scenarios.model import Base, Change, Scenario
from plugins.scenarios.readings import SECTIONS, Reading, read_all
from plugins.scenarios.run import (
    Outcome,
    RunReport,
    compare_branches,
    fold_base,
    fold_branch,
    read_base,
    run_scenarios,
)
from plugins.scenarios.sweep import SweepResult, Vary, empty_scenario, parse_vary, sweep

__all__ = [
    "SECTIONS",
    "Base",
    "BaseHistory",
    "Branched",
    "Change",
    "CommitmentTerms",
    "Difference",
    "Generated",
    "GeneratorContext",
    "GeneratorFailed",
    "Outcome",
    "Params",
    "Reading",
    "RunReport",
    "Scenario",
    "SweepResult",
    "Vary",
    "branch",
    "compare",
    "compare_branches",
    "empty_scenario",
    "fold_base",
    "fold_branch",
    "load_scenario",
    "parse_vary",
    "read_all",
    "read_base",
    "run_scenarios",
    "scenario_from_data",
    "sweep",
]
