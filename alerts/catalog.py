"""The rule catalog: every alert rule, what each speaks for, which recover, which stale data mutes,
and ``find``, which runs them all (the execution rules of alerts/rules.py and the
performance-target rules of alerts/target_rules.py). One problem, one item: a finding that says
more about the same entity speaks for a lesser one, which then closes silently."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alerts.findings import AlertSettings, Finding, Snapshot
from alerts.rules import EXECUTION_RULES
from alerts.target_rules import TARGET_RULES

RULES: tuple[Callable[[Snapshot, AlertSettings], list[Finding]], ...] = (*EXECUTION_RULES, *TARGET_RULES)

# Pacing rules: computed on the payments, so muted while the payment data is stale (stale_data).
PACING_RULES = frozenset({"behind_checkpoint", "checkpoint_missed", "behind_schedule", "stalled"})
# Rules whose end is good news ("back on schedule"); the others simply close.
RECOVERING_RULES = frozenset({"behind_checkpoint", "behind_schedule", "stalled", "overspent", "adjustment_rate",
                              "stale_data", "target_behind", "target_cap", "target_window", "target_silent",
                              "delivery_gap"})

# rule → the rules it speaks for, and the period of the key it speaks for: "same" (the finding's
# own period: a checkpoint date, a target's) or "year" (behind_schedule is about the year).
SPOKEN_FOR_BY: dict[str, tuple[tuple[str, str], ...]] = {
    "checkpoint_missed": (("behind_checkpoint", "same"), ("behind_schedule", "year")),
    "behind_checkpoint": (("behind_schedule", "year"),),
    "stalled": (("behind_schedule", "year"),),
    "target_missed": (("target_behind", "same"), ("target_silent", "same")),
    "target_behind": (("target_silent", "same"),),
}
# A project whose slow payments one of these already reports hears nothing more from
# "delivered, money not out" (delivery_gap's delivery_ahead).
SLOW_PAYMENT_RULES = frozenset({"behind_schedule", "stalled", "behind_checkpoint", "checkpoint_missed"})


def covered_keys(findings: Sequence[Finding], year: int) -> set[str]:
    """The keys another finding of this evaluation speaks for."""
    covered = set()
    slow = {f.code for f in findings if f.rule in SLOW_PAYMENT_RULES and f.level == "project"}
    for f in findings:
        for rule, period in SPOKEN_FOR_BY.get(f.rule, ()):
            covered.add(f"{rule}:{f.level}:{f.code}:{f.period if period == 'same' else year}")
        if f.rule == "delivery_gap" and f.facts.get("state") == "delivery_ahead" and f.code in slow:
            covered.add(f.key)
    return covered


def find(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Every rule's findings, less those another finding speaks for."""
    found = [finding for rule in RULES for finding in rule(snapshot, settings)]
    covered = covered_keys(found, snapshot.year)
    return [f for f in found if f.key not in covered]


def inhibited(findings: Sequence[Finding]) -> bool:
    """True when stale data mutes the pacing rules of this evaluation."""
    return any(f.rule == "stale_data" for f in findings)
