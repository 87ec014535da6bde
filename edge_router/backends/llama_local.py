"""The local tier: one llama.cpp model behind serialized workers.

A llama context is not thread-safe, so each model owns ``instances`` contexts (one
by default), one worker thread per context and an admission gate: at most
``instances`` generations run, at most ``max_queue`` wait, and a waiter gives up
with 503 after ``queue_timeout_s``. A generation borrows a free context on its
worker thread and hands tokens to the event loop one at a time; setting the cancel
flag (client gone) stops it at the next token, and the context goes back to the pool
only when its thread is done with it.

The token loop is ours (``local_decode.Decoder`` drives llama.cpp's sampler chain):
it stops at an end-of-generation token, a stop sequence
(``local_sampling.TextAssembler``) or exactly ``max_tokens``, and applies what a
request asks of sampling: a GBNF grammar (JSON mode, tool calls; ``local_grammar``),
``logit_bias`` and log probabilities (``local_sampling``), frequency and presence
penalties (llama.cpp's penalty sampler, over the whole completion).

Example::

    model = LocalModelRunner(spec, path, max_queue=16, queue_timeout_s=60)
    await model.start()
    async for event in model.generate(messages, GenParams(max_tokens=32)):
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from edge_router.backends.base import (
    AdmissionGate,
    Event,
    Finish,
    GenParams,
    resolve_gpu_layers,
)
from edge_router.backends.local_decode import Decoder
from edge_router.backends.local_sampling import LogitBias, LogprobRecorder, TextAssembler
from edge_router.backends.templates import FALLBACKS
from edge_router.config import LocalModel
from edge_router.errors import BackendError, BadRequest

_DONE = object()


def _physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


class LocalModelRunner:
    """A loaded GGUF model with a bounded waiting room (see module docstring)."""

    def __init__(
        self,
        spec: LocalModel,
        path: Path,
        *,
        max_queue: int,
        queue_timeout_s: float,
    ) -> None:
        self.spec = spec
        self.path = path
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        # The first context also serves tokenizing and metadata (read-only on the model).
        self._llm: Any = None
        # Contexts not generating right now; a worker thread blocks here until one is
        # back (only possible just after a cancelled generation released the gate).
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._formatter: Any = None
        self._executor = ThreadPoolExecutor(spec.instances, thread_name_prefix=f"llama-{spec.name}")
        self._gate = AdmissionGate(
            max_queue, queue_timeout_s, "The local model", slots=spec.instances
        )
        self.gpu_layers = 0
        """Layers llama.cpp was asked to offload (-1 = all), once loaded."""
        # Recent service figures for load-aware routing and /metrics.
        self.ewma_tokens_per_s: float | None = None
        self.ewma_ttft_s: float | None = None
        # Tokens sampled by the last generation, cancelled ones included.
        self.last_sampled = 0
        # Whether the chat template renders a ``tool`` role (set when loaded).
        self.tool_role = True

    # -- lifecycle ---------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def queue_depth(self) -> int:
        return self._gate.waiting

    @property
    def in_flight(self) -> int:
        return self._gate.running

    @property
    def slots(self) -> int:
        """Generations that can run at once (llama.cpp contexts)."""
        return self.spec.instances

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._load)

    def _load(self) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self.gpu_layers = resolve_gpu_layers(self.spec.n_gpu_layers)
        # Instances share the cores: llama.cpp threads beyond the cores only contend.
        threads = max(1, (self.spec.n_threads or _physical_cores()) // self.spec.instances)
        contexts = [
            Llama(
                model_path=str(self.path),
                n_ctx=self.spec.n_ctx,
                n_threads=threads,
                n_batch=self.spec.n_batch,
                n_gpu_layers=self.gpu_layers,
                # OpenAI's frequency and presence penalties count every token generated
                # so far; llama.cpp counts a window of this many (64 by default).
                last_n_tokens_size=self.spec.n_ctx,
                verbose=False,
            )
            for _ in range(self.spec.instances)
        ]
        llm = contexts[0]
        for ctx in contexts:
            self._free.put(ctx)
        template = self.spec.chat_template or llm.metadata.get("tokenizer.chat_template")
        extra_stops: tuple[str, ...] = ()
        if not template:
            template, extra_stops = FALLBACKS[self.spec.fallback_chat_template]
        eos = llm.token_eos()
        bos = llm.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(llm, eos),
            bos_token=self._token_text(llm, bos),
            stop_token_ids=[eos] if eos >= 0 else None,
        )
        self._extra_stops = extra_stops
        self.tool_role = self._renders_tool_role()
        self._llm = llm

    def _renders_tool_role(self) -> bool:
        """Whether the chat template shows a ``tool`` message (many raise or drop it);
        where it does not, tool results are handed back as user turns instead."""
        marker = "edge-router-tool-probe"
        probe = [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
            {"role": "tool", "content": marker},
        ]
        try:
            return marker in self._formatter(messages=probe).prompt
        except Exception:  # a template's raise_exception() or a rendering error
            return False

    @staticmethod
    def _token_text(llm: Any, token: int) -> str:
        if token < 0:
            return ""
        return bytes(llm.detokenize([token], special=True)).decode("utf-8", errors="ignore")

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._llm = None

    # -- generation --------------------------------------------------------
    async def generate(
        self, messages: Sequence[dict[str, str]], params: GenParams
    ) -> AsyncIterator[Event]:
        """Yield Delta events then one Finish; raises Saturated when the queue is full."""
        if self._llm is None:
            raise BackendError("The local model is not loaded.", code="model_not_ready")
        await self._gate.acquire()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()

        def emit(item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        future = loop.run_in_executor(self._executor, self._run, messages, params, cancel, emit)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # Client gone or consumer stopped: the worker sees this at its next token.
            cancel.set()
            try:
                # Errors were already reported through the queue.
                with contextlib.suppress(Exception):
                    await asyncio.shield(future)
            finally:
                # Safe even if we were cancelled while the worker still runs: the
                # context returns to the pool only when that thread is done with it.
                self._gate.release()

    def _run(
        self,
        messages: Sequence[dict[str, str]],
        params: GenParams,
        cancel: threading.Event,
        emit: Callable[[Any], None],
    ) -> None:
        llm = self._free.get()
        try:
            self._generate_blocking(llm, messages, params, cancel, emit)
        except BadRequest as exc:
            emit(exc)
        except Exception as exc:
            emit(BackendError("The local model failed to generate a response."))
            raise exc
        finally:
            self._free.put(llm)
            emit(_DONE)

    def _generate_blocking(
        self,
        llm: Any,
        messages: Sequence[dict[str, str]],
        params: GenParams,
        cancel: threading.Event,
        emit: Callable[[Any], None],
    ) -> None:
        import llama_cpp

        lib: Any = llama_cpp
        formatted, prompt_tokens = self._render(messages)
        budget = self.spec.n_ctx - len(prompt_tokens)
        if budget <= 0:
            raise BadRequest(
                f"The conversation is {len(prompt_tokens)} tokens; this model's context is "
                f"{self.spec.n_ctx}.",
                param="messages",
                code="context_length_exceeded",
            )
        stops = [*params.stop, *self._extra_stops]
        if isinstance(formatted.stop, str):
            stops.append(formatted.stop)
        elif formatted.stop:
            stops.extend(formatted.stop)
        # max_tokens is a hard cap, as in OpenAI's API.
        limit = min(params.max_tokens, budget)
        processors: list[Any] = []
        if params.logit_bias:
            self._check_bias(params.logit_bias)
            processors.append(LogitBias(params.logit_bias))
        recorder = None if params.logprobs is None else LogprobRecorder(llm, params.logprobs)
        if recorder is not None:
            processors.append(recorder)
        # No seed means a fresh one per request, as OpenAI's API behaves;
        # llama.cpp would otherwise reuse its fixed default seed.
        llm.set_seed(params.seed if params.seed is not None else secrets.randbits(31))
        try:
            decoder = Decoder(llm, params, grammar=params.grammar, processors=processors)
        except ValueError as exc:
            raise BadRequest(
                "The local model could not compile a grammar for this request's "
                f"'{params.grammar_param}'.",
                param=params.grammar_param,
                code="unsupported_schema",
            ) from exc
        text = TextAssembler(stops)
        vocab = llm._model.vocab
        started = time.perf_counter()
        first: float | None = None
        sampled = 0
        finish_reason = "length"
        tokens = decoder.tokens(prompt_tokens)
        try:
            while sampled < limit:
                if cancel.is_set():  # a vanished client stops generation here
                    finish_reason = "cancelled"
                    break
                token = next(tokens)
                if lib.llama_vocab_is_eog(vocab, token):
                    finish_reason = "stop"
                    break
                sampled += 1
                piece = bytes(llm.detokenize([token]))
                if sampled == 1 and params.grammar_until_text and not piece.startswith(b"{"):
                    # The model chose text over a tool call: text is unconstrained, so
                    # the grammar has nothing left to check (local_tools).
                    decoder.drop_grammar()
                delta = text.push(piece, None if recorder is None else recorder.take(token))
                if delta is not None:
                    if first is None and delta.text:
                        first = time.perf_counter()
                    emit(delta)
                if text.stopped:
                    finish_reason = "stop"
                    break
        finally:
            tokens.close()
            decoder.close()
        if not text.stopped and (rest := text.finish()) is not None:
            emit(rest)
        elapsed = time.perf_counter() - started
        self.last_sampled = sampled
        self._record(first, started, sampled, elapsed)
        emit(
            Finish(
                finish_reason=finish_reason,
                prompt_tokens=len(prompt_tokens),
                completion_tokens=sampled,
                timings={"ttft_s": (first or time.perf_counter()) - started, "total_s": elapsed},
            )
        )

    def _render(self, messages: Sequence[dict[str, str]]) -> tuple[Any, list[int]]:
        """The chat-templated prompt and its tokens, exactly as a generation feeds them."""
        formatted = self._formatter(messages=list(messages))
        tokens: list[int] = self._llm.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        return formatted, tokens

    async def count_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        """How many tokens ``messages`` would take as a prompt (Anthropic count_tokens).
        Tokenizing only reads the vocabulary (llama.cpp's server tokenizes on its HTTP
        threads too), so this does not queue behind generations."""
        if self._llm is None:
            raise BackendError("The local model is not loaded.", code="model_not_ready")
        try:
            _, tokens = await asyncio.to_thread(self._render, messages)
        except Exception as exc:  # a template's raise_exception(), as in _run
            raise BackendError("The local model could not render this conversation.") from exc
        return len(tokens)

    def _check_bias(self, bias: Sequence[tuple[int, float]]) -> None:
        n_vocab = int(self._llm.n_vocab())
        for token, _ in bias:
            if not 0 <= token < n_vocab:
                raise BadRequest(
                    f"logit_bias names token {token}; this model's vocabulary has token ids "
                    f"0 to {n_vocab - 1}.",
                    param="logit_bias",
                )

    def _record(self, first: float | None, started: float, tokens: int, elapsed: float) -> None:
        alpha = 0.3
        if first is not None:
            ttft = first - started
            self.ewma_ttft_s = (
                ttft if self.ewma_ttft_s is None else alpha * ttft + (1 - alpha) * self.ewma_ttft_s
            )
            gen_time = elapsed - ttft
            if tokens > 1 and gen_time > 0:
                tps = (tokens - 1) / gen_time
                self.ewma_tokens_per_s = (
                    tps
                    if self.ewma_tokens_per_s is None
                    else alpha * tps + (1 - alpha) * self.ewma_tokens_per_s
                )
