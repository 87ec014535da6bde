"""One request's journey: evaluate, transform, dispatch to a backend (with fallbacks),
restore the reply, and record the decision in the audit trail and metrics.

May import: routing, privacy, wire, backends, record, load, state, config, errors.
"""
