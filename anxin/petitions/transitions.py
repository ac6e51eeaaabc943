"""The allowed workflow steps of a petition: one table, tested exhaustively.

``TRANSITIONS[action] = (states it may be taken from, state it leads to, permission action)``;
``None`` as the target keeps the state. Kind-specific rules (only claims get 复查/复核) are
checked by the services.
"""

from __future__ import annotations

from anxin.petitions.choices import Status as S

TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "accept": (frozenset({S.REGISTERED}), S.HANDLING, "petition.dispatch"),
    "decline": (frozenset({S.REGISTERED}), S.DECLINED, "petition.dispatch"),
    "forward": (frozenset({S.REGISTERED}), None, "petition.dispatch"),
    "object": (frozenset({S.REGISTERED}), None, "petition.dispatch"),
    "settle_objection": (frozenset({S.REGISTERED}), None, "petition.settle"),
    "merge": (frozenset({S.REGISTERED}), S.MERGED, "petition.dispatch"),
    "extend": (frozenset({S.HANDLING}), None, "petition.approve"),
    "pause": (frozenset({S.HANDLING, S.REVIEW, S.RECHECK}), None, "petition.handle"),
    "resume": (frozenset({S.HANDLING, S.REVIEW, S.RECHECK}), None, "petition.handle"),
    "decide": (frozenset({S.HANDLING}), None, "petition.handle"),
    "decide_review": (frozenset({S.REVIEW}), None, "petition.review"),
    "decide_recheck": (frozenset({S.RECHECK}), None, "petition.recheck"),
    "sign_off": (frozenset({S.HANDLING, S.REVIEW, S.RECHECK}), None, "petition.approve"),
    "deliver": (
        frozenset(
            {
                S.REGISTERED,
                S.HANDLING,
                S.DECLINED,
                S.DECIDED,
                S.REVIEW,
                S.REVIEWED,
                S.RECHECK,
                S.RECHECKED,
            }
        ),
        None,
        "petition.deliver",
    ),
    "rate": (frozenset({S.DECIDED, S.REVIEWED, S.RECHECKED}), None, "petition.record"),
    "request_review": (frozenset({S.DECIDED}), S.REVIEW, "petition.record"),
    "request_recheck": (frozenset({S.REVIEWED}), S.RECHECK, "petition.record"),
    "close": (
        frozenset({S.DECLINED, S.DECIDED, S.REVIEWED, S.RECHECKED}),
        S.CLOSED,
        "petition.close",
    ),
}

#: the state a sign-off leads to, by the state it is taken in
SIGN_OFF_TARGET = {S.HANDLING: S.DECIDED, S.REVIEW: S.REVIEWED, S.RECHECK: S.RECHECKED}

ACTIONS = tuple(TRANSITIONS)
