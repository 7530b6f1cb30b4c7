"""The official DSP 2025-1 JSON schemas (data, see README.md) and a validator over them."""
