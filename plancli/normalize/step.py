"""The shape every normalisation step returns, so the pipeline can record repairs uniformly."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StepResult:
    """The text after one step, how many changes it made and a few ``before -> after`` examples."""

    text: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    #: Runs the step saw but did not dare change (reported, never silently "fixed").
    flagged: list[str] = field(default_factory=list)
    #: The step joined text that earlier steps have already passed (a phrase removed mid-line),
    #: so the pipeline must run again to reach a fixed point.
    rejoined: bool = False
    #: Places the step did not even examine, by reason (``kind -> (count, explanation)``): a
    #: bound on its work was reached. Recorded in ``source.repairs`` like any repair.
    not_examined: dict[str, tuple[int, str]] = field(default_factory=dict)

    def note(self, before: str, after: str, limit: int = 5) -> None:
        self.count += 1
        if len(self.examples) < limit:
            self.examples.append(f"{before} -> {after}")
