"""A signal plugin: a word the deployer watches for, with its own policy section ``signals.watchword``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from scanner.policy import Policy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult, SignalSetup, example


class WatchwordPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    word: str = "paid"
    category: str = "sexual_solicitation"
    weight: float = Field(default=0.3, ge=0, le=1)


class WatchwordSignal:
    name: ClassVar[str] = "watchword"
    version = "1"
    order: ClassVar[int] = 50
    config_model: ClassVar[type[BaseModel] | None] = WatchwordPolicy

    def __init__(self, settings: WatchwordPolicy) -> None:
        self.settings = settings

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> WatchwordSignal | None:
        section = policy.signals.section(cls.name)
        settings = section if isinstance(section, WatchwordPolicy) else WatchwordPolicy()
        return cls(settings) if settings.enabled else None

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        return [example("ex:watchword:hit", "paid new link"), example("ex:watchword:none", "cricket club")]

    def cache_key(self) -> str:
        return f"{self.version}:{self.settings.word}:{self.settings.weight}"

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        results = []
        for snap in snapshots:
            if self.settings.word in snap.name.lower().split():
                reason = Reason(self.name, "word", self.settings.word, self.settings.category, self.settings.weight,
                                f"The name has the watched word {self.settings.word!r}.")
                results.append(SignalResult(snap.group_id, self.name, {self.settings.category: self.settings.weight},
                                            (reason,)))
            else:
                results.append(SignalResult(snap.group_id, self.name, {}))
        return results
