"""Token-level helpers for the local generation loop (``llama_local``).

- ``TextAssembler``: sampled tokens' bytes -> text deltas. Holds back an incomplete
  UTF-8 character and any tail that could be the start of a stop sequence, so a stop
  sequence never reaches the client, and ends the text where one appears.
- ``LogprobRecorder``: a logits processor that keeps the log-softmax of each step, so
  the loop can look up the sampled token's log probability and the likeliest
  alternatives. It sees the logits after ``logit_bias`` and before penalties, grammar
  and temperature: the model's own distribution, as OpenAI reports it.
- ``LogitBias``: a logits processor adding OpenAI ``logit_bias`` values.

llama.cpp calls logits processors once per sampled token with the whole vocabulary's
logits in token-id order (they run first in its sampler chain).

Example::

    asm = TextAssembler(["\\n\\n"])
    delta = asm.push(b"Hello", None)   # Delta("Hello") or None while held back
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from edge_router.backends.base import Delta, TokenLogprob

_FLOOR = -9999.0  # what OpenAI reports for a probability that underflows


class TextAssembler:
    """Builds the text of one completion from token bytes (see module docstring)."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._stops = [s for s in stops if s]
        self.text = ""
        self._sent = 0
        self._pending: list[tuple[int, TokenLogprob]] = []  # (end offset in text, logprob)
        self.stopped = False

    def push(self, piece: bytes, logprob: TokenLogprob | None) -> Delta | None:
        """Add one token's bytes; returns the text that is now safe to send, if any."""
        self.text += self._decoder.decode(piece)
        if logprob is not None:
            self._pending.append((len(self.text), logprob))
        hits = [i for i in (self.text.find(s, self._sent) for s in self._stops) if i >= 0]
        if hits:
            self.stopped = True
            return self._emit(min(hits), drop_rest=True)
        return self._emit(len(self.text) - self._held())

    def finish(self) -> Delta | None:
        """The rest of the text (a trailing incomplete character is dropped)."""
        return self._emit(len(self.text), drop_rest=True)

    def _held(self) -> int:
        """Length of the longest tail of the unsent text that begins a stop sequence."""
        tail = self.text[self._sent :]
        best = 0
        for s in self._stops:
            for k in range(min(len(s) - 1, len(tail)), best, -1):
                if tail.endswith(s[:k]):
                    best = k
                    break
        return best

    def _emit(self, end: int, *, drop_rest: bool = False) -> Delta | None:
        end = max(end, self._sent)
        text = self.text[self._sent : end]
        ready = [lp for pos, lp in self._pending if pos <= end]
        self._pending = [] if drop_rest else [(p, lp) for p, lp in self._pending if p > end]
        self._sent = end
        if not text and not ready:
            return None
        return Delta(text, tuple(ready))


class LogitBias:
    """Adds OpenAI ``logit_bias`` values (token id -> bias) to the logits."""

    def __init__(self, bias: Sequence[tuple[int, float]]) -> None:
        self._ids = np.array([t for t, _ in bias], dtype=np.intp)
        self._values = np.array([b for _, b in bias], dtype=np.float32)

    def __call__(self, _input_ids: Any, scores: Any) -> Any:
        scores[self._ids] += self._values
        return scores


class LogprobRecorder:
    """Keeps each step's log-softmax; ``take(token)`` reads the sampled token's."""

    def __init__(self, llm: Any, top: int) -> None:
        self._llm = llm
        self._top = top
        self._logp: Any = None

    def __call__(self, _input_ids: Any, scores: Any) -> Any:
        logits = np.asarray(scores, dtype=np.float64)
        peak = logits.max()
        self._logp = logits - (peak + math.log(float(np.exp(logits - peak).sum())))
        return scores

    def _piece(self, token: int) -> tuple[str, tuple[int, ...]]:
        raw = bytes(self._llm.detokenize([token]))
        return raw.decode("utf-8", errors="replace"), tuple(raw)

    @staticmethod
    def _finite(value: float) -> float:
        return value if math.isfinite(value) else _FLOOR

    def take(self, token: int) -> TokenLogprob:
        logp = self._logp
        text, raw = self._piece(token)
        top: list[tuple[str, float, tuple[int, ...]]] = []
        if self._top > 0:
            ids = np.argpartition(-logp, self._top)[: self._top]
            for i in sorted(ids.tolist(), key=lambda i: -float(logp[i])):
                t, b = self._piece(int(i))
                top.append((t, self._finite(float(logp[i])), b))
        return TokenLogprob(text, self._finite(float(logp[token])), raw, tuple(top))
