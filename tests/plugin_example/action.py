"""An action plugin: remembers every scan and decision it is told of (a deployer's would page someone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

SEEN: list[tuple[str, dict]] = []


class RecordingAction:
    name = "recorder"

    def on_scan(self, engine: object, policy: object, event: Mapping[str, object]) -> list[str]:
        SEEN.append(("scan", dict(event)))
        return []

    def on_decision(self, session: object, policy: object, event: str, payload: Mapping[str, object],
                    now: datetime) -> None:
        SEEN.append((event, dict(payload)))
