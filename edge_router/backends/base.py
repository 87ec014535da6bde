"""What every backend produces: a stream of text deltas and a closing summary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GenParams:
    """Sampling settings for one completion, already validated and clamped."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class Delta:
    """A piece of generated text."""

    text: str


@dataclass(frozen=True)
class Finish:
    """The end of a generation, with OpenAI's finish_reason and token counts."""

    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    timings: dict[str, float] = field(default_factory=dict)


Event = Delta | Finish
