"""What each chapter of a plan is for: front matter, work, safeguards or background.

Chinese plans share one outline. A 总体要求 chapter (指导思想, 基本原则, 主要目标) comes first, the
work follows, and 保障措施 (组织领导, 资金保障, 督促检查 …) closes; reviews of the past (发展基础,
工作总结) may precede it all. The work is named either by a task-section title (重点任务, 主要任务,
重点工作 …) or, in 意见 / 方案 / 计划, by imperative chapter headings (加快推进…, 着力提升…). This
module gives every section the role of the nearest heading that decides it, so that tasks,
units and targets can ask "is this part of the plan's work?". All patterns are in
``rules/tasks.yaml``.
"""
from __future__ import annotations

from typing import Literal

from plancli import rules as rules_mod

Role = Literal["work", "front", "back", "background", "other"]

#: Document kinds whose imperative chapters are work chapters, and kinds whose numbered items are
#: all tasks (a division-of-responsibility plan lists nothing else).
PLAN_KINDS = ("plan", "division")
DIVISION_KINDS = ("division",)


def section_roles(structure, kind: str | None, tr) -> dict[str, tuple[Role, bool]]:
    """section id -> (role, named): the role of the nearest deciding heading, innermost first,
    and whether a task-section title ("重点任务") decided it."""
    c = _compiled(tr)
    by_id = {s.id: s for s in structure.sections}
    has_children = {s.parent for s in structure.sections if s.parent and s.kind == "heading"}
    memo: dict[str, tuple[Role, bool]] = {}

    def own(section) -> tuple[Role, bool] | None:
        title = section.title
        if c["back"].search(title):
            return "back", False
        if c["background"].search(title):
            return "background", False
        if c["front"].search(title):
            return "front", False
        if c["task"].search(title):
            return "work", True
        return None

    def role_of(section) -> tuple[Role, bool]:
        if section.id in memo:
            return memo[section.id]
        parent = by_id.get(section.parent) if section.parent else None
        chapter = parent is None or parent.kind == "part"
        # a leaf item's own title names its work ("完善科技人员激励保障机制", "优化创新发展环境"),
        # not what kind of chapter it is in: only chapters and group headings decide
        decides = section.kind == "heading" and (chapter or section.id in has_children)
        decided = own(section) if decides else None
        if decided is None:
            if parent is not None and parent.kind != "part":
                decided = role_of(parent)
            elif section.kind == "heading":  # a chapter: its heading says what it is
                if kind in DIVISION_KINDS or (kind in PLAN_KINDS and c["action"].search(section.title)):
                    decided = ("work", False)
                else:
                    decided = ("other", False)
            else:
                decided = ("other", False)
        memo[section.id] = decided
        return decided

    return {s.id: role_of(s) for s in structure.sections}


def _compiled(tr) -> dict:
    return {
        "task": rules_mod.any_of(tuple(r.section_title for r in tr.rules if r.section_title)) or _NEVER,
        "front": rules_mod.compiled(tr.front_sections),
        "back": rules_mod.compiled(tr.back_sections),
        "background": rules_mod.compiled(tr.background_sections),
        "action": rules_mod.compiled(tr.action_heading),
    }


_NEVER = rules_mod.compiled("(?!)")
