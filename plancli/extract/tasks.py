"""Tasks: the numbered work items of a plan's task sections, with their responsible units.

A plan states its work as numbered items under a section such as 重点任务 or 主要工作. The
tasks are the leaves of that subtree: where (一) items have numbered children, the children are
the tasks; where they have none, the (一) items are. Each task carries the units its text names
as responsible (see ``units``) and, when asked for (``keywords=True``; it loads jieba), a few
TF-IDF keywords for search.
"""
from __future__ import annotations

from plancli import rules as rules_mod
from plancli.extract import units as units_mod
from plancli.keywords import keywords
from plancli.models import Responsible, Task


class TaskRule(rules_mod.Rule):
    section_title: rules_mod.Pattern
    min_body: int = 1


class TaskRules(rules_mod.RuleFile):
    rules: list[TaskRule]
    #: How many keywords to attach to each task (0 turns keyword extraction off).
    keywords: int = 5


def rules(rs: "rules_mod.RuleSet | None" = None) -> TaskRules:
    """The tasks rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("tasks")  # type: ignore[return-value]


def extract(ctx) -> list[Task]:
    tr = rules(ctx.rules)
    ur = units_mod.rules(ctx.rules)
    sections = ctx.structure.sections
    children: dict[str, list] = {}
    for s in sections:
        if s.parent:
            children.setdefault(s.parent, []).append(s)
    tasks: list[Task] = []
    for rule in tr.rules:
        title_pat = rules_mod.compiled(rule.section_title)
        roots = [s for s in sections if s.kind == "heading" and title_pat.search(s.title)]
        seen: set[str] = set()
        for root in roots:
            stack = list(children.get(root.id, []))
            while stack:
                s = stack.pop(0)
                if s.id in seen:
                    continue
                seen.add(s.id)
                kids = children.get(s.id, [])
                if kids:
                    stack = kids + stack
                    continue
                siblings = children.get(s.parent, [])
                if any(children.get(x.id) for x in siblings) and _body_length(ctx.text, s) < rule.min_body:
                    continue
                tasks.append(_task(ctx, s, rule, tr, ur))
    tasks.sort(key=lambda t: t.span[0])
    for i, t in enumerate(tasks, 1):
        t.id = f"k{i}"
    return tasks


def _body_length(text: str, section) -> int:
    """Characters of a section after its marker and title, punctuation aside."""
    body = text[section.span[0]:section.span[1]]
    rest = body.strip()[len(section.marker or ""):].strip()[len(section.title):]
    return len(rest.strip(" 。.;;:,,\n"))


def _task(ctx, section, rule: TaskRule, tr: TaskRules, ur: units_mod.UnitRules) -> Task:
    start, end = section.span
    while end > start and ctx.text[end - 1].isspace():
        end -= 1
    found = units_mod.find_responsibilities(ctx.text, start, end, ur)
    names: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    for r in found:
        names += [u for u in r.units if u not in names]
        lead += [u for u in r.lead if u not in lead]
        support += [u for u in r.support if u not in support]
    text = ctx.text[start:end]
    return Task(id="", marker=section.marker, title=section.title, section=section.id, text=text,
                span=(start, end), rule=rule.id, units=names,
                responsible=Responsible(lead=lead, support=support),
                keywords=keywords(text, tr.keywords) if ctx.keywords else [])
