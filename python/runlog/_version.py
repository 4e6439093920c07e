"""The client's version, written into the manifests it makes."""

__version__ = "0.1.0"
