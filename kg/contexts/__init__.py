"""Shipped JSON-LD contexts (data only; see NOTICE.md and index.json)."""
