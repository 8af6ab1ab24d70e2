"""plancli's quantity parser against the public test cases of Microsoft Recognizers-Text.

    python bench/quantities_specs.py PATH/TO/Recognizers-Text/Specs [--recognizers] [--show MODEL/LANG]

Recognizers-Text keeps its test cases as JSON under ``Specs/`` (one file per model and
language: an input sentence and the entities expected in it). Nothing of them is copied into
this repository: give the path of a checkout (or of its Specs folder). For the Number,
NumberRange, Percent and Currency models in Chinese and English the script prints the share of
cases plancli gets right; with ``--recognizers`` it scores the Python port of Recognizers-Text
(``pip install recognizers-text-suite 'emoji<1'``; it has no NumberRange model) on the same
cases by the same measure, so the two numbers come from one run. ``--show Number/Chinese`` lists that model's failures.

A case is right when the expected entities and the found ones pair up one to one: same value
(within 1e-6) and overlapping spans (plancli's span also holds the comparator words before a
number, "不低于", "up to"), and nothing else of the model's kind is found. What counts as found:

- Number: every quantity's scalar (``number``; a range gives both ends, a ratio its parts).
- Percent: quantities of kind ``percent``, by ``value`` in per cent (‰ and ‱ converted).
- NumberRange: quantities with ``value_max`` (a closed range) or a comparator ``>=``/``<=``
  (a half-open one); compared by their two ends, open or closed alike.
- Currency: quantities of kind ``money``, by the amount in the currency written (``number``),
  and by currency where the case names an ISO code.

This is looser than Recognizers-Text's own tests (they compare the exact text), so its own
scores here are an upper bound of its pass rate; see bench/QUANTITIES.md for the recorded run.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

MODELS = {  # name -> (path under Specs with {lang}, what it finds)
    "Number": "Number/{lang}/NumberModel.json",
    "NumberRange": "Number/{lang}/NumberRangeModel.json",
    "Percent": "Number/{lang}/PercentModel.json",
    "Currency": "NumberWithUnit/{lang}/CurrencyModel.json",
}
LANGUAGES = ("Chinese", "English")
#: The models the Python port of Recognizers-Text has (it has no NumberRange model).
RECOGNIZERS_MODELS = ("Number", "Percent", "Currency")
#: Units of kind percent that are not per cent, and how many per cent one of them is.
PER_CENT = {"‰": 0.1, "‱": 0.01}
_NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def _specs_dir(path: Path) -> Path:
    for candidate in (path, path / "Specs"):
        if (candidate / "Number").is_dir():
            return candidate
    sys.exit(f"quantities_specs: {path}: no Number/ folder here or in Specs/ (give a Recognizers-Text checkout)")


def _float(s) -> float | None:
    try:
        return float(str(s).replace(",", ""))
    except (TypeError, ValueError):
        return None


def expected(model: str, result: dict) -> tuple | None:
    """The comparable value of one expected entity, or None if it has none we can read."""
    res = result.get("Resolution") or {}
    value = res.get("value")
    if model == "NumberRange":
        m = re.fullmatch(rf"[\[(]\s*({_NUM})?\s*,\s*({_NUM})?\s*[\])]", str(value or ""))
        if not m:
            return None
        lo, hi = (float(x) if x is not None else None for x in m.groups())
        return (lo, hi)
    if model == "Percent":
        v = _float(str(value or "").rstrip("%"))
        return None if v is None else (v,)
    if model == "Currency":
        v = _float(value)
        return None if v is None else (v, res.get("isoCurrency"))
    v = _float(value)
    return None if v is None else (v,)


def found_plancli(model: str, text: str, lang: str) -> list[tuple[tuple[int, int], tuple]]:
    """(span, value) of what plancli finds that the model would count."""
    from plancli.quantities import find_quantities

    out = []
    for q in find_quantities(text):
        if model == "Number":
            if q.kind == "ratio":
                out += [(q.span, (p,)) for p in q.ratio_parts or []]
            elif q.number is not None:
                out.append((q.span, (q.number,)))
                if q.value_max is not None and q.value:
                    out.append((q.span, (q.number / q.value * q.value_max,)))
        elif model == "Percent" and q.kind == "percent" and q.value is not None:
            per_cent = PER_CENT.get(q.unit, 1.0)  # plancli keeps ‰ as written, the specs say %
            out.append((q.span, (q.value * per_cent,)))
            if q.value_max is not None:
                out.append((q.span, (q.value_max * per_cent,)))
        elif model == "NumberRange" and q.number is not None:
            scale = q.number / q.value if q.value else 1.0
            if q.value_max is not None:
                out.append((q.span, (q.number, q.value_max * scale)))
            elif q.comparator == ">=":
                out.append((q.span, (q.number, None)))
            elif q.comparator == "<=":
                out.append((q.span, (None, q.number)))
        elif model == "Currency" and q.kind == "money" and q.number is not None:
            out.append((q.span, (q.number, q.currency)))
    return out


def found_recognizers(model: str, text: str, lang: str) -> list[tuple[tuple[int, int], tuple]]:
    """The same, from the Python port of Recognizers-Text."""
    from recognizers_number import Culture, recognize_number, recognize_percentage
    from recognizers_number_with_unit import recognize_currency

    culture = Culture.Chinese if lang == "Chinese" else Culture.English
    fn = {"Number": recognize_number, "Percent": recognize_percentage, "Currency": recognize_currency}[model]
    out = []
    for r in fn(text, culture):
        value = expected(model, {"Resolution": r.resolution})
        if value is not None:
            out.append(((r.start, r.end + 1), value))
    return out


def _same(model: str, want: tuple, have: tuple) -> bool:
    def eq(a, b):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)

    if model == "Currency":
        return eq(want[0], have[0]) and (want[1] is None or want[1] == have[1])
    return len(want) == len(have) and all(eq(a, b) for a, b in zip(want, have))


def right(model: str, case: dict, found: list) -> bool:
    """Whether ``found`` pairs up one to one with the case's expected entities."""
    left = list(found)
    for result in case.get("Results") or []:
        want = expected(model, result)
        if want is None:
            return False
        span = (result["Start"], result["End"] + 1)
        for i, (s, have) in enumerate(left):
            if s[0] < span[1] and span[0] < s[1] and _same(model, want, have):
                del left[i]
                break
        else:
            return False
    return not left


