"""Load and validate the data files in ``rules/``.

Rules are data, never code: every file is YAML read with ``yaml.safe_load`` and validated by a
Pydantic model that rejects unknown keys. Each concern (boilerplate, headings, targets …) owns
the model of its own file, next to the code that uses it; this module only does the shared
mechanics: finding the folder, parsing, turning validation errors into messages that name the
file, the line and the rule id, compiling regexes once per process, and linting them for
catastrophic backtracking.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from plancli import regex_prefilter

#: Rule files the engine knows, and the model that validates each (``module:Class``).
RULE_FILES: dict[str, str] = {
    "boilerplate": "plancli.normalize.boilerplate:BoilerplateRules",
    "pinyin": "plancli.normalize.pinyin:PinyinRules",
    "mojibake": "plancli.normalize.mojibake:MojibakeRules",
    "headings": "plancli.segment:HeadingRules",
    "metadata": "plancli.extract.metadata:MetadataRules",
    "quantities": "plancli.quantities:QuantityRules",
    "targets": "plancli.extract.targets:TargetRules",
    "indicators": "plancli.extract.indicators:IndicatorRules",
    "subsidies": "plancli.extract.subsidies:SubsidyRules",
    "tasks": "plancli.extract.tasks:TaskRules",
    "units": "plancli.extract.units:UnitRules",
}

#: The package that carries the built-in rules: the top-level ``rules/`` folder, installed as
#: ``plancli.builtin_rules`` (see pyproject.toml), so a wheel, pipx or an editable install all
#: read the same files through importlib.resources.
BUILTIN_PACKAGE = "plancli.builtin_rules"


@functools.lru_cache(maxsize=1)
def builtin_dir() -> Path:
    """The folder of the built-in rules files."""
    try:
        from importlib.resources import files

        return Path(str(files(BUILTIN_PACKAGE)))
    except ModuleNotFoundError:  # run from a source tree that was never installed
        return Path(__file__).resolve().parent.parent / "rules"


class RulesError(ValueError):
    """A rules file that cannot be used; the message names file, line and rule id."""

    def __init__(self, path: Path, message: str, line: int | None = None, rule_id: str | None = None):
        self.path, self.line, self.rule_id = path, line, rule_id
        where = f"{path}:{line}" if line else str(path)
        who = f" rule {rule_id}:" if rule_id else ""
        super().__init__(f"{where}:{who} {message}")


# --- regex patterns ---------------------------------------------------------------------------

# A group that itself repeats something and is then repeated again: (a+)+, (\d*)*, (x+|y)+ …
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


def _short(pattern: str, limit: int = 60) -> str:
    return repr(pattern if len(pattern) <= limit else pattern[: limit - 1] + "…")


def lint_pattern(pattern: str) -> str:
    """Compile ``pattern`` and refuse shapes that backtrack catastrophically."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {_short(pattern)}: {exc}") from None
    if _NESTED_QUANTIFIER.search(pattern) or _nested_repeat(pattern):
        raise ValueError(f"regex {_short(pattern)} nests quantifiers (catastrophic backtracking risk)")
    return pattern


# The text check above cannot see through inner groups or character classes holding brackets:
# ((a+))+, ((\d+),?)+, ([()]+)+. This one walks the parsed pattern: a repeat whose body holds
# another variable-length repeat is refused unless every alternative of the body has a required
# character the inner repeats cannot match, which fixes where each round ends (\d+(?:\+\d+)+).

def _nested_repeat(pattern: str) -> bool:
    """Reads Python's private parser: any surprise there (another Python, a changed tree) means
    no verdict from this check; the text check, and for user rules the timed check, remain."""
    try:
        from re import _constants as C, _parser as P  # the parser behind re.compile

        return bool(_has_nested(P.parse(pattern), C))
    except Exception:
        return False


def _subsequences(op, av, C) -> list:
    if op is C.SUBPATTERN:
        return [av[-1]]
    if op is C.BRANCH:
        return list(av[1])
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [av[1]]
    if op is C.ATOMIC_GROUP:
        return [av]
    if op is C.GROUPREF_EXISTS:
        return [av[1]] + ([av[2]] if av[2] is not None else [])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        return [av[2]]
    return []


