"""JSON Schemas and tool definitions as llama.cpp grammars (GBNF) for the local model.

A grammar masks every token that would leave the language it describes, so what the
model emits parses by construction: llama.cpp's own JSON Schema converter (bundled
with llama-cpp-python as ``llama_grammar.SchemaConverter``) turns a schema into rules,
and the rules here put them together:

- ``json_object_grammar``: any JSON object (``response_format: json_object``).
- ``schema_grammar``: a JSON value matching a schema (``response_format: json_schema``).
- ``tool_grammar``: one call ``{"name": "<tool>", "arguments": {...}}`` to one of the
  offered tools, the arguments matching that tool's ``parameters``; optionally, as an
  alternative, free text that starts with anything but ``{`` or white space (``auto``),
  or an answer matching a response schema (``auto`` with ``response_format``).

The converter enforces structure, types, ``enum``/``const``, required and additional
properties, string ``pattern``/``minLength``/``maxLength``, array ``minItems``/
``maxItems`` and the ``date``/``time``/``date-time``/``uuid`` formats. It cannot enforce
numeric bounds and a few other keywords (``UNENFORCED``): a schema marked ``strict``
that uses them is refused with a 400 naming the keyword, since the router could not
keep the promise; without ``strict`` they are best effort, as on OpenAI.

Example::

    gbnf = schema_grammar({"type": "object", "properties": {"x": {"type": "integer"}}},
                          param="response_format.json_schema.schema", strict=True)
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edge_router.errors import BadRequest

# White space between JSON tokens: none, one space, or a newline and a bounded indent.
# Models write pretty-printed JSON far more than compact JSON; the bound stops a model
# from running away in white space.
SPACE = '| " " | "\\n" [ \\t]{0,20}'

# Free text for ``auto``: its first character decides against a call ('{') and against
# leading white space (so " {" cannot smuggle a malformed call in as text).
TEXT_RULE = "[^{ \\t\\r\\n] [^\\x00]*"

UNENFORCED = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "not",
        "if",
        "then",
        "else",
        "allOf",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "patternProperties",
        "propertyNames",
        "dependentRequired",
        "dependentSchemas",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
"""Schema keywords the grammar cannot enforce (refused when ``strict``)."""

FORMATS = frozenset({"date", "time", "date-time", "uuid", "uuid1", "uuid3", "uuid4", "uuid5"})
"""String formats the grammar enforces; other formats are refused when ``strict``."""

# Keywords whose values are maps of names to subschemas, or lists of subschemas.
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")
_MAX_SCHEMA_CHARS = 64_000


@dataclass(frozen=True)
class ToolSpec:
    """One offered function tool: its name, description and parameters schema."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = False


def _converter() -> Any:
    from llama_cpp import llama_grammar

    factory: Any = llama_grammar.SchemaConverter
    conv = factory(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    conv._rules["space"] = SPACE
    return conv


def check_schema(schema: Any, *, param: str, strict: bool) -> dict[str, Any]:
    """A deep copy of ``schema`` once it is an object schema the converter can read;
    when ``strict``, also one whose every keyword the grammar enforces."""
    if not isinstance(schema, dict):
        raise BadRequest(
            f"Invalid value for '{param}': expected a JSON Schema object.", param=param
        )
    if len(json.dumps(schema)) > _MAX_SCHEMA_CHARS:
        raise BadRequest(
            f"The schema in '{param}' is larger than {_MAX_SCHEMA_CHARS} characters.", param=param
        )
    if strict:
        _check_strict(schema, param)
    return copy.deepcopy(schema)


def _check_strict(node: Any, param: str) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_strict(item, f"{param}.{i}")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in UNENFORCED:
            raise BadRequest(
                f"The local model cannot enforce the JSON Schema keyword '{key}' "
                f"(at '{param}') in strict mode; remove it or set strict to false.",
                param=param,
                code="unsupported_schema",
            )
        if key == "format" and value not in FORMATS:
            raise BadRequest(
                f"The local model cannot enforce the string format {json.dumps(value)} "
                f"(at '{param}') in strict mode; it enforces {', '.join(sorted(FORMATS))}.",
                param=param,
                code="unsupported_schema",
            )
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                _check_strict(sub, f"{param}.{key}.{name}")
        elif key in _SCHEMA_LISTS or key in ("items", "additionalProperties"):
            _check_strict(value, f"{param}.{key}")


def _visit(conv: Any, schema: dict[str, Any], name: str, *, url: str, param: str) -> str:
    """Add the rules for ``schema`` under ``name`` and return the rule to reference."""
    try:
        # resolve_refs rewrites $ref in place: work on a copy.
        resolved = conv.resolve_refs(copy.deepcopy(schema), url)
        rule: str = conv.visit(resolved, name)
    except (AssertionError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # The converter reports what it cannot read with asserts and ValueErrors; their
        # text may quote the schema, so only the location goes back to the client.
        raise BadRequest(
            f"The local model cannot turn the JSON Schema in '{param}' into a grammar "
            "(unsupported construct or $ref).",
            param=param,
            code="unsupported_schema",
        ) from exc
    return rule


def _literal(text: str) -> str:
    """A GBNF string literal that matches exactly ``text``."""
    return json.dumps(text, ensure_ascii=False)


@functools.cache
def json_object_grammar() -> str:
    """Any JSON object, and nothing after it."""
    conv = _converter()
    obj = _visit(conv, {"type": "object"}, "answer", url="answer", param="response_format")
    conv._add_rule("root", obj)
    return str(conv.format_grammar())


def schema_grammar(schema: dict[str, Any], *, param: str) -> str:
    """A JSON value matching ``schema`` (already checked), and nothing after it."""
    conv = _converter()
    answer = _visit(conv, schema, "answer", url="answer", param=param)
    conv._add_rule("root", answer)
    return str(conv.format_grammar())


def tool_grammar(
    tools: Sequence[ToolSpec],
    *,
    text: bool = False,
    answer: Mapping[str, Any] | None = None,
    answer_param: str = "response_format",
) -> str:
    """One call to one of ``tools``; or (``text``) free text that does not start with
    '{' or white space; or (``answer``) a JSON value matching that schema."""
    conv = _converter()
    branches = []
    for i, tool in enumerate(tools):
        args = _visit(
            conv,
            tool.parameters,
            f"args-{i}",
            url=f"tool{i}",
            param=f"tools.{i}.function.parameters",
        )
        head = _literal(json.dumps(tool.name)) + ' space "," space '
        head += _literal('"arguments"') + ' space ":" space '
        branches.append(conv._add_rule(f"call-{i}", head + args))
    call = '"{" space ' + _literal('"name"') + ' space ":" space '
    call += "(" + " | ".join(branches) + ') "}"'
    alternatives = [conv._add_rule("call", call)]
    if text:
        alternatives.append(conv._add_rule("text", TEXT_RULE))
    if answer is not None:
        alternatives.append(_visit(conv, dict(answer), "answer", url="answer", param=answer_param))
    conv._add_rule("root", " | ".join(alternatives))
    return str(conv.format_grammar())
