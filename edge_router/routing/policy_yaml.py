"""Where in a policy file a problem is: YAML nodes with line numbers (``routing.policy``)."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

Loc = tuple[str | int, ...]


def fmt_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def line_of(root: yaml.Node, loc: Loc) -> int:
    """1-based line of the deepest node on ``loc``; pydantic's union tags are skipped."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                break  # a missing key: the enclosing mapping is the best place
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
    return int(node.start_mark.line) + 1


def duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[int, str]]:
    # PyYAML keeps the last of two equal keys silently; a second `default:` must not slip by.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            key = str(getattr(k, "value", ""))
            if key in seen:
                yield k.start_mark.line + 1, f"{fmt_loc((*loc, key))}: duplicate key"
            seen.add(key)
            yield from duplicate_keys(v, (*loc, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, (*loc, i))
