"""Value types shared by the scanner, the policy engine and redaction.

They carry entity *types*, offsets and scores, never the detected values
themselves, so they are safe to log, audit and return from ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextField:
    """One piece of outbound text and where it sits in the request body.

    ``path`` is a JSONPath-like location, e.g. ``messages[2].content[0].text``
    or ``messages[1].tool_calls[0].function.arguments``.
    """

    path: str
    text: str


@dataclass(frozen=True)
class Entity:
    """A detection: ``text[start:end]`` of the field at ``field`` is of ``type``."""

    type: str
    start: int
    end: int
    score: float
    field: str

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
            "field": self.field,
        }


@dataclass(frozen=True)
class ScanResult:
    """What the scanner found in a whole request.

    ``sensitive`` is the scanner's own verdict (entity types, scores, context);
    the policy engine may still decide differently. ``reasons`` are short
    machine-readable strings such as ``entity:EMAIL_ADDRESS`` or
    ``scan_failed``; they never contain detected values.
    """

    entities: tuple[Entity, ...] = ()
    sensitive: bool = False
    reasons: tuple[str, ...] = ()
    non_text_parts: tuple[str, ...] = field(default=())

    @property
    def entity_types(self) -> frozenset[str]:
        return frozenset(e.type for e in self.entities)

    @classmethod
    def failed(cls, why: str = "scan_failed") -> ScanResult:
        """Fail closed: an unscannable request is treated as sensitive."""
        return cls(sensitive=True, reasons=(why,))
