"""Find the quantities in a sentence: "达到30-50万辆", "增长15%以上", "up to 2 million yuan",
"两千六百五人", "三分之一", "八成", "2000元/人/月", "every household gets 500 yuan per month".

Targets and subsidies both start from numbers, so one parser finds them all and keeps, next to
each parsed value, the exact text and span it came from. The words (units, multipliers,
currencies, comparators, numerals) and the exclusions (years, dates, document numbers, list
markers, slogans) are data in ``rules/quantities.yaml``, compiled once per rules file into a few
regexes: a scanner searched for where a number can start (a character class, looked ahead) and
matching there (exclusions first, then a ratio, then a number with its range, unit and trailing
comparator),
and an anchored match on the reversed text before the number for comparator and currency words
("不超过", "up to", "RMB"). Every piece is delimited or bounded, so time is linear in the text.

>>> [(q.value, q.value_max, q.unit, q.comparator) for q in find_quantities("达到30-50万辆整车生产规模")]
[(30.0, 50.0, '万辆', '=')]
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag, field_validator, model_validator

from plancli import rules as rules_mod
from plancli.regex_prefilter import first_char_class

__all__ = ["Quantity", "QuantityRules", "find_quantities", "parse_quantity"]

Comparator = Literal[">=", "<=", "~", "=", "+", "-"]


@dataclass(slots=True)
class Quantity:
    """One quantity as written in the text, with its parsed value.

    A plain dataclass, not a Pydantic model: the parser makes one per number in the text and
    validation would cost more than the parsing; the records built from it are validated."""

    value: float | None = None
    value_max: float | None = None
    unit: str | None = None
    number: float | None = None
    kind: Literal["number", "percent", "money", "ratio"] = "number"
    amount: float | None = None
    currency: str | None = None
    #: What an amount or count is per: "户" in "800元/户" and "每户补助800元", "平方米", "千瓦时",
    #: "household" in "500 yuan per household" (the written unit word, multiplier included: "万人").
    per: str | None = None
    #: The period of a rate: "月" in "2000元/人/月" and "每月200元", "年" in "30元/平方米·年",
    #: "year" in "RMB 10 million a year" (as the rules file names it).
    period: str | None = None
    comparator: Comparator = "="
    masked: bool = False
    ratio_parts: list[float] | None = None
    text: str = ""
    span: tuple[int, int] = (0, 0)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain data (what ``plancli quantities`` prints)."""
        return asdict(self)


# --- rules ------------------------------------------------------------------------------------


class NumberRule(rules_mod.Rule):
    group_marks: list[str]
    decimal_marks: list[str]
    #: Character class: a number right after one of these is part of a word or code.
    not_after: rules_mod.Pattern
    #: Character class: a quantity ending in a digit/letter must not be followed by one.
    not_before: rules_mod.Pattern


class CnNumeralRule(rules_mod.Rule):
    digits: dict[str, int]
    powers: dict[str, int]
    start_powers: list[str]
    split_powers: list[str]
    #: Decimal points of Chinese numerals ("三点五").
    points: list[str] = []
    not_after: str = ""
    not_alone: list[str] = []
    not_units: list[str] = []
    bare_min_power: int
    #: A numeral after one of these counts without a unit ("前三": the top three).
    bare_after: str = ""
    #: Two neighbouring digits make an approximate range ("两三个", "三五家", "二三十人").
    neighbour_ranges: bool = False
    #: Pairs of digits that also make such a range although they are not neighbours ("三五").
    range_pairs: list[str] = []


class EnNumeralRule(rules_mod.Rule):
    words: dict[str, int]
    scales: dict[str, int]
    #: Words that count only with a unit after them ("one of", "one by one").
    need_unit: list[str] = []
    #: Articles that stand for one before a scale or multiplier ("a hundred", "a million").
    articles: list[str] = []
    #: A number word followed by this (a regex) is part of a compound ("three-year", "one-off").
    not_before: rules_mod.Pattern | None = None


class FractionRule(rules_mod.Rule):
    """Fractions: Chinese "三分之一", English "two thirds", "a quarter"."""

    #: The Chinese word between denominator and numerator.
    cn_marks: list[str]
    #: English denominators (singular after one/a, plural after two and more) and their value.
    en_denominators: dict[str, int]
    #: Denominators an article may take without "of" after ("a quarter", "a half"); others need
    #: it ("a third of", not "a third party").
    article_alone: list[str] = []


class TenthsRule(rules_mod.Rule):
    """成 and 折: tenths, given as per cent ("八成" 80 %, "九五折" 95 %, "7.5折" 75 %)."""

    #: word -> character class of what may not follow ("成员", "折旧").
    words: dict[str, rules_mod.Pattern]
    #: Words after which two digits are per cent ("九五折", "75折": 95 %, 75 %).
    two_digits: list[str] = []


class WordsRule(rules_mod.Rule):
    """A plain word list (units)."""

    words: list[str]
    symbols: list[str] = []


class FactorRule(rules_mod.Rule):
    """Words with a scale factor (multipliers)."""

    words: dict[str, float]
    #: Case-sensitive shorthands glued to the digits ("8k", "20w").
    symbols: dict[str, float] = {}


class PerUnitRule(rules_mod.Rule):
    separators: list[str]
    #: Between the unit of measure and the period ("元/平方米·年", "元/人/月").
    joiners: list[str] = []
    #: Written before the unit of measure or the period ("每平方米200元", "每台补助1万元").
    before: list[str] = []
    #: How far before a number such a word is looked for, within its clause.
    before_reach: int = 0
    #: Characters that end a clause: a word before one of them is not looked at.
    clause_marks: str = ""
    #: period as written -> period reported (Chinese and English).
    periods: dict[str, str] = {}
    #: English words before the unit of measure or period ("per household", "a year").
    en_before: list[str] = []
    #: English nouns a rate may be per, besides the unit words ("per household").
    en_units: list[str] = []
    #: English adverbs of period ("annually").
    en_adverbs: dict[str, str] = {}


