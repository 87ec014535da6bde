"""Shape a validated chat request for the local llama.cpp model.

``prepare`` returns what the runner and the reply builder need: the conversation as
the role/content strings a chat template expects (tool calls and tool results
included), the sampling parameters (grammar included) and the reply's shape.

Every request field the local model acts on is honoured, and every capability it
lacks is refused with a 400 that names the field; nothing is dropped silently:

- ``response_format`` ``json_object`` / ``json_schema``: a grammar (``local_grammar``).
- ``tools`` / ``tool_choice``: a system preamble and a grammar (``local_tools``).
- ``logprobs`` / ``top_logprobs`` (0 to 20), ``logit_bias`` (token ids of the local
  model's own vocabulary, -100 to 100), ``frequency_penalty`` / ``presence_penalty``
  (-2 to 2, over the whole completion): sampling parameters.
- refused: legacy ``functions`` / ``function_call``, audio output, web search.

Example::

    req = prepare(chat, runner)
    events = runner.generate(req.messages, req.params)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

from edge_router.backends.base import GenParams
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.backends.local_grammar import (
    check_schema,
    json_object_grammar,
    schema_grammar,
    tool_grammar,
)
from edge_router.backends.local_reply import CallMode, ReplyShape
from edge_router.backends.local_tools import plan_tools, preamble, render_call, render_result
from edge_router.errors import BadRequest
from edge_router.wire.openai_chat import LOCAL_UNSUPPORTED, ChatRequest, local_gaps

MAX_TOP_LOGPROBS = 20
MAX_LOGIT_BIAS = 1024


@dataclass(frozen=True)
class LocalRequest:
    """One chat request as the local model runs it."""

    messages: list[dict[str, str]]
    params: GenParams
    shape: ReplyShape


@dataclass(frozen=True)
class _Answer:
    """What ``response_format`` asks of a text answer."""

    schema: dict[str, Any] | None  # None: any JSON object
    hint: str


def _field(chat: ChatRequest, name: str) -> Any:
    """A request field, typed on ChatRequest or carried as an extra."""
    return getattr(chat, name, None)


def _refuse_unsupported(chat: ChatRequest) -> None:
    # The decision already sent such a request to a cloud where policy allowed (reason
    # auto:local_incapable); here it stayed local, so it is refused, naming the field.
    asked = {n: _field(chat, n) for n in (*LOCAL_UNSUPPORTED, "modalities")}
    for name in local_gaps(asked):
        what = LOCAL_UNSUPPORTED.get(name, "audio output")
        raise BadRequest(
            f"The local model does not support {what}.",
            param=name,
            code="unsupported_capability",
        )


def _text(chat: ChatRequest, i: int) -> str:
    content = chat.messages[i].content
    if not isinstance(content, list):
        return content or ""
    texts: list[str] = []
    for j, part in enumerate(content):
        if part.get("type") in ("text", "input_text") and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            raise BadRequest(
                "The local model accepts text content parts only.",
                param=f"messages.{i}.content.{j}",
                code="unsupported_content",
            )
    return "\n".join(texts)


def local_messages(
    chat: ChatRequest, *, system: str = "", tool_role: bool = True
) -> list[dict[str, str]]:
    """Flatten messages to the role/content strings a chat template expects.

    Assistant tool calls are written into the assistant turn in the call format the
    model is offered (``local_tools``). Tool results keep their ``tool`` role where the
    chat template renders one (``tool_role``); otherwise they become a user turn that
    names the tool, consecutive results sharing one. ``system`` (the tools or JSON
    preamble) is added to the first system message, or opens the conversation as one.
    """
    out: list[dict[str, str]] = []
    names: dict[str, str] = {}  # tool_call_id -> tool name
    results = False
    for i, m in enumerate(chat.messages):
        text = _text(chat, i)
        if m.role in ("tool", "function") and not tool_role:
            name = m.name if m.role == "function" else names.get(m.tool_call_id or "")
            text = render_result(name, text)
            if results:
                out[-1]["content"] += "\n\n" + text
            else:
                out.append({"role": "user", "content": text})
            results = True
            continue
        results = False
        if m.role == "assistant" and m.tool_calls:
            for call in m.tool_calls:
                fn = call.get("function")
                if isinstance(call.get("id"), str) and isinstance(fn, dict):
                    names[call["id"]] = str(fn.get("name"))
            text = "\n".join([*([text] if text else []), *map(render_call, m.tool_calls)])
        role = {"developer": "system", "function": "tool"}.get(m.role, m.role)
        out.append({"role": role, "content": text})
    if system:
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + system}
        else:
            out.insert(0, {"role": "system", "content": system})
    return out


def _number(chat: ChatRequest, name: str, low: float, high: float) -> float:
    value = _field(chat, name)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequest(
            f"Invalid value for '{name}': expected a number from {low:g} to {high:g}.", param=name
        )
    return float(value)


def _logprobs(chat: ChatRequest) -> int | None:
    wanted, top = _field(chat, "logprobs"), _field(chat, "top_logprobs")
    if wanted is not None and not isinstance(wanted, bool):
        raise BadRequest("Invalid value for 'logprobs': expected a boolean.", param="logprobs")
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= MAX_TOP_LOGPROBS:
            raise BadRequest(
                f"Invalid value for 'top_logprobs': expected an integer from 0 to "
                f"{MAX_TOP_LOGPROBS}.",
                param="top_logprobs",
            )
        if wanted is not True:
            raise BadRequest("'top_logprobs' needs 'logprobs' set to true.", param="top_logprobs")
    return (top or 0) if wanted else None


def _logit_bias(chat: ChatRequest) -> tuple[tuple[int, float], ...]:
    bias = _field(chat, "logit_bias")
    if bias is None:
        return ()
    if not isinstance(bias, dict) or len(bias) > MAX_LOGIT_BIAS:
        raise BadRequest(
            f"Invalid value for 'logit_bias': expected an object of at most {MAX_LOGIT_BIAS} "
            "token ids.",
            param="logit_bias",
        )
    out: list[tuple[int, float]] = []
    for key, value in bias.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            raise BadRequest(
                "Invalid value for 'logit_bias': keys must be token ids (integer strings).",
                param="logit_bias",
            )
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not -100 <= value <= 100:
            raise BadRequest(
                f"Invalid value for 'logit_bias.{key}': expected a number from -100 to 100.",
                param="logit_bias",
            )
        out.append((int(key), float(value)))
    return tuple(out)


def gen_params(chat: ChatRequest, runner: LocalModelRunner) -> GenParams:
    limit = runner.spec.max_tokens_limit
    requested = chat.requested_max_tokens()
    if requested is not None and requested > limit:
        param = "max_completion_tokens" if chat.max_completion_tokens else "max_tokens"
        raise BadRequest(
            f"'{param}' is {requested}; this router allows at most {limit}.", param=param
        )
    return GenParams(
        max_tokens=requested or runner.spec.default_max_tokens,
        temperature=1.0 if chat.temperature is None else chat.temperature,
        top_p=1.0 if chat.top_p is None else chat.top_p,
        stop=tuple(chat.stop_list),
        seed=chat.seed,
        frequency_penalty=_number(chat, "frequency_penalty", -2, 2),
        presence_penalty=_number(chat, "presence_penalty", -2, 2),
        logit_bias=_logit_bias(chat),
        logprobs=_logprobs(chat),
    )


def _answer(chat: ChatRequest) -> _Answer | None:
    fmt = _field(chat, "response_format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return _Answer(None, "Reply with a JSON object.")
    if kind != "json_schema":
        raise BadRequest(
            "The local model supports response_format types text, json_object and json_schema.",
            param="response_format.type",
        )
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict):
        raise BadRequest(
            "Invalid value for 'response_format.json_schema': expected an object.",
            param="response_format.json_schema",
        )
    raw = spec.get("schema")
    if raw is None:
        return _Answer(None, "Reply with a JSON object.")
    param = "response_format.json_schema.schema"
    schema = check_schema(raw, param=param, strict=spec.get("strict") is True)
    about = spec.get("description")
    hint = "Reply with JSON that matches this JSON Schema: " + json.dumps(schema)
    if isinstance(about, str) and about:
        hint = f"{hint}\nIt describes: {about}"
    return _Answer(schema, hint)


def _answer_grammar(answer: _Answer) -> str:
    if answer.schema is None:
        return json_object_grammar()
    return schema_grammar(answer.schema, param="response_format.json_schema.schema")


def prepare(chat: ChatRequest, runner: LocalModelRunner) -> LocalRequest:
    """Validate and convert ``chat`` for ``runner`` (400s name the offending field)."""
    _refuse_unsupported(chat)
    params = gen_params(chat, runner)
    answer = _answer(chat)
    plan = plan_tools(_field(chat, "tools"), _field(chat, "tool_choice"))
    system = ""
    mode: CallMode = "never"
    names: tuple[str, ...] = ()
    if plan is not None and plan.choice != "none":
        offered = plan.callable
        names = tuple(t.name for t in offered)
        hint = answer.hint[0].lower() + answer.hint[1:] if answer is not None else ""
        system = preamble(plan, answer_hint=hint)
        if plan.choice == "required":
            mode = "always"
            params = replace(params, grammar=tool_grammar(offered), grammar_param="tools")
        elif answer is None:
            mode = "first_char"
            grammar = tool_grammar(offered, text=True)
            params = replace(
                params, grammar=grammar, grammar_param="tools", grammar_until_text=True
            )
        else:
            mode = "whole"
            grammar = tool_grammar(
                offered,
                answer=answer.schema or {"type": "object"},
                answer_param="response_format.json_schema.schema",
            )
            params = replace(params, grammar=grammar, grammar_param="tools")
    elif answer is not None:
        system = answer.hint
        params = replace(params, grammar=_answer_grammar(answer))
    shape = ReplyShape(mode, names, logprobs=params.logprobs is not None)
    # Test doubles of the runner may not know the attribute: a tool role is the default.
    tool_role = bool(getattr(runner, "tool_role", True))
    messages = local_messages(chat, system=system, tool_role=tool_role)
    return LocalRequest(messages, params, shape)
