"""The local embedding tier: one GGUF in llama.cpp's embedding mode, loaded on first use.

Each configured embedding model is its own ``Llama`` instance (``embedding=True``,
pooling from the config), separate from the chat runner's, so embeddings never wait
behind a chat generation's context and the chat path is untouched. It loads on the
first request, not at startup: startup stays fast, and a daemon nobody asks for
embeddings spends no memory on them (the file's presence is checked at startup).

A llama context is not thread-safe: one worker thread per model runs one batch at a
time, behind the same kind of bounded waiting room as the chat runner (503 with
Retry-After when full or too slow). Inputs are never truncated: one longer than the
model's ``n_ctx`` is a 400. Vectors are L2-normalised, as OpenAI's are.

Example::

    embedder = LocalEmbedder(spec, path, max_queue=16, queue_timeout_s=60)
    out = await embedder.embed(texts=("a cat", "a dog"))
    out.vectors, out.prompt_tokens
    embedder.close()
"""

from __future__ import annotations

import asyncio
import logging
import math
from array import array
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_router.backends.base import AdmissionGate, resolve_gpu_layers
from edge_router.backends.llama_local import _physical_cores
from edge_router.config import EmbeddingModel, LocalSettings
from edge_router.errors import BackendError, BadRequest

log = logging.getLogger("edge_router.backends.local_embed")

# llama.cpp's enum llama_pooling_type (llama_cpp.LLAMA_POOLING_TYPE_*).
_POOLING = {"mean": 1, "cls": 2, "last": 3}


@dataclass(frozen=True)
class Embedded:
    """One request's vectors (input order, unit length) and the tokens it read."""

    vectors: list[list[float]]
    prompt_tokens: int


def _unit(values: Sequence[float]) -> list[float]:
    """L2-normalised, then rounded to float32 as the model's own values are, so that the
    float and base64 (float32) encodings of one vector are the same numbers."""
    v = [float(x) for x in values]
    norm = math.hypot(*v)
    return array("f", [x / norm for x in v] if norm > 0 else v).tolist()


