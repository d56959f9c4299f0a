"""双报到 and points (党员积分): registration, self-reported services, rules (package data)."""
