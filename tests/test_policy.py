"""Policy files: schema validation, error locations, compilation and evaluation order."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_router.privacy.types import ScanResult
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.policy import (
    PolicyError,
    check_policy_file,
    load_policy,
    load_policy_dir,
    parse_policy,
)

VALID = """\
name: test
description: a test policy
default: auto
rules:
  - name: low
    when:
      entities: [PERSON]
    action: redact
  - name: high
    priority: 10
    when:
      entities: [PERSON]
    action: local
"""


def test_valid_policy_compiles_in_priority_order() -> None:
    p = parse_policy(VALID)
    assert p.name == "test"
    assert p.default == "auto"
    assert [r.name for r in p.rules] == ["high", "low"]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        # bad YAML: unclosed flow mapping
        ("default: local\nrules:\n  - name: a\n    when: {entities: [X]\n", 5, "invalid YAML"),
        # unknown action
        (
            "default: local\nrules:\n  - name: a\n    when:\n      sensitive: true\n"
            "    action: send\n",
            6,
            "rules[0].action: Input should be 'local'",
        ),
        # unknown key inside `when`
        (
            "default: local\nrules:\n  - name: a\n    when:\n      sensitive: true\n"
            "      entitiez: [PERSON]\n    action: local\n",
            6,
            "rules[0].when.entitiez: Extra inputs are not permitted",
        ),
        # unknown top-level key
        ("default: local\nrulez: []\n", 2, "rulez: Extra inputs are not permitted"),
        # wrong type
        (
            "default: local\nrules:\n  - name: a\n    priority: high\n    when:\n"
            "      sensitive: true\n    action: local\n",
            4,
            "rules[0].priority: Input should be a valid integer",
        ),
        (
            "default: local\nrules:\n  - name: a\n    when:\n      load: idle\n    action: local\n",
            5,
            "rules[0].when.load[0]",
        ),
        # missing mandatory default: reported at the enclosing mapping
        ("name: x\nrules: []\n", 1, "default: Field required"),
        # unknown entity type (a typo) and a bad regex
        (
            "default: local\nrules:\n  - name: a\n    when:\n      entities: [PERSON, EMAIL]\n"
            "    action: local\n",
            5,
            "unknown entity type 'EMAIL'",
        ),
        (
            "default: local\nrules:\n  - name: a\n    when:\n      patterns: ['(']\n"
            "    action: local\n",
            5,
            "invalid regex",
        ),
        # duplicate YAML key and duplicate rule name
        ("default: local\nname: a\ndefault: cloud\n", 3, "default: duplicate key"),
        (
            "default: local\nrules:\n  - {name: a, when: {sensitive: true}, action: local}\n"
            "  - {name: a, when: {sensitive: true}, action: local}\n",
            4,
            "duplicate rule name",
        ),
        (
            "default: local\nrules:\n  - name: a\n    when: {}\n    action: local\n",
            4,
            "rule has no conditions",
        ),
        (
            "default: local\nrules:\n  - name: a\n    when: {min_score: 0.5}\n    action: local\n",
            4,
            "rule has no conditions",
        ),
        ("- default\n", 1, "top level must be a mapping"),
        ("", 1, "empty"),
    ],
)
def test_invalid_policy_names_file_and_line(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(f)
    msg = str(info.value)
    assert msg.startswith(f"{f}:{line}: "), msg
    assert needle in msg
    assert check_policy_file(f) == list(info.value.problems)


def test_all_problems_reported_at_once() -> None:
    text = "default: nope\nrules:\n  - name: a\n    when: {sensitive: maybe}\n    action: x\n"
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yaml")
    assert [p.split(": ")[0] for p in info.value.problems] == ["p.yaml:1", "p.yaml:4", "p.yaml:5"]


def test_check_policy_file_ok_and_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID)
    assert check_policy_file(good) == []
    missing = check_policy_file(tmp_path / "missing.yaml")
    assert len(missing) == 1 and "missing.yaml" in missing[0]


def test_scalar_shorthand_and_extra_entity_types() -> None:
    p = parse_policy(
        "default: local\nextra_entity_types: [EMPLOYEE_ID]\nrules:\n"
        "  - name: a\n    when:\n      entities: EMPLOYEE_ID\n      models: GPT-*\n"
        "      terms: 12345\n    action: cloud\n"
    )
    (r,) = p.rules
    assert r.entities == frozenset({"EMPLOYEE_ID"})
    assert r.models == ("gpt-*",)
    assert r.terms is not None and r.terms.search("id 12345.")


def test_terms_file_relative_to_policy(tmp_path: Path) -> None:
    (tmp_path / "codes.txt").write_text("# code names\nBlue Falcon\nACME-7  # customer\n\n")
    f = tmp_path / "p.yaml"
    f.write_text(
        "default: auto\nrules:\n  - name: codes\n    when:\n      terms_file: codes.txt\n"
        "    action: local\n"
    )
    (r,) = load_policy(f).rules
    assert r.terms is not None
    assert r.terms.search("about blue falcon today")
    assert r.terms.search("(acme-7)")
    assert not r.terms.search("blue falcons")
    assert not r.terms.search("ACME-70")
    f.write_text(f.read_text().replace("codes.txt", "nope.txt"))
    (problem,) = check_policy_file(f)
    assert problem.startswith(f"{f}:5: rules[0].when.terms_file: cannot read")


def test_load_policy_dir_names(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("default: local\n")
    (tmp_path / "b.yaml").write_text("name: custom\ndefault: cloud\n")
    assert sorted(load_policy_dir(tmp_path)) == ["a", "custom"]
    (tmp_path / "c.yaml").write_text("name: custom\ndefault: cloud\n")
    (tmp_path / "d.yaml").write_text("default: maybe\n")
    with pytest.raises(PolicyError) as info:
        load_policy_dir(tmp_path)
    assert len(info.value.problems) == 2
    assert "also used by" in str(info.value)
    assert "d.yaml:1: default" in str(info.value)


def _ctx(scan: ScanResult | None = None) -> RouteContext:
    return RouteContext(scan=scan or ScanResult(), texts=(), model="m", cloud_available=True)


@pytest.mark.parametrize(
    ("rules", "winner"),
    [
        # equal priority: file order
        ([("a", 0), ("b", 0), ("c", 0)], "a"),
        # higher priority first, wherever it sits in the file
        ([("a", 0), ("b", 5), ("c", 5)], "b"),
        ([("a", -1), ("b", 0), ("c", 0)], "b"),
        ([("a", 1), ("b", 2), ("c", 3)], "c"),
    ],
)
def test_priority_then_file_order(rules: list[tuple[str, int]], winner: str) -> None:
    body = "".join(
        f"  - name: {n}\n    priority: {p}\n    when: {{sensitive: false}}\n    action: cloud\n"
        for n, p in rules
    )
    policy = parse_policy(f"default: block\nrules:\n{body}")
    assert decide(_ctx(), policy).rule == winner
