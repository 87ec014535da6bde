"""The token loop under the local runner: llama.cpp's sampler chain, driven from here.

``Llama.generate`` builds its sampler with the grammar inside the chain, so the
grammar judges every token of the vocabulary at every step (about half the speed of
unconstrained decoding on the embedded model). ``Decoder`` checks the grammar the way
llama.cpp's own ``common_sampler`` does: sample from the chain without the grammar,
ask the grammar about that one token, and only when it refuses apply the grammar to
the whole vocabulary and sample again. The result has the same distribution (a token
the grammar allows is chosen with probability p(t) / P(allowed) either way), and the
full pass runs only at the steps where the model would have left the grammar.

It also lets a request drop its grammar mid-way (``drop_grammar``: the model chose
text over a tool call), and runs the request's logits processors (``logit_bias``,
log probabilities) in numpy on the raw logits before the chain, where they see every
token in id order.

Example::

    dec = Decoder(llm, params, grammar="root ::= ...", processors=[])
    for token in dec.tokens(prompt_tokens): ...
    dec.close()
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np

from edge_router.backends.base import GenParams

Processor = Callable[[Any, Any], Any]


def _lib() -> Any:
    import llama_cpp

    return llama_cpp


class Decoder:
    """Samples one completion token by token (see module docstring)."""

    def __init__(
        self, llm: Any, params: GenParams, *, grammar: str | None, processors: Sequence[Processor]
    ) -> None:
        lib = _lib()
        self._lib = lib
        self._llm = llm
        self._processors = list(processors)
        self._n_vocab = int(llm.n_vocab())
        self._chain = llm._init_sampler(
            top_k=40,
            top_p=params.top_p,
            min_p=0.05,
            typical_p=1.0,
            temp=params.temperature,
            repeat_penalty=1.0,
            frequency_penalty=params.frequency_penalty,
            presence_penalty=params.presence_penalty,
        )
        self._grammar: Any = None
        if grammar is not None:
            self._grammar = lib.llama_sampler_init_grammar(
                llm._model.vocab, grammar.encode("utf-8"), b"root"
            )
            if not self._grammar:
                self.close()
                raise ValueError("grammar does not parse")
        self._data = (lib.llama_token_data * self._n_vocab)()
        self._view = np.ctypeslib.as_array(self._data)
        self._ids = np.arange(self._n_vocab, dtype=np.int32)
        self._cur = lib.llama_token_data_array(
            data=self._data, size=self._n_vocab, selected=-1, sorted=False
        )
        self._one = (lib.llama_token_data * 1)()
        self._one_cur = lib.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )

    def drop_grammar(self) -> None:
        if self._grammar:
            self._lib.llama_sampler_free(self._grammar)
        self._grammar = None

    def close(self) -> None:
        self.drop_grammar()
        if self._chain is not None:
            self._chain.close()
            self._chain = None

    def _prefill(self, prompt: Sequence[int]) -> None:
        """Evaluate the prompt, reusing the KV cache of the longest prefix it shares
        with what the context holds (multi-turn chats resend their history)."""
        llm = self._llm
        tokens = list(prompt)
        if llm.n_tokens > 0:
            shared = 0
            for a, b in zip(llm._input_ids.tolist(), tokens, strict=False):
                if a != b:
                    break
                shared += 1
            shared = min(shared, len(tokens) - 1)  # at least one token makes fresh logits
            if shared > 0 and llm._ctx.kv_cache_seq_rm(-1, shared, -1):
                llm.n_tokens = shared
                tokens = tokens[shared:]
            else:
                llm.reset()
        llm.eval(tokens)

    def _fill(self, logits: Any) -> None:
        self._view["id"] = self._ids
        self._view["logit"] = logits
        self._view["p"] = 0.0
        self._cur.size = self._n_vocab
        self._cur.selected = -1
        self._cur.sorted = False

    def _allowed(self, token: int) -> bool:
        self._one[0].id = token
        self._one[0].logit = 1.0
        self._one[0].p = 0.0
        self._one_cur.size = 1
        self._one_cur.selected = -1
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(self._one_cur))
        return bool(math.isfinite(self._one[0].logit))

    def _sample(self) -> int:
        lib, llm = self._lib, self._llm
        raw = np.ctypeslib.as_array(
            lib.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(self._n_vocab,)
        )
        logits = raw.copy()
        for process in self._processors:
            logits = process(llm._input_ids, logits)
        self._fill(logits)
        lib.llama_sampler_apply(self._chain.sampler, ctypes.byref(self._cur))
        token = int(self._cur.data[self._cur.selected].id)
        if self._grammar and not self._allowed(token):
            self._fill(logits)
            lib.llama_sampler_apply(self._grammar, ctypes.byref(self._cur))
            lib.llama_sampler_apply(self._chain.sampler, ctypes.byref(self._cur))
            token = int(self._cur.data[self._cur.selected].id)
        if self._grammar:
            lib.llama_sampler_accept(self._grammar, token)
        lib.llama_sampler_accept(self._chain.sampler, token)
        return token

    def tokens(self, prompt: Sequence[int]) -> Generator[int, None, None]:
        """Sampled tokens, one per step, without end: the caller stops."""
        self._prefill(prompt)
        while True:
            token = self._sample()
            yield token
            self._llm.eval([token])
