"""Tasks: the numbered work items of a plan, with their responsible units.

A plan states its work as numbered items, at the leaves of its outline: where (一) items have
numbered children, the children are the tasks; where they have none, the (一) items are. Which
chapters hold the work is the outline's business (see ``outline``): a task-section title
(重点任务, 主要任务 …), an imperative chapter heading in a plan (加快推进…), every chapter of a
division-of-responsibility plan, or — whatever the chapter — items that name their own
responsible units. Measures and regulations (若干措施, 第N条) and notices hold no tasks.
Points enumerated inside a paragraph (一是…二是…) belong to their item; they are the tasks only
where a work chapter has nothing else. Each task carries the units its text names (see
``units``), with the document's conventions applied ("列第一位者为牵头单位", "以下均需…落实").
"""
from __future__ import annotations

import re

import bisect
from typing import Literal

from plancli import rules as rules_mod
from plancli.extract import outline
from plancli.extract import units as units_mod
from plancli.keywords import keywords
from plancli.models import Responsible, Task


class TaskRule(rules_mod.Rule):
    #: named_section: leaves under a task-section title; work_chapter: leaves of an imperative
    #: chapter of a plan; division_item: leaves of a division-of-responsibility plan;
    #: with_units: leaves (and their sibling items) that name their own responsible units.
    kind: Literal["named_section", "work_chapter", "division_item", "with_units"] = "named_section"
    section_title: rules_mod.Pattern | None = None
    #: A heading with less body than this whose siblings have children is a cut-off page.
    min_body: int = 1


class TaskRules(rules_mod.RuleFile):
    rules: list[TaskRule]
    #: How many keywords to attach to each task (0 turns keyword extraction off).
    keywords: int = 5
    #: Chapter titles of front matter, safeguards and reviews of the past (see ``outline``).
    front_sections: rules_mod.Pattern
    back_sections: rules_mod.Pattern
    background_sections: rules_mod.Pattern
    #: An imperative chapter heading ("加快推进…", "着力提升…"): the work chapters of a plan.
    action_heading: rules_mod.Pattern
    #: Document kinds (``Document.kind``) that hold no tasks.
    no_task_kinds: list[str] = ["measures", "notice", "bulletin"]
    #: Heading families whose sections are never tasks: provisions (第N条), attachments.
    article_families: list[str] = ["cn_article"]

    def of_kind(self, kind: str) -> TaskRule | None:
        return next((r for r in self.rules if r.kind == kind), None)


def rules(rs: "rules_mod.RuleSet | None" = None) -> TaskRules:
    """The tasks rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("tasks")  # type: ignore[return-value]


def extract(ctx) -> list[Task]:
    tr = rules(ctx.rules)
    if ctx.kind in tr.no_task_kinds:
        return []
    ur = units_mod.rules(ctx.rules)
    sections = ctx.structure.sections
    roles = outline.section_roles(ctx.structure, ctx.kind, tr)
    headings: dict[str | None, list] = {}  # parent id -> heading children
    enumerations: dict[str, list] = {}
    for s in sections:
        if s.kind == "enumeration":
            enumerations.setdefault(s.parent or "", []).append(s)
        elif s.kind == "heading":
            headings.setdefault(s.parent, []).append(s)
    lists = units_mod.find_responsibilities(ctx.text, 0, len(ctx.text), ur, units_mod.LABELLED)
    conventions = units_mod.conventions(ctx.text, ur)
    list_ends = sorted(r.span[1] for r in lists)
    # per parent, worked out once (a flat list may hold thousands of items): whether some item
    # has children of its own, and whether some leaf item is closed by its own list of units
    grouped = {p: any(headings.get(x.id) for x in kids) for p, kids in headings.items()}
    listed = {p: any(not headings.get(x.id) and _closed_by_a_list(ctx.text, x, list_ends) for x in kids)
              for p, kids in headings.items()}
    by_id = {s.id: s for s in sections}
    chosen: list[tuple] = []  # (section, rule)
    for s in sections:
        if s.kind != "heading" or headings.get(s.id) or s.marker is None:
            continue  # not a leaf item
        if s.family in tr.article_families or _bare_task_heading(s, tr):
            continue  # a provision, an attachment, or a "重点任务" heading with no items under it
        rule = _rule_for(s, roles, tr, ctx.kind, listed)
        if rule is None:
            continue
        if grouped.get(s.parent) and _body_length(ctx.text, s) < rule.min_body:
            continue
        parent = by_id.get(s.parent) if s.parent else None
        chapter_level = parent is None or parent.kind == "part" or roles[s.id][1] and _decides(s, tr)
        if chapter_level and enumerations.get(s.id):
            chosen += [(e, rule) for e in enumerations[s.id]]  # the chapter lists its work as 一是…
        else:
            chosen.append((s, rule))
    list_starts = [r.span[0] for r in lists]  # lists come sorted by position
    tasks = [_task(ctx, s, rule, tr, ur, lists, list_starts, conventions) for s, rule in chosen]
    tasks.sort(key=lambda t: t.span[0])
    for i, t in enumerate(tasks, 1):
        t.id = f"k{i}"
    return tasks


def _rule_for(s, roles, tr: TaskRules, kind, listed) -> TaskRule | None:
    """Which task rule makes the leaf ``s`` a task, if any."""
    role, named = roles[s.id]
    if role == "work":
        if named:
            return tr.of_kind("named_section")
        return tr.of_kind("division_item") if kind in outline.DIVISION_KINDS else tr.of_kind("work_chapter")
    # items that name their own responsible units are work items; so are their sibling items
    # (a list cut short by the page, an item whose units a convention gives)
    if role == "other" and listed.get(s.parent):
        return tr.of_kind("with_units")
    return None


#: How near the end of an item its own responsibility list stands ("…。(A牵头,B配合)").
LIST_AT_END = 80


def _closed_by_a_list(text: str, section, list_ends: list[int]) -> bool:
    """Whether a responsibility list closes the section's text, as one closes a work item."""
    start, end = section.span
    while end > start and text[end - 1].isspace():
        end -= 1
    i = bisect.bisect_left(list_ends, max(start, end - LIST_AT_END))
    return i < len(list_ends) and list_ends[i] <= end + 1


