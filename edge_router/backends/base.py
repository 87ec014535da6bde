"""What every backend produces: a stream of text deltas and a closing summary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from edge_router.errors import Saturated


@dataclass(frozen=True)
class GenParams:
    """Sampling settings for one completion, already validated and clamped."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    logit_bias: tuple[tuple[int, float], ...] = ()
    """(token id in the model's own vocabulary, bias added to its logit)."""
    logprobs: int | None = None
    """None: no log probabilities; k >= 0: each token's, with the k likeliest alternatives."""
    grammar: str | None = None
    """A GBNF grammar (root rule ``root``) that every sampled token must keep to."""
    grammar_param: str = "response_format"
    """The request field the grammar comes from, for errors."""
    grammar_until_text: bool = False
    """Drop the grammar after the first token when that token does not start with '{':
    the model chose free text over a tool call (``tool_choice: auto``)."""


@dataclass(frozen=True)
class TokenLogprob:
    """One sampled token's log probability, with the likeliest alternatives."""

    token: str
    logprob: float
    token_bytes: tuple[int, ...]
    top: tuple[tuple[str, float, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class Delta:
    """A piece of generated text (with its tokens' log probabilities when asked for)."""

    text: str
    logprobs: tuple[TokenLogprob, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The end of a generation, with OpenAI's finish_reason and token counts."""

    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    timings: dict[str, float] = field(default_factory=dict)


Event = Delta | Finish


class CloudBackend(Protocol):
    """A remote OpenAI-shaped backend (cloud provider or trusted on-prem server)."""

    name: str
    trusted_local: bool

    @property
    def available(self) -> bool: ...

    @property
    def recent_latency_s(self) -> float | None: ...

    @property
    def models(self) -> tuple[str, ...]: ...

    @property
    def embedding_models(self) -> tuple[str, ...]: ...

    def serves(self, model: str) -> bool: ...

    def upstream_model(self, model: str) -> str: ...

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]: ...

    async def embeddings(self, body: dict[str, Any]) -> tuple[list[list[float]], int]: ...

    async def aclose(self) -> None: ...


class AdmissionGate:
    """``slots`` jobs at a time on a local model (one per llama.cpp context: a context
    is not thread-safe); at most ``max_queue`` wait, each at most ``queue_timeout_s``,
    else 503 (:class:`Saturated`). Shared by the chat runner and the embedder.

    Example::

        await gate.acquire()      # raises Saturated when full or timed out
        try: ...
        finally: gate.release()
    """

    def __init__(self, max_queue: int, queue_timeout_s: float, what: str, slots: int = 1) -> None:
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self.what = what
        self.slots = slots
        self.waiting = 0
        self.running = 0
        self._sem = asyncio.Semaphore(slots)

    async def acquire(self) -> None:
        if self.waiting >= self.max_queue and self._sem.locked():
            raise Saturated(f"{self.what} is busy; retry shortly.", retry_after_s=2)
        self.waiting += 1
        try:
            await asyncio.wait_for(self._sem.acquire(), timeout=self.queue_timeout_s)
        except TimeoutError as exc:
            raise Saturated(
                f"Timed out waiting for {self.what[0].lower()}{self.what[1:]}; retry shortly.",
                retry_after_s=5,
            ) from exc
        finally:
            self.waiting -= 1
        self.running += 1

    def release(self) -> None:
        self.running -= 1
        self._sem.release()


def resolve_gpu_layers(setting: int | str, supports: bool | None = None) -> int:
    """``n_gpu_layers`` as llama.cpp takes it: ``auto`` is every layer (-1) when this
    llama.cpp build can offload to a GPU (CUDA, Metal, Vulkan), else 0 (CPU only).
    ``supports`` overrides the build's answer (tests)."""
    if not isinstance(setting, str):
        return setting
    if supports is None:
        import llama_cpp

        supports = bool(llama_cpp.llama_supports_gpu_offload())
    return -1 if supports else 0