class PercentRule(rules_mod.Rule):
    units: dict[str, str]
    prefixes: dict[str, str]


class CurrencyRule(rules_mod.Rule):
    after: dict[str, str]
    before: dict[str, str] = {}
    #: Smaller coins after a whole yuan ("56元3角", "3元5角2分"): word -> value in the unit.
    subunits: dict[str, float] = {}


class RangeRule(rules_mod.Rule):
    separators: list[str]
    damaged: list[str] = []
    #: English separator -> the word that must stand before the first number ("between 3 and 5").
    needs_before: dict[str, str] = {}
    #: English separator -> a word before the first number that makes it no range ("from 3 to 5"
    #: tells a change).
    refused_after: dict[str, str] = {}
    #: Separator -> words one of which must follow the second number ("20和30之间").
    needs_after: dict[str, list[str]] = {}


class RatioRule(rules_mod.Rule):
    separators: list[str]


class MaskedRule(rules_mod.Rule):
    chars: str
    #: May the unit of a masked number follow a line break ("xx⏎名以上")?
    unit_on_next_line: bool = False


class ComparatorRule(rules_mod.Rule):
    words: dict[str, Comparator]
    wins_over_after: list[Comparator] = []
    infix: dict[str, Comparator] = {}


class BareYearRule(rules_mod.Rule):
    min: int
    max: int
    #: Units that make any integer from ``min`` up a year ("20222022年" from a broken title).
    units: list[str] = []


class SkipRule(rules_mod.Rule):
    """Text that looks like a number but is no quantity.

    ``skip`` (a regex) and ``words`` are tried where a number starts and consume what they match;
    ``before`` (a regex) and ``before_words`` name what, ending right before a number, makes it
    no quantity ("June 23", "Attachment 1", a web address).
    """

    skip: rules_mod.Pattern | None = None
    words: list[str] = []
    before: rules_mod.Pattern | None = None
    before_words: list[str] = []

    @model_validator(mode="after")
    def _something(self) -> "SkipRule":
        if not (self.skip or self.words or self.before or self.before_words):
            raise ValueError("a skip rule needs 'skip', 'words', 'before' or 'before_words'")
        if self.skip and rules_mod.compiled(self.skip).match(""):
            raise ValueError("'skip' must not match the empty string")
        return self


class UnknownRule(rules_mod.Rule):
    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, data: Any) -> Any:
        raise ValueError(f"unknown rule id {data.get('id')!r}: use one of {', '.join(_RULE_MODELS)}, "
                         f"or '{_SKIP_PREFIX}…' for text that is not a quantity")


_SKIP_PREFIX = "quantity.not_"

#: The rules the engine needs, by id; ids starting with ``quantity.not_`` are skip rules.
_RULE_MODELS: dict[str, type[rules_mod.Rule]] = {
    "quantity.number": NumberRule,
    "quantity.cn_numeral": CnNumeralRule,
    "quantity.en_numeral": EnNumeralRule,
    "quantity.multiplier": FactorRule,
    "quantity.fraction": FractionRule,
    "quantity.tenths": TenthsRule,
    "quantity.unit_cn": WordsRule,
    "quantity.unit_en": WordsRule,
    "quantity.per_unit": PerUnitRule,
    "quantity.percent": PercentRule,
    "quantity.money_cn": CurrencyRule,
    "quantity.money_en": CurrencyRule,
    "quantity.range": RangeRule,
    "quantity.ratio": RatioRule,
    "quantity.masked": MaskedRule,
    "quantity.comparator_before": ComparatorRule,
    "quantity.comparator_after": ComparatorRule,
    "quantity.not_bare_year": BareYearRule,
}


def _rule_tag(v: Any) -> str:
    rule_id = (v.get("id") if isinstance(v, dict) else getattr(v, "id", None)) or ""
    if rule_id in _RULE_MODELS:
        return rule_id
    return "skip" if rule_id.startswith(_SKIP_PREFIX) else "unknown"


QuantityRule = Annotated[
    Union[tuple(Annotated[m, Tag(i)] for i, m in _RULE_MODELS.items())
          + (Annotated[SkipRule, Tag("skip")], Annotated[UnknownRule, Tag("unknown")])],
    Discriminator(_rule_tag),
]


class QuantityRules(rules_mod.RuleFile):
    rules: list[QuantityRule]

    @field_validator("rules")
    @classmethod
    def _all_there(cls, rules: list[rules_mod.Rule]) -> list[rules_mod.Rule]:
        missing = set(_RULE_MODELS) - {r.id for r in rules}
        if missing:
            raise ValueError(f"missing rules: {', '.join(sorted(missing))}")
        return rules

    @functools.cached_property
    def engine(self) -> "_Engine":
        """Regexes built from this file, once (the model is frozen, so they cannot go stale)."""
        return _Engine(self)