def _decides(section, tr: TaskRules) -> bool:
    """Whether the section's own title is a task-section title (重点任务 …)."""
    return any(r.section_title and rules_mod.compiled(r.section_title).search(section.title) for r in tr.rules)


#: What a bare task-section heading may hold besides its name ("2024年重点工作", "重点任务及分工").
_HEADING_FILLER = re.compile(r"[\d\s年度及和与、,,.。:：()（）]+")


def _bare_task_heading(section, tr: TaskRules) -> bool:
    """Whether a leaf's title is only a task-section name ("重点任务", "2024年重点工作"), not an
    item of work that happens to contain one ("推进第三批重点工作")."""
    rest = section.title
    for r in tr.rules:
        if r.section_title:
            rest = rules_mod.compiled(r.section_title).sub("", rest)
    if rest == section.title:
        return False
    return len(_HEADING_FILLER.sub("", rest)) <= 2


def _body_length(text: str, section) -> int:
    """Characters of a section after its marker and title, punctuation aside."""
    body = text[section.span[0]:section.span[1]]
    rest = body.strip()[len(section.marker or ""):].strip()[len(section.title):]
    return len(rest.strip(" 。.;;:,,\n"))


def _task(ctx, section, rule: TaskRule, tr: TaskRules, ur, lists, list_starts, conventions) -> Task:
    start, end = section.span
    while end > start and ctx.text[end - 1].isspace():
        end -= 1
    names: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    mine = lists[bisect.bisect_left(list_starts, start):bisect.bisect_left(list_starts, end)]
    for r in mine:
        r_lead, r_support = conventions.roles(r, r.span[0])
        names += [u for u in r.units if u not in names]
        lead += [u for u in r_lead if u not in lead]
        support += [u for u in r_support if u not in support and u not in lead]
    # only inside a task does an unlabelled "由A牵头,B配合" sentence name its units
    for r in units_mod.find_responsibilities(ctx.text, start, end, ur, ("lead_sentence",)):
        if not any(units_mod.overlaps(r.span, x.span) for x in mine):
            names += [u for u in r.units if u not in names]
            lead += [u for u in r.lead if u not in lead]
            support += [u for u in r.support if u not in support and u not in lead]
    names += [u for u in conventions.shared_at(end) if u not in names]
    text = ctx.text[start:end]
    return Task(id="", marker=section.marker, title=section.title, section=section.id, text=text,
                span=(start, end), rule=rule.id, units=names,
                responsible=Responsible(lead=lead, support=support),
                keywords=keywords(text, tr.keywords) if ctx.keywords else [])
