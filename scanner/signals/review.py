"""Moderators' confirmed decisions as evidence: a group a human found violating is the strongest seed there is.

The scan reads ``scanner.review.decisions.confirmed_groups`` and hands it to this signal, so a confirmation
raises the group's own score and, through propagation, its neighbours' at the next scan. It knows nothing of the
store: the map is given to it, as a hash bank is given to the bank matcher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import BaseModel

from scanner.policy import ConfirmedPolicy, Policy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult, SignalSetup, example


class ConfirmedSignal:
    name = "review"
    version = "1"
    order: ClassVar[int] = 90
    config_model: ClassVar[type[BaseModel] | None] = ConfirmedPolicy

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> ConfirmedSignal | None:
        """Only when moderators confirmed something: with no decision there is nothing to say."""
        return cls(setup.confirmed, policy.signals.review.weight) if setup.confirmed else None

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        return [example("ex:review:confirmed", "Family"), example("ex:review:other", "Family")]

    def __init__(self, confirmed: Mapping[str, Mapping[str, object]], weight: float) -> None:
        self.confirmed = dict(confirmed)
        self.weight = weight

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        results = []
        for snap in snapshots:
            found = self.confirmed.get(snap.group_id)
            if not found or not found.get("category"):
                results.append(SignalResult(snap.group_id, self.name, {}))
                continue
            category = str(found["category"])
            when = str(found.get("at", ""))[:10]
            reason = Reason(self.name, "confirmed", str(found.get("case_id", "")), category, self.weight,
                            f"Confirmed {category.replace('_', ' ')} by a moderator's decision on {when} "
                            f"(case {found.get('case_id')}).")
            results.append(SignalResult(snap.group_id, self.name, {category: self.weight}, (reason,)))
        return results
