"""The local tier: one llama.cpp model behind a serialized worker.

A llama context is not thread-safe, so each model owns one worker thread and
an admission gate: at most one generation runs, at most ``max_queue`` wait,
and a waiter gives up with 503 after ``queue_timeout_s``. Generation runs on
the worker thread and hands tokens to the event loop one at a time; setting
the cancel flag (client gone) stops it at the next token.

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
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from edge_router.backends.base import Delta, Event, Finish, GenParams
from edge_router.backends.templates import FALLBACKS
from edge_router.config import LocalModel
from edge_router.errors import BackendError, BadRequest, Saturated

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
        self._llm: Any = None
        self._formatter: Any = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"llama-{spec.name}")
        self._gate = asyncio.Semaphore(1)
        self._waiting = 0
        self._busy = False
        # Recent service figures for load-aware routing and /metrics.
        self.ewma_tokens_per_s: float | None = None
        self.ewma_ttft_s: float | None = None
        # Tokens sampled by the last generation, cancelled ones included.
        self.last_sampled = 0

    # -- lifecycle ---------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def queue_depth(self) -> int:
        return self._waiting

    @property
    def in_flight(self) -> int:
        return 1 if self._busy else 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._load)

    def _load(self) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        llm = Llama(
            model_path=str(self.path),
            n_ctx=self.spec.n_ctx,
            n_threads=self.spec.n_threads or _physical_cores(),
            n_batch=self.spec.n_batch,
            n_gpu_layers=self.spec.n_gpu_layers,
            verbose=False,
        )
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
        self._llm = llm

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
        if self._waiting >= self.max_queue and self._gate.locked():
            raise Saturated("The local model is busy; retry shortly.", retry_after_s=2)
        self._waiting += 1
        try:
            await asyncio.wait_for(self._gate.acquire(), timeout=self.queue_timeout_s)
        except TimeoutError as exc:
            raise Saturated(
                "Timed out waiting for the local model; retry shortly.", retry_after_s=5
            ) from exc
        finally:
            self._waiting -= 1
        self._busy = True
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
                # single-thread executor queues the next generation behind it.
                self._busy = False
                self._gate.release()

    def _run(
        self,
        messages: Sequence[dict[str, str]],
        params: GenParams,
        cancel: threading.Event,
        emit: Callable[[Any], None],
    ) -> None:
        try:
            self._generate_blocking(messages, params, cancel, emit)
        except BadRequest as exc:
            emit(exc)
        except Exception as exc:
            emit(BackendError("The local model failed to generate a response."))
            raise exc
        finally:
            emit(_DONE)

    def _generate_blocking(
        self,
        messages: Sequence[dict[str, str]],
        params: GenParams,
        cancel: threading.Event,
        emit: Callable[[Any], None],
    ) -> None:
        llm = self._llm
        formatted = self._formatter(messages=list(messages))
        prompt_tokens = llm.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
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
        sampled = 0

        def count(_ids: Any, logits: Any) -> Any:
            # Called once per sampled token: an exact count of generated tokens.
            nonlocal sampled
            sampled += 1
            return logits

        limit = min(params.max_tokens, budget)

        def cancelled(_ids: Any, _logits: Any) -> bool:
            # Checked after every sampled token, before it is emitted: a vanished client
            # stops generation here. So does a token past the limit, which llama.cpp
            # samples when the previous one ended inside a multi-byte character:
            # max_tokens is a hard cap, as in OpenAI's API.
            return cancel.is_set() or sampled > limit

        from llama_cpp import LogitsProcessorList, StoppingCriteriaList

        started = time.perf_counter()
        first: float | None = None
        finish_reason = "stop"
        stream = llm.create_completion(
            prompt=prompt_tokens,
            max_tokens=limit,
            temperature=params.temperature,
            top_p=params.top_p,
            stop=stops or None,
            # No seed means a fresh one per request, as OpenAI's API behaves;
            # llama.cpp would otherwise reuse its fixed default seed.
            seed=params.seed if params.seed is not None else secrets.randbits(31),
            stream=True,
            stopping_criteria=StoppingCriteriaList([cancelled]),
            logits_processor=LogitsProcessorList([count]),
        )
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                text = choice.get("text") or ""
                if text:
                    if first is None:
                        first = time.perf_counter()
                    emit(Delta(text))
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
                if cancel.is_set():
                    finish_reason = "cancelled"
                    break
        finally:
            stream.close()
        elapsed = time.perf_counter() - started
        if sampled > limit:
            finish_reason, sampled = "length", limit  # the extra token was never emitted
        elif finish_reason == "stop" and sampled:
            sampled -= 1  # the end-of-generation token is sampled but is not content
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
