"""The review cast (moderators, leads, an auditor, an admin) and the review steps tests repeat: the planted
ring's case, and an approved escalation of it."""

from __future__ import annotations

from scanner.auth.users import User
from scanner.review.cases import queue
from scanner.review.decisions import claim, decide, review_escalation

MOD, MOD2 = User("mia", "moderator"), User("noor", "moderator")
LEAD, LEAD2 = User("lee", "lead"), User("lou", "lead")
AUDITOR, ADMIN = User("ada", "auditor"), User("adm", "admin")
RING = {f"wa:ring{i}" for i in range(15)}


def ring_case(engine) -> str:
    page = queue(engine, MOD)
    (row,) = [r for r in page.rows if r["category"] == "child_safety"]
    return row["case_id"]


def escalated(engine, policy) -> str:
    case_id = ring_case(engine)
    claim(engine, LEAD, case_id, policy)
    decision = decide(engine, LEAD, case_id, "escalate", policy, category="child_safety",
                      note="shared admins run a known ring")
    review_escalation(engine, LEAD2, decision, approve=True, note="agreed", policy=policy)
    return case_id
