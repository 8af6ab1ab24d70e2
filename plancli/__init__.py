"""plancli: government plan documents (行动计划, 实施方案, 若干措施 …) to validated records.

Library use::

    import plancli
    doc = plancli.extract("notice.txt")          # a plancli.models.Document
    print(doc.targets[0].indicator, doc.targets[0].value)
    plancli.find_quantities("到2024年达到1600家以上")

Names are imported lazily so that ``import plancli`` (and ``plancli --help``) stays fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

_EXPORTS = {
    "extract": "plancli.pipeline",
    "extract_text": "plancli.pipeline",
    "prepare": "plancli.pipeline",
    "normalize_text": "plancli.normalize",
    "find_structure": "plancli.segment",
    "find_quantities": "plancli.quantities",
    "Document": "plancli.models",
    "InputError": "plancli.read",
    "RulesError": "plancli.rules",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        # The subpackage plancli.extract shares the name of the function: once it is imported,
        # Python sets it as this module's attribute. Import it first, then bind the function,
        # so that plancli.extract stays the function however often it is called.
        importlib.import_module("plancli.extract")
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'plancli' has no attribute {name!r}")
