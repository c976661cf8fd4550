"""Domain names, as beachfront's cart holds them (`cool.dist`, `the.undernet`)."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
MAX_LENGTH = 253


def normalize(name: object) -> str:
    """The domain name in lower case; ValueError naming it when it is not one."""
    if not isinstance(name, str):
        raise ValueError(f"{name!r} is not a domain name")
    lowered = name.strip().lower().rstrip(".")
    labels = lowered.split(".")
    valid = (
        0 < len(lowered) <= MAX_LENGTH
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and bool(_TOP.match(labels[-1]))
    )
    if not valid:
        raise ValueError(f"{name!r} is not a domain name")
    return lowered
