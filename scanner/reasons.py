"""Reasons: the unit of explanation. Every score in groupscan is a fusion of reasons, never a bare number."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which signal saw what, for which category, and how much it weighed.

    ``weight`` is the evidence's contribution in 0..1 before fusion (a probability-like strength), so reasons can
    be ranked across signals. ``sentence`` is what a moderator reads.
    """

    signal: str
    feature: str
    value: str
    category: str
    weight: float
    sentence: str

    def to_dict(self) -> dict:
        # Spelled out, not ``dataclasses.asdict`` (which deep-copies field by field): every score row of every
        # scan turns its reasons into dicts, and asdict was a tenth of persisting a million groups.
        return {"signal": self.signal, "feature": self.feature, "value": self.value, "category": self.category,
                "weight": round(self.weight, 4), "sentence": self.sentence}

