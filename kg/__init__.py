"""dataspace-kg: a knowledge graph of the European data-space ecosystem."""

__version__ = "0.1.0"