class LocalEmbedder:
    """A lazily loaded embedding GGUF with a bounded waiting room (see module docstring)."""

    def __init__(
        self, spec: EmbeddingModel, path: Path, *, max_queue: int, queue_timeout_s: float
    ) -> None:
        self.spec = spec
        self.path = path
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self._llm: Any = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"embed-{spec.name}")
        self._load_lock = asyncio.Lock()
        self._gate = AdmissionGate(max_queue, queue_timeout_s, "The local embedding model")

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def queue_depth(self) -> int:
        return self._gate.waiting

    def check_file(self) -> None:
        """Fail fast at startup on a missing file, without loading it."""
        if not self.path.is_file():
            raise FileNotFoundError(f"embedding model file not found: {self.path}")

    async def embed(
        self,
        *,
        texts: Sequence[str] = (),
        tokens: Sequence[Sequence[int]] = (),
        dimensions: int | None = None,
    ) -> Embedded:
        """Embed ``texts`` or ``tokens`` (token ids of this model's own vocabulary).

        Raises BadRequest (input too long, unknown token id, ``dimensions`` this model
        cannot give), Saturated (queue full or timed out) or BackendError."""
        await self._ensure_loaded()
        await self._gate.acquire()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._executor, self._run, list(texts), list(tokens), dimensions
            )
        finally:
            # Safe even if we were cancelled while the worker still runs: the
            # single-thread executor queues the next batch behind it.
            self._gate.release()

    async def _ensure_loaded(self) -> None:
        if self._llm is not None:
            return
        async with self._load_lock:
            if self._llm is not None:
                return
            log.info("loading embedding model", extra={"fields": {"model": self.spec.name}})
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._executor, self._load)
            except Exception as exc:
                log.error(
                    "embedding model failed to load",
                    extra={"fields": {"model": self.spec.name, "error": type(exc).__name__}},
                )
                raise BackendError(
                    "The local embedding model could not be loaded.", code="model_not_ready"
                ) from exc

    def _load(self) -> None:
        from llama_cpp import Llama

        self.check_file()
        self._llm = Llama(
            model_path=str(self.path),
            embedding=True,
            pooling_type=_POOLING[self.spec.pooling],
            n_ctx=self.spec.n_ctx,
            # A pooled sequence must fit one physical batch: its mean (or first, or
            # last) state is read per batch, so a split sequence would be pooled wrong.
            n_batch=self.spec.n_ctx,
            n_ubatch=self.spec.n_ctx,
            n_threads=self.spec.n_threads or _physical_cores(),
            n_gpu_layers=resolve_gpu_layers(self.spec.n_gpu_layers),
            verbose=False,
        )

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._llm = None

    # -- on the worker thread ------------------------------------------------------------
    def _run(
        self, texts: list[str], tokens: list[Sequence[int]], dimensions: int | None
    ) -> Embedded:
        try:
            return self._embed_blocking(texts, tokens, dimensions)
        except BadRequest:
            raise
        except Exception as exc:
            log.error("local embedding failed", extra={"fields": {"error": type(exc).__name__}})
            raise BackendError("The local embedding model failed.") from exc

    def _embed_blocking(
        self, texts: list[str], tokens: list[Sequence[int]], dimensions: int | None
    ) -> Embedded:
        llm = self._llm
        n_embd = int(llm.n_embd())
        if dimensions is not None and dimensions != n_embd:
            raise BadRequest(
                f"The model '{self.spec.name}' gives {n_embd}-dimensional embeddings and "
                f"cannot shorten them; omit 'dimensions' or send {n_embd}.",
                param="dimensions",
                code="unsupported_parameter",
            )
        if texts:
            # special=False: a control token spelled in the text is read as text.
            seqs = [
                list(llm.tokenize(t.encode("utf-8"), add_bos=True, special=False)) for t in texts
            ]
        else:
            seqs = [list(t) for t in tokens]
            n_vocab = int(llm.n_vocab())
            for i, seq in enumerate(seqs):
                if any(t >= n_vocab for t in seq):
                    raise BadRequest(
                        f"Input {i} holds a token id outside this model's vocabulary "
                        f"(ids 0 to {n_vocab - 1}); token arrays are read with the local "
                        "model's own tokenizer.",
                        param="input",
                    )
        for i, seq in enumerate(seqs):
            if not seq or len(seq) > self.spec.n_ctx:
                raise BadRequest(
                    f"Input {i} is {len(seq)} tokens; the model '{self.spec.name}' takes "
                    f"1 to {self.spec.n_ctx}.",
                    param="input",
                    code="context_length_exceeded",
                )
        return Embedded(self._decode(seqs, n_embd), sum(len(s) for s in seqs))

    def _decode(self, seqs: list[list[int]], n_embd: int) -> list[list[float]]:
        """Pack sequences into as few llama.cpp batches as fit, one sequence id each."""
        import llama_cpp

        llm = self._llm
        ctx, batch = llm._ctx, llm._batch
        max_seqs = int(llm.context_params.n_seq_max)
        out: list[list[float]] = []
        pending: list[int] = []

        def flush() -> None:
            ctx.kv_cache_clear()
            ctx.decode(batch)
            for seq_id in range(len(pending)):
                ptr = llama_cpp.llama_get_embeddings_seq(ctx.ctx, seq_id)
                out.append(_unit(ptr[:n_embd]))
            batch.reset()
            pending.clear()

        batch.reset()
        try:
            for seq in seqs:
                if pending and (sum(pending) + len(seq) > llm.n_batch or len(pending) >= max_seqs):
                    flush()
                batch.add_sequence(seq, len(pending), True)  # every token an output (pooling)
                pending.append(len(seq))
            flush()
        finally:
            batch.reset()
            ctx.kv_cache_clear()
        return out


def build_embedders(local: LocalSettings) -> dict[str, LocalEmbedder]:
    """One (not yet loaded) embedder per ``local.embedding_models`` entry, sharing the
    chat runner's queue limits."""
    return {
        m.name: LocalEmbedder(
            m,
            local.resolve_path(m),
            max_queue=local.max_queue,
            queue_timeout_s=local.queue_timeout_s,
        )
        for m in local.embedding_models
    }
