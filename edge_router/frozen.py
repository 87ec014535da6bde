"""``Frozen``: the one base class of every settings and policy model.

Configuration is read once and then shared by every request and thread; a model
that could be changed in place, or that accepted a misspelt key without a word,
would let a typo or a stray assignment change what leaves the machine. So every
config-shaped value is immutable (``frozen``) and strict (``extra="forbid"``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable, and a key it does not know is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")
