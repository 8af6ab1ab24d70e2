"""Extractors: one module per record kind, each driven by its file in ``rules/``."""
