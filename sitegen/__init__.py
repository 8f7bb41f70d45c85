"""sitegen: publish an anthology of short stories as a typeset website and an EPUB."""

__version__ = "0.1.0"
