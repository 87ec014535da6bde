"""What the daemon remembers and tells: the audit store and its query CLI, Prometheus
metrics, JSON logs and systemd notifications. Never raw text or detected values.

May import: errors; config (the audit CLI reads the daemon's config to find the store).
"""