def rules(rs: "rules_mod.RuleSet | None" = None) -> QuantityRules:
    """The quantities rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("quantities")  # type: ignore[return-value]


# --- regex building ---------------------------------------------------------------------------

_SP = "[ \t\u00a0\u3000]?"
_BEFORE_WINDOW = 80  # characters searched for a skip rule's `before` context


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


# Edges of a Latin word; not \b, which sees no edge between "GB" and a Chinese character.
_NO_LATIN_BEFORE = "(?<![A-Za-z0-9])"
_NO_LATIN_AFTER = "(?![A-Za-z0-9])"


def _word(w: str, *, fold_case: bool = True, left_edge: bool = False) -> str:
    """A literal word; Latin words match whole words only, ignoring case unless told not to."""
    frag = re.escape(w).replace("\\ ", " +")
    if _is_latin(w[-1]):
        frag += _NO_LATIN_AFTER
    if left_edge and _is_latin(w[0]):
        frag = _NO_LATIN_BEFORE + frag
    if fold_case and any(c.isascii() and c.isalpha() for c in w):
        frag = f"(?i:{frag})"
    return frag


def _alternation(pairs) -> str:
    """(word, regex) pairs as one alternation, longest word first: 个百分点 before 个, 不超过 before 超过."""
    pairs = sorted(set(pairs), key=lambda p: (-len(p[0]), p[0]))
    return "(?:" + "|".join(frag for _, frag in pairs) + ")" if pairs else "(?!)"


def _alt(words, **kw) -> str:
    return _alternation(_word_pairs(words, **kw))


def _word_pairs(words, *, fold_case: bool = True, left_edge: bool = False) -> list[tuple[str, str]]:
    """(word, regex) pairs for ``_alternation``; whole Latin words share one group with one edge
    check, which keeps the compiled patterns small (they are built once per process)."""
    words = set(words)
    latin = sorted((w for w in words if _is_latin(w[0]) and _is_latin(w[-1])), key=lambda w: (-len(w), w))
    pairs = [(w, _word(w, fold_case=fold_case, left_edge=left_edge)) for w in words if w not in latin]
    if latin:
        frag = "|".join(re.escape(w).replace("\\ ", " +") for w in latin)
        frag = f"{_NO_LATIN_BEFORE if left_edge else ''}(?:{frag}){_NO_LATIN_AFTER}"
        pairs.append((latin[0], f"(?i:{frag})" if fold_case else frag))
    return pairs


def _rev_alt(words) -> str:
    """The words spelt backwards, to match them at the start of a reversed window.

    Looking backwards from a number this way is one anchored match instead of a search.
    """
    frags = []
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        frag = re.escape(w[::-1]).replace("\\ ", " +") + (_NO_LATIN_AFTER if _is_latin(w[0]) else "")
        frags.append(frag)
    return "(?i:" + "|".join(frags) + ")" if frags else "(?!)"


def _last_char_class(words) -> re.Pattern[str] | None:
    """One character that can end one of ``words`` (their case folded as _rev_alt folds it) or be
    the blank allowed after it; None when not known."""
    first = first_char_class(_rev_alt(words), _SP.rstrip("?")) if words else None
    return re.compile(first) if first else None


def _match_before(pattern: re.Pattern[str], last_char: re.Pattern[str] | None, text: str, lo: int,
                  start: int) -> re.Match[str] | None:
    """``pattern`` (words spelt backwards) matched on text[lo:start] reversed, i.e. ending right
    before ``start``; not tried where the character there is none ``last_char`` allows."""
    if lo >= start or (last_char is not None and not last_char.match(text, start - 1)):
        return None
    return pattern.match(text[lo:start][::-1])


def _chars(chars) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


class _Engine:
    """Compiled regexes and lookup tables of one QuantityRules."""

    def __init__(self, rf: QuantityRules):
        r = {rule.id: rule for rule in rf.rules}
        self.num: NumberRule = r["quantity.number"]
        self.cn: CnNumeralRule = r["quantity.cn_numeral"]
        self.en: EnNumeralRule = r["quantity.en_numeral"]
        mult_rule: FactorRule = r["quantity.multiplier"]
        self.mult: dict[str, float] = {k.lower(): v for k, v in mult_rule.words.items()}
        self.mult_symbols = dict(mult_rule.symbols)
        self.frac: FractionRule = r["quantity.fraction"]
        self.tenths: TenthsRule = r["quantity.tenths"]
        pct: PercentRule = r["quantity.percent"]
        self.pct_units = {k.lower(): v for k, v in pct.units.items()}
        self.pct_prefixes = pct.prefixes
        money = [r["quantity.money_cn"], r["quantity.money_en"]]
        self.cur_after = {k.lower(): v for m in money for k, v in m.after.items()}
        self.cur_before = {k.lower(): v for m in money for k, v in m.before.items()}
        self.subunits = {k: v for m in money for k, v in m.subunits.items()}
        unit_cn: WordsRule = r["quantity.unit_cn"]
        unit_en: WordsRule = r["quantity.unit_en"]
        self.rng: RangeRule = r["quantity.range"]
        rng = self.rng
        self.per_rule: PerUnitRule = r["quantity.per_unit"]
        self.masked: MaskedRule = r["quantity.masked"]
        before: ComparatorRule = r["quantity.comparator_before"]
        after: ComparatorRule = r["quantity.comparator_after"]
        self.cmp_before = {k.lower(): v for k, v in before.words.items()}
        self.cmp_after = {k.lower(): v for k, v in after.words.items()}
        self.infix = after.infix
        self.wins_over_after = set(before.wins_over_after)
        self.year: BareYearRule = r["quantity.not_bare_year"]
        self.ratio_split = re.compile(_chars(r["quantity.ratio"].separators))
        self.group_marks = self.num.group_marks
        self.decimal_marks = self.num.decimal_marks
        self.not_before = re.compile(self.num.not_before)
        self.cn_not_units = set(self.cn.not_units)
        self.en_need_unit = {w.lower() for w in self.en.need_unit}
        self.en_compound = re.compile(self.en.not_before) if self.en.not_before else None
        self.periods = {k.lower(): v for k, v in self.per_rule.periods.items()}
        self.en_adverbs = {k.lower(): v for k, v in self.per_rule.en_adverbs.items()}

        dec, grp = _chars(self.decimal_marks), _chars(self.group_marks)
        ar_core = rf"(?:\d{{1,3}}(?:{grp}\d{{3}})+(?!\d)|\d+)(?:{dec}\d+)?"
        ar = rf"(?<!{self.num.not_after}){ar_core}"
        cn_digit = _chars(self.cn.digits)
        cn_all = _chars(list(self.cn.digits) + list(self.cn.powers))
        cn_start = _chars(list(self.cn.digits) + self.cn.start_powers)
        cn_point = f"(?:{_chars(self.cn.points)}{cn_digit}+)?" if self.cn.points else ""
        cn_after = f"(?<!{_chars(self.cn.not_after)})" if self.cn.not_after else ""
        cn_bare = f"{cn_start}{cn_all}*{cn_point}"
        cn = cn_after + cn_bare
        # fractions: "三分之一", "two thirds", "a quarter"
        ar_after = f"(?<!{self.num.not_after})"
        cn_frac = (f"{cn_after}(?P<fden>{ar_after}\\d+|{cn_start}{cn_all}*){_alt(self.frac.cn_marks)}"
                   f"(?P<fnum>\\d+(?:{dec}\\d+)?|{cn_bare})")
        en_numerators = list(self.en.words) + self.en.articles
        en_frac = (rf"{_NO_LATIN_BEFORE}(?P<efnum>{_alt(en_numerators)})(?:[ -]+)"
                   rf"(?P<efden>{_alt(self.frac.en_denominators)})")
        articles = (rf"{_NO_LATIN_BEFORE}{_alt(self.en.articles)}(?= +{_alt(list(self.en.scales) + list(self.mult))})"
                    if self.en.articles else "(?!)")
        en_words = _alt(list(self.en.words), left_edge=True)
        en_more = _alt(list(self.en.words) + list(self.en.scales))
        # "two hundred and five", not "two and three"
        en = rf"(?:{en_words}|{articles})(?:(?:[ -]|(?<=hundred|Hundred|HUNDRED) (?i:and) ){en_more})*"
        mc = _chars(self.masked.chars)
        mask = rf"(?<![A-Za-z]){mc}+(?:{dec}{mc}+)?(?![A-Za-z])"

        num = (f"(?:(?P<cnfrac>{cn_frac})|(?P<ar>{ar})|(?P<cn>{cn})|(?P<enfrac>{en_frac})|(?P<en>{en})"
               f"|(?P<mask>{mask}))")

        units = unit_cn.words + unit_en.words + list(pct.units) + [k for c in money for k in c.after]
        unit_pairs = (_word_pairs(units) + _word_pairs(unit_en.symbols, fold_case=False)
                      + [(w, re.escape(w) + f"(?!{nb})") for w, nb in self.tenths.words.items()])
        unit_alt = _alternation(unit_pairs)
        # "k"/"w" only glued to digits: "8k", "20w"
        mult_alt = _alternation(_word_pairs(self.mult)
                                + [(w, rf"(?<=\d){_word(w, fold_case=False)}") for w in self.mult_symbols])
        infix_alt = _alt(self.infix)
        per = self.per_rule
        seps = _alt(rng.separators)
        # "30万-50万", "3%-5%", "5k-20k"
        mid = _alternation(_word_pairs(list(self.mult) + [u for u in pct.units if len(u) == 1])
                           + [(w, rf"(?<=\d){_word(w, fold_case=False)}") for w in self.mult_symbols])
        range_part = (
            rf"(?:(?P<mid>{mid})?{_SP}(?P<sep>{seps}){_SP}(?:(?P<ar2>{ar_core})|(?P<cn2>{cn}))"
            + (rf"|(?P<dsep>{_alt(rng.damaged)})(?P<ar3>{ar_core})" if rng.damaged else "")
            + ")"
        )
        gap = f"(?:[ \t\u00a0\u3000]|(?<={mc})\n)?" if self.masked.unit_on_next_line else _SP
        # a unit ("家", "%", "yuan"), or a multiplier with an optional unit ("万", "万元", "million yuan")
        unit_part = (rf"(?P<unit>{unit_alt})"
                     rf"|(?P<mult>{mult_alt})(?P<infix2>{infix_alt})?(?:{_SP}(?P<unit2>{unit_alt}))?")
        # smaller coins after a whole yuan: "56元3角", "叁佰元伍角"
        coin = ""
        if self.subunits:
            digit1 = f"[0-9{''.join(self.cn.digits)}]"
            small = "".join(w for w, p in self.cn.powers.items() if p < 10000)  # 叁佰元伍角, not 3万元5角
            yuan = [w for w, c in self.cur_after.items() if c == "CNY" and len(w) == 1]
            after = [f"(?<=[0-9{''.join(self.cn.digits)}{small}]{_chars(yuan)})"]
            for i, w in enumerate(self.subunits):
                coin += rf"(?:(?:{'|'.join(after)})(?P<coin{i}>{digit1}){re.escape(w)})?"
                after.append(f"(?<={re.escape(w)})")
        # a rate: "元/户", "元/人/月", "元/平方米·年", "元/(平方米·年)", "元/年"
        period_alt = _alt(list(per.periods))
        per_word = f"(?:{mult_alt})??{unit_alt}"  # the unit alone first: 千瓦时, not 千 + 瓦
        joiner = _chars(per.joiners) if per.joiners else "(?!)"
        per_part = (rf"(?P<per>{_chars(per.separators)}(?:(?P<period1>{period_alt})"
                    rf"|(?P<lp>[(（])?(?P<perunit>{per_word})(?:{joiner}(?P<period2>{period_alt}))?(?(lp)[)）])))")
        # the same in English: "per household", "per person per month", "a year", "annually"
        en_per = ""
        if per.en_before:
            en_before = _alt(per.en_before, left_edge=True)
            en_units = _alt(per.en_units + unit_en.words)
            en_period = _alt([p for p in per.periods if p.isascii()])
            en_per = (rf"(?: +{en_before} +(?P<enper>{en_units}))?"
                      rf"(?: +{en_before} +(?P<enperiod>{en_period})"
                      + (rf"| +(?P<enadverb>{_alt(per.en_adverbs)})" if per.en_adverbs else "") + ")?")
        tail = (
            rf"(?:{_SP}(?P<infix>{infix_alt}))?"
            rf"(?:{gap}(?:{unit_part}))?"
            rf"{coin}"
            rf"(?:{per_part})?"
            rf"{en_per}"
            rf"(?:{_SP}(?P<post>{_alt(self.cmp_after)})(?!{_SP}\d))?"  # not "1000 and below 1500"
        )
        ratio_sep = _chars(r["quantity.ratio"].separators)
        ratio = rf"(?P<ratio>(?<!{self.num.not_after}){ar_core}(?:{ratio_sep}{ar_core})+(?!\d))"
        pct_prefix = f"(?P<pct>{_alt(self.pct_prefixes)})?"
        quantity = f"{pct_prefix}{num}(?:{range_part})?{tail}"
        quantity_norange = f"{pct_prefix}{num}{tail}"

        skips, befores, before_words, starts = [], [], [], set()
        for rule in rf.rules:
            if isinstance(rule, SkipRule):
                if rule.skip:
                    skips.append(f"(?:{rule.skip})")
                if rule.words:
                    skips.append(_alt(rule.words, fold_case=False) + _NO_LATIN_AFTER)
                    starts.update(w[0] for w in rule.words)
                if rule.before:
                    befores.append(f"(?:{rule.before})")
                before_words += rule.before_words
        skip = "|".join(skips) or "(?!)"
        # Where a number (or a skip) can start: one character class, so the search is fast;
        # English number words are found as whole words.
        starts.update(list(self.cn.digits) + self.cn.start_powers + list(self.masked.chars)
                      + [p[0] for p in self.pct_prefixes])
        starts = {c for c in starts if not c.isdigit()}
        en_first = list(self.en.words) + self.en.articles
        first = "".join(sorted({c for w in en_first for c in (w[0].lower(), w[0].upper())}))
        candidates = (rf"[\d{''.join(re.escape(c) for c in sorted(starts))}]"
                      rf"|{_NO_LATIN_BEFORE}(?=[{first}])(?:{en_words}|{_alt(self.en.articles, left_edge=True)})")
        # One search finds the next place where a number can start and the scanner matches there.
        self.scanner = re.compile(f"(?=(?:{candidates}))(?:(?P<skip>{skip})|{ratio}|(?P<q>{quantity}))")
        self.skip_before = re.compile(f"(?:{'|'.join(befores)})\\Z") if befores else None
        self._norange_pattern = f"(?P<q>{quantity_norange})"
        # Matched on the reversed text before a number: [space][currency][space][comparator].
        self.before = re.compile(
            rf"{_SP}(?:(?P<cur>{_rev_alt(self.cur_before)}){_SP})?(?P<cmp>{_rev_alt(self.cmp_before)})?")
        self.before_width = max(len(w) for w in list(self.cmp_before) + list(self.cur_before)) * 2 + 2
        self.skip_before_words = re.compile(f"{_SP}{_rev_alt(before_words)}") if before_words else None
        # The characters the words above can end with (or a blank): where the character before a
        # number is none of them, the backwards matches cannot find a word and are not tried.
        self.before_end = _last_char_class(list(self.cmp_before) + list(self.cur_before))
        self.skip_before_words_end = _last_char_class(before_words)
        # "每平方米", "每月" before a number, as far as per.before_reach within the clause
        self.per_before = None
        if per.before:
            self.per_before = re.compile(
                rf"{_alt(per.before)}{_SP}(?:(?P<period>{period_alt})|(?P<perunit>{per_word}))")
        self.tenths_words = dict(self.tenths.words)
        self.coin_groups = [f"coin{i}" for i in range(len(self.subunits))]
        self.per_words = tuple(per.before)
        self.range_closers = {k: re.compile(f"{_SP}{_alt(v)}") for k, v in rng.needs_after.items()}
        self.range_needs = {k.lower(): re.compile(rf"(?i:{_word(v)}) *\Z") for k, v in rng.needs_before.items()}
        self.range_refused = {k.lower(): re.compile(rf"(?i:{_word(v, left_edge=True)}) *\Z")
                              for k, v in rng.refused_after.items()}
        self.worded_separators = set(self.range_needs) | set(self.range_refused) | set(self.range_closers)

    @functools.cached_property
    def norange(self) -> re.Pattern[str]:
        """The scanner's quantity without a range ("5-3个": 5个 alone). Compiled when first needed:
        it is as large as the scanner and most documents never need it."""
        return re.compile(self._norange_pattern)

    # --- parsing pieces -----------------------------------------------------------------------

    def arabic(self, s: str) -> float:
        if s.isascii() and s.isdigit():  # most numbers: no group or decimal mark to read
            return float(s)
        for g in self.group_marks:
            s = s.replace(g, "")
        for d in self.decimal_marks:
            s = s.replace(d, ".")
        return float(s)

    def chinese(self, s: str) -> tuple[float, int] | None:
        """Value and largest power of a Chinese numeral; None if it is not a well-formed one.

        A last digit right after a power of a hundred or more stands for the next lower power, as
        people say it: 两千六百五 is 2650, 一万三 13000 (but 一百零五 is 105)."""
        digits, powers = self.cn.digits, self.cn.powers
        whole, fraction = s, None
        for p in self.cn.points:
            if p in s:
                whole, _, fraction = s.partition(p)
                break
        if not whole or (fraction is not None and not fraction):
            return None
        if fraction is not None and digits.get(whole) == 0:
            whole = ""  # 零点五
        total = section = 0
        digit: int | None = None
        last_small = 10**9
        top = 0
        prev_power, after_zero = True, False
        power_before = digit_after = 0  # the power right before the current / last digit
        for i, ch in enumerate(whole):
            if ch in digits:
                d = digits[ch]
                if d == 0:
                    if not prev_power or i == 0:
                        return None
                    power_before, after_zero = 0, True
                    continue
                if digit is not None:
                    return None
                digit, prev_power, digit_after, after_zero = d, False, power_before, False
                continue
            p = powers.get(ch)
            if p is None:
                return None
            top = max(top, p)
            prev_power, power_before = True, p
            if p >= 10000:
                if section + (digit or 0) == 0 and total == 0:
                    return None
                if p >= 100000000:
                    total = (total + section + (digit or 0)) * p
                else:
                    total += (section + (digit or 0)) * p
                section, digit, last_small = 0, None, 10**9
            else:
                if p >= last_small:
                    return None
                if digit is None and i > 0 and not after_zero:  # 一万零十二 says 十 for 一十
                    return None
                after_zero = False
                section += (digit if digit is not None else 1) * p
                digit, last_small = None, p
        last = digit or 0
        if digit is not None and digit_after >= 100:
            last = digit * digit_after // 10  # 两千六百五, 一万三
        value = float(total + section + last)
        if fraction is not None:
            if any(ch not in digits for ch in fraction):
                return None
            value += float("0." + "".join(str(digits[ch]) for ch in fraction))
        return value, top

    def english(self, s: str) -> float:
        total = 0
        words, articles = self.en.words, {a.lower() for a in self.en.articles}
        for w in re.split(r"[ -]+", s.lower()):
            if w in words:
                total += words[w]
            elif w in articles:
                total += 1
            elif w in self.en.scales:
                total = (total or 1) * self.en.scales[w]
        return float(total)

    def fraction(self, g: dict[str, str | None], text: str, end: int) -> float | None:
        """The value of "三分之一" or "two thirds"; None when the words are no fraction."""
        if g["cnfrac"] is not None:
            den, num = (self.arabic(x) if x[0].isdigit() else (self.chinese(x) or (None,))[0]
                        for x in (g["fden"], g["fnum"]))
            if not den or num is None:
                return None
            return num / den
        numerator, denominator = g["efnum"].lower(), g["efden"].lower()
        article = numerator in {a.lower() for a in self.en.articles}
        n = 1 if article else self.en.words[numerator]
        plural = denominator not in self.frac.en_denominators or denominator.endswith("s") \
            and denominator[:-1] in {d.lower() for d in self.frac.en_denominators}
        if (n == 1) == plural:
            return None  # "twenty-fifth", "one thirds": an ordinal, not a fraction
        if article and denominator not in {d.lower() for d in self.frac.article_alone} \
                and not re.match(r" +of(?![A-Za-z])", text[end:end + 4]):
            return None  # "a third party"
        den = {k.lower(): v for k, v in self.frac.en_denominators.items()}[denominator]
        return n / den

    # --- scanning -----------------------------------------------------------------------------

    def find(self, text: str) -> list[Quantity]:
        out: list[Quantity] = []
        pos, floor = 0, 0
        search, skip_before = self.scanner.search, self.skip_before
        while True:
            m = search(text, pos)
            if m is None:
                return out
            start = m.start()
            pos = max(m.end(), start + 1)
            if m.group("skip") is not None:
                continue
            if skip_before and skip_before.search(text, max(0, start - _BEFORE_WINDOW), start):
                continue
            if self.skip_before_words and _match_before(self.skip_before_words, self.skip_before_words_end,
                                                        text, max(0, start - 30), start):
                continue
            q = self.make(m, text, floor)
            if q is None and (m.group("sep") or m.group("dsep")):
                # "5-3个", "2022-10", "from 3 to 5": not a range; the first number alone may still be one
                m = self.norange.match(text, start)
                q = self.make(m, text, floor) if m else None
                pos = max(m.end(), start + 1) if m else pos
            if q is not None:
                out.append(q)
                floor = q.span[1]

    def prefix(self, text: str, start: int, floor: int) -> tuple[int, str | None, str | None]:
        """Comparator and currency words ending right before a number."""
        b = _match_before(self.before, self.before_end, text, max(floor, start - self.before_width), start)
        cmp_word, cur_word = (b.group("cmp"), b.group("cur")) if b else (None, None)
        if not (cmp_word or cur_word):
            return start, None, None
        cmp = self.cmp_before[_spaced(cmp_word[::-1])] if cmp_word else None
        cur = self.cur_before[cur_word[::-1].lower()] if cur_word else None
        return start - (b.end("cmp") if cmp_word else b.end("cur")), cmp, cur

    def per_words_before(self, text: str, begin: int, floor: int) -> tuple[str | None, str | None]:
        """(per, period) from "每平方米", "每人每月", "每台" before a number in its clause
        ("每台补助1万元"); at most ``before_reach`` characters are looked at. The words stay out
        of the quantity's span: they belong to the clause (a rule may read "每年" there)."""
        rule = self.per_rule
        lo = max(floor, begin - rule.before_reach)
        for w in self.per_words:  # most numbers: no such word near
            if text.find(w, lo, begin) >= 0:
                break
        else:
            return None, None
        window = text[lo:begin]
        cut = max(window.rfind(c) for c in rule.clause_marks)
        per = period = None
        limit = len(window)
        for _ in range(2):  # "每户每月"
            i = max(window.rfind(w, cut + 1, limit) for w in rule.before)
            if i < 0:
                break
            m = self.per_before.match(window, i, limit)
            if m is not None:
                if m.group("period"):
                    period = period or self.periods[m.group("period").lower()]
                else:
                    per = per or m.group("perunit")
            limit = i
        return per, period

    def make(self, m: re.Match[str], text: str, floor: int) -> Quantity | None:
        """The quantity of a scanner match, or None when the match is no quantity after all."""
        start, end = m.start(), m.end()
        if m.re is self.scanner and m.group("ratio"):
            begin, cmp_before, _ = self.prefix(text, start, floor)
            parts = [self.arabic(p) for p in self.ratio_split.split(m.group("ratio"))]
            return Quantity(kind="ratio", ratio_parts=parts, comparator=cmp_before or "=",
                            text=text[begin:end], span=(begin, end))
        g = m.groupdict()
        unit = g["unit"] or g["unit2"]
        values = self.values(g, unit, text, m)
        if values is None:
            return None
        value, value_max, mult, factor = values
        masked = g["mask"] is not None

        begin, cmp_before, cur = self.prefix(text, start, floor)
        sep = g.get("sep")
        if sep is not None and sep.lower() in self.worded_separators:
            sep = sep.lower()
            if sep in self.range_needs:  # "between 3 and 5"
                needed = self.range_needs[sep].search(text, max(floor, begin - 12), begin)
                if needed is None:
                    return None
                begin = needed.start()
            if sep in self.range_refused and self.range_refused[sep].search(text, max(floor, begin - 12), begin):
                return None  # "from 3 to 5": a change, not a range
            if sep in self.range_closers:  # "20和30之间"
                closer = self.range_closers[sep].match(text, end)
                if closer is None:
                    return None
                end = closer.end()
        kind = "number"
        if g["pct"]:
            unit_text, kind = self.pct_prefixes[g["pct"]], "percent"
        elif unit and unit in self.tenths_words:
            unit_text, kind, factor = "%", "percent", 1.0
        elif unit and not mult and unit.lower() in self.pct_units:
            unit_text, kind = self.pct_units[unit.lower()], "percent"
            factor = 1.0
        else:
            unit_text = _join(mult, unit)
            if g["per"]:
                unit_text = (unit_text or "") + g["per"]
            cur = self.cur_after.get(unit.lower()) if unit and unit.lower() in self.cur_after else cur
            kind = "money" if cur else "number"

        raw = g["ar"] or ""
        if raw.isdigit() and value_max is None and kind == "number" and value >= self.year.min:
            if (not unit_text and len(raw) == 4 and value <= self.year.max) or unit_text in self.year.units:
                return None  # a year: "in 2017", "到2025", "20222022年"
        if _is_latin(text[end - 1]) and end < len(text) and self.not_before.match(text[end]):
            return None  # runs on into a code: "5G", "9th"

        per = g["perunit"] or g["enper"]
        period = g["period1"] or g["period2"] or g["enperiod"]
        period = self.periods.get(period.lower()) if period else None
        if g["enadverb"]:
            period = self.en_adverbs[g["enadverb"].lower()]
        if self.per_before is not None and not (per and period):
            per_b, period_b = self.per_words_before(text, begin, floor)
            per, period = per or per_b, period or period_b

        number = None if masked else value * factor
        post, infix = g["post"], g["infix"] or g["infix2"]
        cmp_after = self.cmp_after[post.lower()] if post else self.infix.get(infix)
        if cmp_before in self.wins_over_after:
            comparator = cmp_before
        else:
            comparator = cmp_after or cmp_before or "="
        return Quantity(
            value=value, value_max=value_max, unit=unit_text, number=number, kind=kind,
            amount=number if kind == "money" else None, currency=cur if kind == "money" else None,
            per=per, period=period, comparator=comparator, masked=masked, text=text[begin:end],
            span=(begin, end),
        )

    def values(self, g: dict[str, str | None], unit: str | None, text: str, m: re.Match[str]):
        """(value, value_max, multiplier word, factor), or None if the numerals are no quantity."""
        mult = g["mult"]
        factor = (self.mult_symbols.get(mult) or self.mult[mult.lower()]) if mult else 1.0
        has_unit = bool(unit or g["pct"])
        ranged = bool(g.get("sep") or g.get("dsep"))
        tenths = unit in self.tenths_words if unit else False
        value = value_max = None
        if g["cnfrac"] is not None or g["enfrac"] is not None:
            if ranged:
                return None
            value = self.fraction(g, text, m.end("cnfrac") if g["cnfrac"] else m.end("enfrac"))
            return None if value is None else (value, None, mult, factor)
        if g["ar"] is not None:
            value = self.arabic(g["ar"])
        elif g["cn"] is not None:
            cn = g["cn"]
            if unit in self.cn_not_units:
                return None
            parsed = self.chinese(cn)
            if tenths and unit in self.tenths.two_digits and len(cn) == 2 and all(c in self.cn.digits for c in cn):
                parsed = (float(self.cn.digits[cn[0]] * 10 + self.cn.digits[cn[1]]), 10)  # 九五折
            elif parsed is None and self.cn.neighbour_ranges and not ranged:
                return self.neighbours(cn, has_unit or bool(mult), mult, factor, unit)
            if parsed is None:
                return None
            value, top = parsed
            money = bool(unit) and unit.lower() in self.cur_after
            if not (ranged or tenths or money or g["pct"]) and cn in self.cn.not_alone:
                return None  # "一批", "一个中心": an article; "二类", "二期": an ordinal
            if not (has_unit or mult or ranged) and top < self.cn.bare_min_power \
                    and not any(p in cn for p in self.cn.points) \
                    and text[m.start("cn") - 1:m.start("cn")] not in self.cn.bare_after:
                return None  # "十大", "三农": a numeral inside a word; but 十五点七, 前三
        elif g["en"] is not None:
            if not (has_unit or mult):
                if g["en"].lower() in self.en_need_unit:
                    return None  # "one of"
                if self.en_compound and self.en_compound.match(text, m.end("en")):
                    return None  # "three-year", "one-off"
            value = self.english(g["en"])
        elif not has_unit:
            return None  # "创新型XX建设", "x万里学院": a masked name, not a number
        else:
            return None, None, mult, factor

        if ranged:  # both ends in the same script; a damaged separator ("3?4") only in Arabic
            if g["ar"] is not None:
                value_max = self.arabic(g["ar2"] or g["ar3"]) if (g["ar2"] or g["ar3"]) else None
            elif g["cn"] is not None and g["cn2"] is not None:
                parsed = self.chinese(g["cn2"])
                value_max = parsed[0] if parsed else None
            if value_max is None:
                return None

        # 三十万元 -> 30 万元, 三十至五十万人 -> 30-50 万人: a trailing 万/亿 before a unit is the unit's
        last = g["cn2"] if ranged and g["cn2"] else g["cn"]
        if last and unit and not mult and len(last) > 1 and last[-1] in self.cn.split_powers:
            mult = last[-1]
            factor = float(self.cn.powers[mult])
            if value_max is not None and g["cn2"]:
                value_max /= factor
            if g["cn"] and g["cn"].endswith(mult):
                value /= factor
        if value_max is not None and value_max <= value:
            return None  # "5-3个", "2022-10": not a range
        if tenths:  # 八成 -> 80 %
            value = self.per_cent_of_tenths(value, unit)
            value_max = self.per_cent_of_tenths(value_max, unit) if value_max is not None else None
            if value is None or (ranged and value_max is None):
                return None
        elif any(g[c] for c in self.coin_groups):
            value = round(value + self.coins(g), 6)  # 56元3角
        return value, value_max, mult, factor

    def per_cent_of_tenths(self, v: float, unit: str) -> float | None:
        """八成 -> 80, 7.5折 -> 75, 95折 -> 95 (十成 is all, 十折 nothing)."""
        if v < 10 or (v == 10 and unit not in self.tenths.two_digits):
            return round(v * 10, 6)
        if unit in self.tenths.two_digits and 10 < v < 100 and v == int(v):
            return v
        return None

    def coins(self, g: dict[str, str | None]) -> float:
        """角 and 分 after whole yuan, in yuan."""
        total = 0.0
        for i, worth in enumerate(self.subunits.values()):
            d = g.get(f"coin{i}")
            if d is not None:
                total += (int(d) if d.isdigit() else self.cn.digits[d]) * worth
        return total

    def neighbours(self, cn: str, counted: bool, mult: str | None, factor: float, unit: str | None):
        """两三个, 三五家, 二三十人: two neighbouring digits before the rest make a range."""
        digits = self.cn.digits
        if len(cn) < 2 or cn[0] not in digits or cn[1] not in digits:
            return None
        a, b = digits[cn[0]], digits[cn[1]]
        if not (b == a + 1 or cn[:2] in self.cn.range_pairs) or a == 0:
            return None
        lo, hi = self.chinese(cn[0] + cn[2:]), self.chinese(cn[1] + cn[2:])
        if lo is None or hi is None or not (counted or lo[1] >= self.cn.bare_min_power):
            return None
        value, value_max = lo[0], hi[0]
        if unit and not mult and len(cn) > 2 and cn[-1] in self.cn.split_powers:  # 三五万元 -> 3-5 万元
            mult = cn[-1]
            factor = float(self.cn.powers[mult])
            value, value_max = value / factor, value_max / factor
        return value, value_max, mult, factor


def _spaced(w: str) -> str:
    return " ".join(w.lower().split())


def _join(a: str | None, b: str | None) -> str | None:
    """"million" + "yuan" -> "million yuan"; "万" + "人" -> "万人"."""
    if not a or not b:
        return a or b
    sep = " " if _is_latin(a[-1]) and _is_latin(b[0]) else ""
    return a + sep + b


# --- API --------------------------------------------------------------------------------------

def find_quantities(text: str, rs=None) -> list[Quantity]:
    """Every quantity in ``text``, left to right, with ``text[q.span[0]:q.span[1]] == q.text``.

    >>> [(q.value, q.unit, q.comparator) for q in find_quantities("增长15%以上,提高12个百分点")]
    [(15.0, '%', '+'), (12.0, '个百分点', '+')]
    """
    return rules(rs).engine.find(text)


def parse_quantity(s: str, rs=None) -> Quantity | None:
    """The first quantity in ``s``, or None.

    >>> parse_quantity("up to 2 million yuan").amount
    2000000.0
    """
    found = find_quantities(s, rs)
    return found[0] if found else None
