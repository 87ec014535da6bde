"""The local runner on the real model: admission, cancellation, token accounting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from edge_router.backends.base import Delta, Finish, GenParams
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.config import Settings
from edge_router.errors import BadRequest, Saturated

MSGS = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]


def _runner(settings: Settings, **kw: float) -> LocalModelRunner:
    spec = settings.local.models[0]
    opts = {"max_queue": 4, "queue_timeout_s": 60.0, **kw}
    return LocalModelRunner(
        spec,
        settings.local.resolve_path(spec),
        max_queue=int(opts["max_queue"]),
        queue_timeout_s=opts["queue_timeout_s"],
    )


def test_full_queue_and_queue_timeout_raise_saturated(settings: Settings) -> None:
    async def main() -> None:
        runner = _runner(settings, max_queue=1, queue_timeout_s=0.3)
        await runner.start()
        holder = runner.generate(MSGS, GenParams(max_tokens=50))
        assert isinstance(await anext(holder), Delta)  # holds the model until closed
        waiter = asyncio.ensure_future(anext(runner.generate(MSGS, GenParams(max_tokens=2))))
        await asyncio.sleep(0.05)
        assert runner.queue_depth == 1
        with pytest.raises(Saturated) as full:  # the one queue slot is taken
            await anext(runner.generate(MSGS, GenParams(max_tokens=2)))
        assert full.value.headers["Retry-After"]
        with pytest.raises(Saturated):  # the waiter gives up after queue_timeout_s
            await waiter
        await holder.aclose()
        # once released, the model serves again
        events = [e async for e in runner.generate(MSGS, GenParams(max_tokens=3))]
        assert isinstance(events[-1], Finish) and events[-1].completion_tokens == 3
        runner.close()

    asyncio.run(main())


def test_closing_the_stream_stops_within_a_token(settings: Settings) -> None:
    async def main() -> int:
        runner = _runner(settings)
        await runner.start()
        gen = runner.generate(MSGS, GenParams(max_tokens=300, temperature=0))
        for _ in range(3):
            assert isinstance(await anext(gen), Delta)
        await gen.aclose()
        sampled = runner.last_sampled
        runner.close()
        return sampled

    # Three deltas were read; the worker may have sampled one more before it saw the flag.
    sampled = asyncio.run(main())
    assert 3 <= sampled <= 5


def test_context_overflow_is_a_400(settings: Settings) -> None:
    async def main() -> None:
        runner = _runner(settings)
        await runner.start()
        huge = [{"role": "user", "content": "word " * 5000}]
        with pytest.raises(BadRequest) as info:
            async for _ in runner.generate(huge, GenParams(max_tokens=5)):
                pass
        assert info.value.code == "context_length_exceeded"
        runner.close()

    asyncio.run(main())


def test_grammar_constrains_output_and_bad_requests_name_the_field(settings: Settings) -> None:
    async def main() -> None:
        runner = _runner(settings)
        await runner.start()
        yes_no = GenParams(max_tokens=5, temperature=0, grammar='root ::= "yes" | "no"')
        events = [e async for e in runner.generate(MSGS, yes_no)]
        assert "".join(e.text for e in events if isinstance(e, Delta)) in {"yes", "no"}
        assert isinstance(events[-1], Finish) and events[-1].finish_reason == "stop"
        broken = GenParams(max_tokens=5, grammar="root ::= (", grammar_param="tools")
        with pytest.raises(BadRequest) as bad_grammar:
            async for _ in runner.generate(MSGS, broken):
                pass
        assert bad_grammar.value.param == "tools"
        with pytest.raises(BadRequest) as bad_bias:
            async for _ in runner.generate(MSGS, GenParams(max_tokens=2, logit_bias=((10**7, 1),))):
                pass
        assert bad_bias.value.param == "logit_bias"
        runner.close()

    asyncio.run(main())


def test_lazy_grammar_check_samples_what_the_grammar_in_the_chain_samples(
    settings: Settings,
) -> None:
    """local_decode checks the grammar on the sampled token first; greedy decoding must
    pick exactly what llama.cpp picks with the grammar applied to every token."""
    from llama_cpp import LlamaGrammar

    from edge_router.backends.local_decode import Decoder
    from edge_router.backends.local_grammar import json_object_grammar

    async def main() -> None:
        runner = _runner(settings)
        await runner.start()
        llm: Any = runner._llm
        prompt = llm.tokenize(
            b"<|im_start|>user\nDescribe a dog as JSON.<|im_end|>\n<|im_start|>assistant\n",
            special=True,
        )
        gbnf = json_object_grammar()
        reference = []
        for token in llm.generate(prompt, temp=0, grammar=LlamaGrammar.from_string(gbnf)):
            reference.append(token)
            if len(reference) == 40:
                break
        decoder = Decoder(llm, GenParams(max_tokens=40, temperature=0), grammar=gbnf, processors=[])
        ours = []
        tokens = decoder.tokens(prompt)
        for token in tokens:
            ours.append(token)
            if len(ours) == 40:
                break
        tokens.close()
        decoder.close()
        assert ours == reference
        runner.close()

    asyncio.run(main())


def test_two_instances_run_two_generations_at_once(settings: Settings) -> None:
    # instances: 2 -> two llama.cpp contexts: two streams are mid-generation together,
    # a third waits in the queue, and a context freed by a cancelled stream serves it.
    spec = settings.local.models[0].model_copy(update={"instances": 2})

    async def main() -> None:
        runner = LocalModelRunner(
            spec, settings.local.resolve_path(spec), max_queue=4, queue_timeout_s=60.0
        )
        await runner.start()
        assert runner.slots == 2
        a = runner.generate(MSGS, GenParams(max_tokens=200))
        b = runner.generate(MSGS, GenParams(max_tokens=200))
        assert isinstance(await anext(a), Delta)
        assert isinstance(await anext(b), Delta)
        assert runner.in_flight == 2 and runner.queue_depth == 0
        third = asyncio.ensure_future(anext(runner.generate(MSGS, GenParams(max_tokens=2))))
        await asyncio.sleep(0.05)
        assert runner.queue_depth == 1 and not third.done()
        # Both streams still produce tokens while interleaved.
        assert isinstance(await anext(a), Delta)
        assert isinstance(await anext(b), Delta)
        await a.aclose()
        assert isinstance(await third, Delta)
        await b.aclose()
        runner.close()

    asyncio.run(main())


def test_gpu_layers_auto_follows_the_build() -> None:
    from edge_router.backends.base import resolve_gpu_layers

    assert resolve_gpu_layers("auto", supports=True) == -1
    assert resolve_gpu_layers("auto", supports=False) == 0
    assert resolve_gpu_layers(12, supports=True) == 12
    # This machine's llama.cpp is a CPU build (CI has no GPU): auto offloads nothing.
    import llama_cpp

    expected = -1 if llama_cpp.llama_supports_gpu_offload() else 0
    assert resolve_gpu_layers("auto") == expected
