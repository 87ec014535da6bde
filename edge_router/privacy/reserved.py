"""Addresses that belong to no one: role mailboxes, documentation domains, this machine.

* A role mailbox (``support@``, ``noreply@``, ``billing@``) at any domain names a
  function, not a person.
* RFC 2606 and RFC 6761 reserve ``example.com``, ``example.net``, ``example.org`` and
  the top-level names ``.example``, ``.test``, ``.invalid`` and ``.localhost`` for
  documentation and tests (``.local`` is a home network's own). No mailbox there
  reaches anyone, and code, configs and docs pasted into prompts are full of them
  ("contact: oncall@example.com", "{'email': 'user@example.com'}"). There a mailbox is
  no one's when its local part is made of stand-in words ("user", "test", "oncall",
  "john.doe", "max", "user2") or of plain English words that are no listed name
  ("team-payments", "all-hands"). Fail closed: "maria.gonzalez@example.com" may still
  carry a real name and stays an ``EMAIL_ADDRESS``.
* A loopback or unspecified IP (``127.0.0.1``, ``::1``, ``0.0.0.0``) is the machine
  itself. Private ranges (``10.0.0.0/8``, ``192.168.0.0/16``) map a real network and
  stay; so do the documentation ranges of RFC 5737 (``198.51.100.0/24``): in a pasted
  log they are likelier a writer's stand-in for a real client's address.

Example::

    nobodys_mailbox("oncall@example.com")          # True
    nobodys_mailbox("maria.gonzalez@example.com")  # False
    reserved_ip("127.0.0.1")                       # True
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

# Mailboxes of a function, not a person, at any domain.
_ROLE_LOCAL = frozenset(
    {"info", "support", "admin", "administrator", "webmaster", "postmaster", "hostmaster",
     "abuse", "sales", "billing", "helpdesk", "help", "contact", "enquiries", "inquiries",
     "press", "media", "marketing", "careers", "jobs", "privacy", "security", "legal",
     "noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "newsletter",
     "orders", "feedback", "customerservice", "customer.service", "service"}
)  # fmt: skip
# Words a stand-in mailbox is made of in examples and tests ("user", "john.doe").
_STAND_IN_WORDS = """
    test testing tester testuser tests example sample demo dummy fake foo bar baz qux
    nobody someone somebody anyone your yourname youremail name username user users me
    you email mail hello hi root admin dev devs developer ops oncall team alerts alert
    notifications notify reports bot account owner customer client guest first last
    firstname lastname surname no do not reply on call info support contact alice bob
    carol dave eve mallory john jane doe max mustermann erika
"""
_STAND_IN = frozenset(_STAND_IN_WORDS.split())
# Stand-ins that are given names: with another word they may make a real name.
_GIVEN = frozenset({"alice", "bob", "carol", "dave", "eve", "mallory", "john", "jane", "max",
                    "erika"})  # fmt: skip
_PAIRS = frozenset({"john.doe", "jane.doe", "john_doe", "jane_doe", "johndoe", "janedoe",
                    "max.mustermann", "erika.mustermann"})  # fmt: skip
_PARTS = re.compile(r"[.\-_+]")
_CORE = re.compile(r"([^\d]*)\d{0,2}")


def reserved_host(domain: str) -> bool:
    """Is ``domain`` for documentation, tests or this network only (``example.com``,
    ``mail.example``, ``app.test``, ``printer.local``)?"""
    labels = domain.lower().rstrip(".").split(".")
    return "example" in labels[-2:] or labels[-1] in ("test", "invalid", "localhost", "local")


def nobodys_mailbox(address: str, plain: Callable[[str], bool] = lambda _: False) -> bool:
    """A role mailbox anywhere, or a stand-in one at a reserved domain: its local part
    made of stand-in words or of ``plain`` words of three letters or more (the scanner
    passes English words that are no listed name: "team-payments", "calendar-bot"), each
    with at most two digits after it ("user2"). A stand-in given name with another word
    is a name ("jane.roe", "john.smith"), unless the pair is a placeholder ("john.doe")."""
    local, at, domain = address.lower().rpartition("@")
    if not at:
        return False
    local = local.rsplit("=", 1)[-1]  # "SMTP_USER=you@example.com": a key glued on
    if local in _ROLE_LOCAL:
        return True
    if not reserved_host(domain):
        return False
    cores = []
    for part in _PARTS.split(local):
        found = _CORE.fullmatch(part)
        if found is None:
            return False  # three digits or more, or digits inside: maybe a number
        cores.append(found.group(1))
    words = [c for c in cores if c]
    if len(words) > 1 and any(w in _GIVEN for w in words) and local not in _PAIRS:
        return False
    return all(w in _STAND_IN or (len(w) >= 3 and plain(w)) for w in words)


def reserved_ip(value: str) -> bool:
    """A loopback or unspecified address (``127.0.0.1``, ``::1``, ``0.0.0.0``)."""
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified
