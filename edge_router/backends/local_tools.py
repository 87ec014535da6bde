"""Tool calling on the local model: what the request offers, what the model may emit,
and how its output is read back as an OpenAI tool call.

**The call format.** A call is one JSON object, ``{"name": "<tool>", "arguments":
{...}}``: the shape most small instruction-tuned models have seen for function calls.
The offered tools are listed in a short system preamble (``preamble``) in that same
shape, and earlier calls and their results are rendered into the prompt in it too
(``render_call``, ``render_result``), so the model sees one convention throughout.

**The grammar** (``local_grammar.tool_grammar``) makes the format a guarantee rather
than a hope, per ``tool_choice``:

- ``none``: no grammar and no tool preamble; the model writes text, as on OpenAI.
- ``required``: the output must be a call to one of the tools, its arguments valid
  against that tool's ``parameters``; a named tool (``{"type": "function", "function":
  {"name": ...}}``) narrows the choice to that one tool.
- ``auto``: ``root ::= call | text``, where ``text`` is anything whose first character
  is neither ``{`` nor white space. The first character is therefore the model's
  decision, made under the grammar: ``{`` commits it to a well-formed call, anything
  else to text. That makes the split sound (every text reply starts with a character a
  call cannot start with, so a reader knows from the first character what it holds) and
  cheap: once the first token is text the grammar has nothing left to check, and the
  runner drops it (``GenParams.grammar_until_text``), so text streams at unconstrained
  speed, token by token. A call is buffered only as far as its arguments are known.
- ``auto`` with a ``response_format`` schema: ``root ::= call | answer``. Both start
  with ``{``, so the reply is read whole: an object of exactly the call shape naming
  an offered tool is a call, anything else the answer.

One call per turn: ``parallel_tool_calls`` asks whether several *may* be returned;
one is always a valid answer.

Example::

    plan = plan_tools(chat)          # None when the request offers no tools
    reader = CallReader()
    deltas = reader.feed('{"name": "get_weather", "arguments": {"city": "Paris"}}')
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from edge_router.backends.local_grammar import ToolSpec, check_schema
from edge_router.errors import BadRequest

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A call's head, up to the first character of its arguments (white space before them
# is not part of them).
_HEAD = re.compile(r'\{\s*"name"\s*:\s*"([A-Za-z0-9_-]{1,64})"\s*,\s*"arguments"\s*:\s*(?=\S)')
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

Choice = Literal["none", "auto", "required"]


@dataclass(frozen=True)
class ToolPlan:
    """The tools a request offers and what ``tool_choice`` allows of the model."""

    tools: tuple[ToolSpec, ...]
    choice: Choice
    forced: str | None = None

    @property
    def callable(self) -> tuple[ToolSpec, ...]:
        """The tools the grammar lets the model call."""
        if self.choice == "none":
            return ()
        if self.forced is not None:
            return tuple(t for t in self.tools if t.name == self.forced)
        return self.tools


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def _tool(raw: Any, i: int) -> ToolSpec:
    param = f"tools.{i}"
    if not isinstance(raw, dict):
        raise _bad(param, "expected a tool object")
    if raw.get("type") != "function":
        raise BadRequest(
            f"The local model supports function tools only; '{param}.type' is "
            f"{json.dumps(raw.get('type'))}.",
            param=f"{param}.type",
            code="unsupported_tool",
        )
    fn = raw.get("function")
    if not isinstance(fn, dict):
        raise _bad(f"{param}.function", "expected an object")
    name = fn.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _bad(f"{param}.function.name", "expected 1 to 64 of a-z, A-Z, 0-9, _ and -")
    description = fn.get("description") or ""
    if not isinstance(description, str):
        raise _bad(f"{param}.function.description", "expected a string")
    strict = fn.get("strict") is True
    parameters = fn.get("parameters")
    schema = check_schema(
        _EMPTY_PARAMETERS if parameters is None else parameters,
        param=f"{param}.function.parameters",
        strict=strict,
    )
    return ToolSpec(name, description, schema, strict)


def plan_tools(tools: Any, tool_choice: Any) -> ToolPlan | None:
    """Validate ``tools`` and ``tool_choice`` (400s that name the field); None when no
    tools are offered."""
    if tools is None or tools == []:
        if tool_choice not in (None, "none"):
            raise _bad("tool_choice", "only allowed when 'tools' are specified")
        return None
    if not isinstance(tools, list):
        raise _bad("tools", "expected a list")
    specs = tuple(_tool(t, i) for i, t in enumerate(tools))
    names = [t.name for t in specs]
    if len(set(names)) != len(names):
        raise _bad("tools", "function names must be unique")
    if tool_choice is None or tool_choice in ("none", "auto", "required"):
        return ToolPlan(specs, tool_choice or "auto")
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        fn = tool_choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else None
        if not isinstance(name, str):
            raise _bad("tool_choice.function.name", "expected a string")
        if name not in names:
            raise _bad("tool_choice.function.name", "no tool of that name is offered")
        return ToolPlan(specs, "required", forced=name)
    raise BadRequest(
        "The local model supports tool_choice 'none', 'auto', 'required' or "
        '{"type": "function", "function": {"name": ...}}.',
        param="tool_choice",
        code="unsupported_tool_choice",
    )


# ---- the prompt ---------------------------------------------------------------------


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def preamble(plan: ToolPlan, *, answer_hint: str = "") -> str:
    """The system text that offers the tools in the call format."""
    offered = plan.callable
    lines = ["You can call these tools:"]
    for t in offered:
        entry: dict[str, Any] = {"name": t.name}
        if t.description:
            entry["description"] = t.description
        entry["parameters"] = t.parameters
        lines.append(_compact(entry))
    lines.append(
        'To call a tool, reply with only a JSON object: {"name": <tool name>, '
        '"arguments": <arguments object>}.'
    )
    if plan.forced is not None:
        lines.append(f'Reply with a call to the tool "{plan.forced}".')
    elif plan.choice == "required":
        lines.append("Reply with a tool call.")
    else:
        lines.append(
            "If no tool is needed, or tool results already answer the question, "
            + (answer_hint or "answer the user in plain text.")
        )
    return "\n".join(lines)


def render_call(call: Mapping[str, Any]) -> str:
    """An earlier assistant tool call (OpenAI shape) in the call format."""
    fn = call.get("function")
    if not isinstance(fn, dict):
        fn = {}
    arguments: Any = fn.get("arguments")
    if isinstance(arguments, str):
        with contextlib.suppress(ValueError):  # otherwise shown as the string it is
            arguments = json.loads(arguments)
    return _compact({"name": fn.get("name"), "arguments": arguments})


def render_result(name: str | None, content: str) -> str:
    """A tool result as a user turn, for chat templates without a tool role."""
    return f"Result of {name or 'the tool'}:\n{content}"


# ---- reading the output -------------------------------------------------------------


def new_call_id() -> str:
    return "call_" + secrets.token_hex(12)


class CallReader:
    """Reads a growing ``{"name": ..., "arguments": ...}`` text as OpenAI tool-call
    deltas: a head (id, type, name, empty arguments) once the name is known, then
    argument text as it arrives. The wrapper's closing brace (with white space around
    it) is held back, since until the end it is indistinguishable from the arguments'.
    """

    def __init__(self) -> None:
        self.id = new_call_id()
        self.buffer = ""
        self.name: str | None = None
        self.arguments = ""
        self._start = 0

    def feed(self, text: str) -> list[dict[str, Any]]:
        self.buffer += text
        out: list[dict[str, Any]] = []
        if self.name is None:
            m = _HEAD.match(self.buffer)
            if m is None:
                return out
            self.name, self._start = m.group(1), m.end()
            out.append(
                {
                    "index": 0,
                    "id": self.id,
                    "type": "function",
                    "function": {"name": self.name, "arguments": ""},
                }
            )
        body = self.buffer[self._start :].rstrip()
        if body.endswith("}"):
            body = body[:-1].rstrip()
        return out + self._args(body)

    def finish(self, *, complete: bool) -> list[dict[str, Any]]:
        """The rest of the arguments. ``complete``: the model closed the call (drop the
        wrapper's brace); otherwise (max_tokens) the arguments are cut short, as on
        OpenAI, and sent as they are."""
        if self.name is None:
            return []
        body = self.buffer[self._start :]
        if complete:
            body = body.rstrip()
            body = body[:-1].rstrip() if body.endswith("}") else body
        return self._args(body)

    def _args(self, body: str) -> list[dict[str, Any]]:
        if len(body) <= len(self.arguments):
            return []
        piece = body[len(self.arguments) :]
        self.arguments = body
        return [{"index": 0, "function": {"arguments": piece}}]

    def message_call(self) -> dict[str, Any]:
        """The whole call as it appears in a non-streamed ``message.tool_calls``."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


def is_call(text: str, names: Sequence[str]) -> bool:
    """Whether a whole reply is exactly the call shape naming an offered tool."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(value, dict)
        and set(value) == {"name", "arguments"}
        and value["name"] in names
        and isinstance(value["arguments"], dict)
    )
