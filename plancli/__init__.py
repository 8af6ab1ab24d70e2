"""plancli: government plan documents (行动计划, 实施方案, 若干措施 …) to validated records.

Library use::

    import plancli
    doc = plancli.extract("notice.txt")          # a plancli.models.Document
    print(doc.targets[0].indicator, doc.targets[0].value)
    plancli.find_quantities("到2024年达到1600家以上")

Names are imported lazily so that ``import plancli`` (and ``plancli --help``) stays fast.
"""
from __future__ import annotations

import sys
import types

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


class _Package(types.ModuleType):
    """``plancli.extract`` is the function, whichever was imported first: the subpackage of the
    same name (``plancli.extract.targets`` …), once imported, is set as this module's attribute by
    the import system, and the setter below keeps the function in its place (the subpackage
    stays in ``sys.modules``, where imports find it)."""

    @property
    def extract(self):
        from plancli.pipeline import extract

        return extract

    @extract.setter
    def extract(self, value) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("plancli.extract is the library's entry point; it cannot be replaced")


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'plancli' has no attribute {name!r}")
