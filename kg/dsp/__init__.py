"""The Eclipse Dataspace Protocol (2025-1) catalog protocol over this node's datasets."""

from kg.dsp.catalog import DspCatalog, DspConfig
from kg.dsp.messages import DSP_CONTEXT, CatalogErrorResponse

__all__ = ["DSP_CONTEXT", "CatalogErrorResponse", "DspCatalog", "DspConfig"]
