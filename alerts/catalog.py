"""The rule catalog: every alert rule, what each speaks for, which recover, which stale data mutes,
and ``find``, which runs them all (the execution rules of alerts/rules.py and the
performance-target rules of alerts/target_rules.py). One problem, one item: a finding that says
more about the same entity speaks for a lesser one, which then closes silently."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from alerts.findings import AlertSettings, Finding, Snapshot
from alerts.notify import CHECKPOINT_RULES
from alerts.pipeline import at_stake
from alerts.rules import EXECUTION_RULES
from alerts.target_rules import TARGET_RULES

RULES: tuple[Callable[[Snapshot, AlertSettings], list[Finding]], ...] = (*EXECUTION_RULES, *TARGET_RULES)

# Pacing rules: computed on the payments, so muted while the payment data is stale (stale_data).
PACING_RULES = frozenset({"behind_checkpoint", "checkpoint_missed", "behind_schedule", "stalled", "year_end"})
# Rules whose end is good news ("back on schedule"); the others simply close.
RECOVERING_RULES = frozenset({"behind_checkpoint", "behind_schedule", "stalled", "overspent", "adjustment_rate",
                              "stale_data", "target_behind", "target_cap", "target_window", "target_silent",
                              "delivery_gap"})

# rule → the rules it speaks for, and the period of the key it speaks for: "same" (the finding's
# own period: a checkpoint date, a target's) or "year" (behind_schedule is about the year).
SPOKEN_FOR_BY: dict[str, tuple[tuple[str, str], ...]] = {
    "year_end": (("checkpoint_missed", "same"), ("behind_checkpoint", "same"), ("behind_schedule", "year")),
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
    covered: set[str] = set()
    slow = {f.code for f in findings if f.rule in SLOW_PAYMENT_RULES and f.level == "project"}
    for f in findings:
        covered.update(f.covers)
        for rule, period in SPOKEN_FOR_BY.get(f.rule, ()):
            covered.add(f"{rule}:{f.level}:{f.code}:{f.period if period == 'same' else year}")
        if f.rule == "delivery_gap" and f.facts.get("state") == "delivery_ahead" and f.code in slow:
            covered.add(f.key)
    return covered


def find(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Every rule's findings, less those another finding speaks for, told as one story per
    entity (``one_story``). No pacing finding before the year's first payment export: a
    projection of nothing imported is not a warning."""
    found = [finding for rule in RULES for finding in rule(snapshot, settings)]
    if snapshot.latest_export is None:
        found = [f for f in found if f.rule not in PACING_RULES]
    covered = covered_keys(found, snapshot.year)
    return one_story([f for f in found if f.key not in covered], snapshot)


PARTS_SHOWN = 3


def _line_facts(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    """What names a quota line to people: its economic class, its project, its unit."""
    units = {s.entity.code: s.entity.name for s in snapshot.statuses if s.entity.level == "unit"}
    return {line.quota_no: {"economic_name": line.economic_name or "", "project_name": line.project_name or "",
                            "unit_code": line.unit_code, "unit_name": units.get(line.unit_code, line.unit_name)}
            for line in snapshot.lines}


def one_story(findings: Sequence[Finding], snapshot: Snapshot) -> list[Finding]:
    """A unit at risk of a checkpoint carries its stalled projects and quota lines in its own item
    (fact ``parts``: "name|unpaid remainder；…", the largest first) and its lines are not told
    apart; every quota-line finding says which class, project and unit the line is."""
    lines = _line_facts(snapshot)
    at_risk = {f.code for f in findings if f.rule in CHECKPOINT_RULES and f.level == "unit"}
    parts: dict[str, list[Finding]] = {}
    kept = []
    for f in findings:
        unit = f.routing.get("unit")
        if unit in at_risk and f.rule == "stalled" and f.level in ("project", "quota_line"):
            parts.setdefault(unit, []).append(f)
            if f.level == "quota_line":
                continue  # told inside the unit's item
        if f.level == "quota_line" and f.code in lines:
            f = replace(f, facts={**f.facts, **lines[f.code]})
        kept.append(f)
    out = []
    for f in kept:
        if f.level == "unit" and f.rule in CHECKPOINT_RULES and parts.get(f.code):
            ranked = sorted(parts[f.code], key=lambda p: (-at_stake(p.facts), p.code))
            named = "；".join(f"{_part_name(p, lines)}|{at_stake(p.facts):.2f}" for p in ranked[:PARTS_SHOWN])
            f = replace(f, facts={**f.facts, "parts": named, "parts_count": str(len(ranked))},
                        covers=tuple(p.key for p in ranked if p.level == "quota_line"))
        out.append(f)
    return out


def _part_name(finding: Finding, lines: dict[str, dict[str, str]]) -> str:
    line = lines.get(finding.code) if finding.level == "quota_line" else None
    if line is None:
        return finding.name
    return "·".join(n for n in (line["project_name"], line["economic_name"]) if n) or finding.name


def inhibited(findings: Sequence[Finding]) -> bool:
    """True when stale data mutes the pacing rules of this evaluation."""
    return any(f.rule == "stale_data" for f in findings)
