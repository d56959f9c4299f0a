"""吹哨报到 definitions (package data)."""
