"""The HTTP API of dataspace-kg (FastAPI): SPARQL 1.1, REST, Linked Data and web pages."""