def _has_nested(seq, C) -> bool:
    for op, av in seq:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[1] > 1:
            body = av[2]
            if any(not _delimited(alt, C) for alt in _alternatives(body, C)):
                return True
        if any(_has_nested(sub, C) for sub in _subsequences(op, av, C)):
            return True
    return False


def _alternatives(seq, C) -> list[list]:
    """The body as alternatives: (x+|y) is two, x+y is one."""
    items = list(seq)
    while len(items) == 1 and items[0][0] is C.SUBPATTERN:
        items = list(items[0][1][-1])
    if len(items) == 1 and items[0][0] is C.BRANCH:
        return [list(b) for b in items[0][1][1]]
    return [items]


def _repeated_atoms(seq, C, inside: bool = False) -> list:
    """Character atoms that a variable-length repeat within ``seq`` can consume."""
    atoms = []
    for op, av in seq:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            atoms += _repeated_atoms(av[2], C, inside or av[0] != av[1])
        elif op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.GROUPREF):
            if inside:
                atoms.append((op, av))
        else:
            for sub in _subsequences(op, av, C):
                atoms += _repeated_atoms(sub, C, inside)
    return atoms


def _required_chars(seq, C) -> list[set[str]]:
    """Character sets of atoms every match of ``seq`` must contain (small literal sets only)."""
    found = []
    for op, av in seq:
        if op is C.LITERAL:
            found.append({chr(av)})
        elif op is C.IN and all(o in (C.LITERAL, C.RANGE) for o, _ in av):
            chars: set[str] = set()
            for o, a in av:
                chars.update([chr(a)] if o is C.LITERAL else map(chr, range(a[0], min(a[1], a[0] + 512) + 1)))
            found.append(chars)
        elif op is C.SUBPATTERN:
            found += _required_chars(av[-1], C)
    return found


def _delimited(alt: list, C) -> bool:
    atoms = _repeated_atoms(alt, C)
    if not atoms:
        return True
    for chars in _required_chars(alt, C):
        variants = {v for c in chars for v in (c, c.lower(), c.upper())}
        if not any(_matches(atom, c, C) for atom in atoms for c in variants):
            return True
    return False


_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _matches(atom, ch: str, C) -> bool:
    """May ``atom`` match ``ch``? (True when unsure.)"""
    op, av = atom
    if op is C.LITERAL:
        return chr(av) == ch
    if op is C.NOT_LITERAL:
        return chr(av) != ch
    if op is not C.IN:
        return True  # ANY, a back reference
    negate, hit = False, False
    for o, a in av:
        if o is C.NEGATE:
            negate = True
        elif o is C.LITERAL:
            hit |= chr(a) == ch
        elif o is C.RANGE:
            hit |= a[0] <= ord(ch) <= a[1]
        elif o is C.CATEGORY:
            cat = _CATEGORIES.get(str(a))
            hit |= cat is None or re.fullmatch(cat, ch) is not None
        else:
            return True
    return hit != negate


def _checked_pattern(pattern: str, info: ValidationInfo) -> str:
    """Lint every pattern; those of a user's rules file are also tried on adversarial text
    (``plancli.regex_check``): judged by what they do, not only by their shape."""
    lint_pattern(pattern)
    if info.context and info.context.get("timed"):
        from plancli import regex_check

        probe = regex_check.too_slow(pattern)
        if probe is not None:
            raise ValueError(f"regex {_short(pattern)} takes too long on text made of its own pieces "
                             f"({_short(probe, 30)}): catastrophic backtracking; make sure its alternatives "
                             "and repeats cannot match the same text in several ways")
    return pattern


#: A regex field in a rules model: validated and linted at load (and timed, for user rules).
Pattern = Annotated[str, AfterValidator(_checked_pattern)]