def score(specs: Path, model: str, lang: str, finder) -> tuple[int, int, list]:
    path = specs / MODELS[model].format(lang=lang)
    cases = json.loads(path.read_text(encoding="utf-8-sig"))
    good, failures = 0, []
    for case in cases:
        try:
            found = finder(model, case["Input"], lang)
        except Exception as exc:  # a crash is a wrong answer, reported with --show
            found = [((-1, -1), (f"error: {exc!r}",))]
        if right(model, case, found):
            good += 1
        else:
            failures.append((case, found))
    return good, len(cases), failures


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", type=Path, help="a Recognizers-Text checkout or its Specs folder")
    ap.add_argument("--recognizers", action="store_true", help="also score the recognizers-text Python port")
    ap.add_argument("--show", metavar="MODEL/LANG", help="list plancli's failures of one model, e.g. Number/Chinese")
    args = ap.parse_args(argv)
    specs = _specs_dir(args.specs)
    finders = {"plancli": found_plancli}
    if args.recognizers:
        finders["recognizers-text"] = found_recognizers
    shown: list = []
    print(f"{'model':<12} {'language':<8} {'cases':>5}  " + "  ".join(f"{n:>17}" for n in finders))
    totals = {n: [0, 0] for n in finders}
    for lang in LANGUAGES:
        for model in MODELS:
            cells = []
            for name, finder in finders.items():
                if name != "plancli" and model not in RECOGNIZERS_MODELS:
                    cells.append("n/a")
                    continue
                t0 = time.perf_counter()
                good, n, failures = score(specs, model, lang, finder)
                totals[name][0] += good
                totals[name][1] += n
                cells.append(f"{good:>4} {100 * good / n:5.1f}% {time.perf_counter() - t0:4.1f}s")
                if name == "plancli" and args.show == f"{model}/{lang}":
                    shown = failures
            print(f"{model:<12} {lang:<8} {n:>5}  " + "  ".join(f"{c:>17}" for c in cells))
    print(f"{'all':<12} {'':<8} {totals['plancli'][1]:>5}  "
          + "  ".join(f"{g:>4} {100 * g / max(n, 1):5.1f}% of {n:<4}" for g, n in totals.values()))
    if args.show:
        for case, found in shown:
            want = [(r.get("Text"), (r.get("Resolution") or {}).get("value")) for r in case.get("Results") or []]
            print(f"\n{case['Input']!r}\n  want {want}\n  got  {found}")


if __name__ == "__main__":
    main()
