"""The built-in rules files (YAML data, never code).

This folder is installed as the package ``plancli.builtin_rules`` (see pyproject.toml) so that
every install, a wheel, pipx or an editable one, carries the rules and reads them through
``importlib.resources``. This file only makes the folder a package; it holds no code.
"""