@functools.lru_cache(maxsize=4096)
def compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile once per process (``re``'s own cache is small and shared), with a guard on the
    pattern's first characters where that lets ``re`` skip positions (see regex_prefilter)."""
    return re.compile(regex_prefilter.guard(pattern, flags), flags)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


@functools.lru_cache(maxsize=1024)
def any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex matching where any of ``patterns`` matches: one scan instead of one per rule.

    Group names are dropped (two rules may use the same name); None when there is no pattern.
    """
    if not patterns:
        return None
    return compiled("|".join(f"(?:{_NAMED_GROUP.sub('(?:', p)})" for p in patterns))


def found(pattern: re.Pattern[str] | None, text: str) -> bool:
    """Whether ``pattern`` (an ``any_of`` result: None when no rule has a pattern) finds a match
    in ``text``."""
    return pattern is not None and pattern.search(text) is not None


# --- models -----------------------------------------------------------------------------------


class Strict(BaseModel):
    """Base for every rules model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    """What every rule has: a stable id (``kind.name``) and a one-line description."""

    id: str
    description: str


class RuleFile(Strict):
    """A rules file: a description and its rules (subclasses narrow the rule type)."""

    description: str
    rules: list[Rule] = []

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


M = TypeVar("M", bound=RuleFile)


# --- loading ----------------------------------------------------------------------------------


def _nodes(text: str) -> yaml.Node | None:
    """The YAML node tree, parsed only to point an error message at a line."""
    return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a validation error location through the YAML node tree to a line number."""
    node, line = root, None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


#: What a value of the wrong type should have been, by pydantic's error type.
_EXPECTED = {
    "string_type": "text", "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "tuple_type": "a list",
    "set_type": "a list", "frozen_set_type": "a list",
}


def plain_message(err: dict, rule_id: str | None = None) -> str:
    """A pydantic validation error in the words of a rules file: which key, and what is wrong
    ("rules[3]: 'id' is missing"), not pydantic's "rules.3.id: Field required". With the
    ``rule_id`` that the message names anyway, the path starts inside that rule."""
    loc = [p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))]
    if rule_id and len(loc) > 2 and loc[0] == "rules" and isinstance(loc[1], int):
        loc = loc[2:]
        if len(loc) > 1 and loc[0] == rule_id:  # the tag of a union of rule kinds
            loc = loc[1:]

    def path(parts) -> str:
        out = ""
        for part in parts:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out

    if loc and isinstance(loc[-1], str):  # a key: "rules[3]: 'id' is missing"
        prefix, what = (f"{path(loc[:-1])}: " if len(loc) > 1 else ""), f"'{loc[-1]}'"
    else:  # an item of a list: "rules[0] should be a mapping"
        prefix, what = "", path(loc) or "the file"
    kind = err.get("type", "")
    if kind == "missing":
        return f"{prefix}{what} is missing"
    if kind == "extra_forbidden":
        return f"{prefix}unknown key {what}"
    if kind in _EXPECTED:
        return f"{prefix}{what} should be {_EXPECTED[kind]}"
    if kind == "literal_error":
        return f"{prefix}{what} should be one of {err.get('ctx', {}).get('expected', '')}"
    message = str(err.get("msg", "is not valid")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{prefix}{what}: {message.replace('Input should be', 'should be')}"


def _rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            return data["rules"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return None


def _rule_id_before(text: str, line: int | None) -> str | None:
    """The id of the rule a broken line belongs to: the last ``id:`` at or above it."""
    if not line:
        return None
    for raw in reversed(text.split("\n")[:line]):
        m = re.match(r"\s*(?:-\s*)?id\s*:\s*['\"]?([^'\"\s#]+)", raw)
        if m:
            return m.group(1)
        if re.match(r"\S", raw):  # a top-level key: not inside a rule
            return None
    return None


def parse_file(path: Path, model: type[M], timed: bool = False) -> M:
    """Read and validate one rules file, or raise :class:`RulesError`; ``timed``: also try each
    pattern on adversarial text (for rules files that are not the built-in, tested ones)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise RulesError(path, f"not UTF-8 (byte {exc.object[exc.start]:#04x}); save rules files as UTF-8",
                         line=line) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RulesError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}", line=line,
                         rule_id=_rule_id_before(text, line)) from None
    if not isinstance(data, dict):
        raise RulesError(path, "expected a mapping with 'description' and 'rules'", line=1)
    try:
        parsed = model.model_validate(data, context={"timed": timed})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        rule_id = _rule_id_at(data, loc)
        raise RulesError(path, plain_message(err, rule_id), line=_line_of(_nodes(text), loc),
                         rule_id=rule_id) from None
    seen: set[str] = set()
    for i, rule in enumerate(parsed.rules):
        if rule.id in seen:
            raise RulesError(path, "duplicate rule id", line=_line_of(_nodes(text), ("rules", i)), rule_id=rule.id)
        seen.add(rule.id)
    return parsed


