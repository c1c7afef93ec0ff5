"""Data re-uploading classifiers: circuit spec, simulator, datasets, training (no UI)."""

__version__ = "0.1.0"