def model_for(name: str) -> type[RuleFile]:
    module, _, cls = RULE_FILES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


class RuleSet:
    """The rules of one run: every rules file, parsed and validated once, carried with the text.

    ``folder`` is a user's rules folder (``--rules`` / ``$PLANCLI_RULES``); files it lacks come
    from the built-in rules. Files are parsed when first asked for, so a run that never needs
    the mojibake rules never reads them; :meth:`check` reads them all (to fail early).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None):
        self.folder = Path(folder).resolve() if folder else None
        self.paths: dict[str, Path] = {}
        self._stamps = self._stat_all()
        self._files: dict[str, RuleFile] = {}

    def _locate(self, name: str) -> Path:
        own = self.folder / f"{name}.yaml" if self.folder else None
        return own if own is not None and own.exists() else builtin_dir() / f"{name}.yaml"

    def _stat_all(self) -> tuple[tuple[Path, int, int], ...]:
        """Locate every file (the user's folder first) and stat it; fills ``paths`` when empty."""
        stamps = []
        for name in RULE_FILES:
            path = self._locate(name)
            try:
                st = path.stat()
            except OSError:
                raise RulesError(path, "rules file not found") from None
            stamps.append((path, st.st_mtime_ns, st.st_size))
            self.paths.setdefault(name, path)
        return tuple(stamps)

    def get(self, name: str) -> RuleFile:
        """The validated rules file ``name`` (one of ``RULE_FILES``)."""
        rf = self._files.get(name)
        if rf is None:
            path = self.paths[name]
            timed = _time_user_patterns and path.parent != builtin_dir()
            rf = self._files[name] = parse_file(path, model_for(name), timed=timed)
        return rf

    def check(self) -> dict[str, RuleFile]:
        """Every rules file, validated: raises :class:`RulesError` on the first broken one."""
        return {name: self.get(name) for name in RULE_FILES}

    @functools.cached_property
    def fingerprint(self) -> str:
        """A short digest of the rules files in use, recorded in every document
        (``generator.rules``) so that batch resume can tell outputs made with other rules. An
        exact copy of the built-in rules has the built-in digest."""
        digest = hashlib.sha256()
        for name in sorted(self.paths):
            data = self.paths[name].read_bytes()
            digest.update(f"{name}.yaml\0{len(data)}\0".encode() + data)
        return digest.hexdigest()[:16]

    @property
    def where(self) -> str:
        """The folder named in messages: the user's, or the built-in one."""
        return str(self.folder or builtin_dir())

    def is_current(self) -> bool:
        """Whether no file changed, appeared or went on disk since this set was made."""
        try:
            return self._stat_all() == self._stamps
        except RulesError:
            return False


#: Whether patterns of user rules files are timed at load (see :func:`patterns_already_timed`).
_time_user_patterns = True


def patterns_already_timed() -> None:
    """This process uses rules another one has already checked (a batch worker: the main process
    validated them): skip the timed check, which costs up to a second for a whole rules folder."""
    global _time_user_patterns
    _time_user_patterns = False


_sets: dict[Path | None, RuleSet] = {}


def ruleset(rules: "RuleSet | str | os.PathLike[str] | None" = None) -> RuleSet:
    """The rules to use: ``rules`` itself if it is a RuleSet, else the set of that folder (or of
    ``$PLANCLI_RULES``, else the built-in one). Sets are kept per folder and made again when a
    file changes, so a long-lived process (a notebook, a test run) sees edited rules; pipeline
    entry points call this once per document, never per sentence."""
    if isinstance(rules, RuleSet):
        return rules
    chosen = rules or os.environ.get("PLANCLI_RULES") or None
    key = Path(chosen).resolve() if chosen else None
    rs = _sets.get(key)
    if rs is None or not rs.is_current():
        rs = _sets[key] = RuleSet(key)
    return rs
