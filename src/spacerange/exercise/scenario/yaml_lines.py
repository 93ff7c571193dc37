"""YAML with line numbers: a SafeLoader that keeps each node's line, refuses duplicate keys and
keeps timestamps as text; pydantic errors mapped back to data paths and lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from spacerange.exercise.scenario import Scenario
from spacerange.exercise.scenario.issues import Issue, format_path

PathT = tuple[str | int, ...]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps and with YAML 1.2 booleans only."""


_LineLoader.yaml_implicit_resolvers = {
    ch: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str, file: str = "<scenario>") -> tuple[Any, dict[PathT, int], list[Issue]]:
    """Parse YAML text; returns ``(data, lines, issues)`` where ``lines`` maps each data
    path to its 1-based line (the key's line for mapping entries)."""
    issues: list[Issue] = []
    lines: dict[PathT, int] = {}
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(Issue("", line, f"YAML syntax error: {problem}", file=file))
        return None, lines, issues
    finally:
        loader.dispose()
    if node is None:
        issues.append(Issue("", 1, "empty file", file=file))
        return None, lines, issues

    def build(n: yaml.Node, path: PathT) -> Any:
        if isinstance(n, yaml.MappingNode):
            loader.flatten_mapping(n)
            result: dict = {}
            for k_node, v_node in n.value:
                key = loader.construct_object(k_node, deep=True)
                if not isinstance(key, str | int | float | bool) or key is None:
                    issues.append(
                        Issue(
                            format_path(path),
                            k_node.start_mark.line + 1,
                            "mapping keys must be plain scalars",
                            file=file,
                        )
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                sub = (*path, key)
                if key in result:
                    issues.append(
                        Issue(
                            format_path(sub),
                            k_node.start_mark.line + 1,
                            f"duplicate key {key!r} (first at line {lines[sub]})",
                            file=file,
                        )
                    )
                    continue
                lines[sub] = k_node.start_mark.line + 1
                result[key] = build(v_node, sub)
            return result
        if isinstance(n, yaml.SequenceNode):
            out = []
            for i, item in enumerate(n.value):
                lines[(*path, i)] = item.start_mark.line + 1
                out.append(build(item, (*path, i)))
            return out
        try:
            return loader.construct_object(n, deep=True)
        except yaml.YAMLError as exc:
            issues.append(Issue(format_path(path), n.start_mark.line + 1, str(exc), file=file))
            return None

    lines[()] = node.start_mark.line + 1
    data = build(node, ())
    return data, lines, issues


def _line_of(lines: Mapping[PathT, int], path: PathT) -> int:
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get((), 0)


# -------------------------------------------------------------------------- pydantic pass


def _loc_to_path(loc: tuple, data: Any, err_type: str) -> PathT:
    """Map a pydantic ``loc`` to a path of the data: union tags and type names that are not
    keys of the data are dropped; a missing field's name is kept."""
    cur, path = data, []
    for i, el in enumerate(loc):
        if isinstance(cur, dict) and isinstance(el, str) and el in cur:
            path.append(el)
            cur = cur[el]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            path.append(el)
            cur = cur[el]
        elif i == len(loc) - 1 and err_type == "missing" and isinstance(el, str):
            path.append(el)
            cur = None
    return tuple(path)


def _clean_msg(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def _pydantic_issues(
    data: Any, lines: Mapping[PathT, int], file: str
) -> tuple[Scenario | None, list[Issue]]:
    try:
        return Scenario.model_validate(data), []
    except ValidationError as exc:
        issues: list[Issue] = []
        seen: set[tuple[str, str]] = set()
        by_path: dict[PathT, list[str]] = {}
        for e in exc.errors(include_url=False):
            path = _loc_to_path(tuple(e["loc"]), data, e["type"])
            if (
                e["type"] == "threat_kind"
                and isinstance(e.get("input"), dict)
                and "kind" in e["input"]
            ):
                path = (*path, "kind")
            msg = _clean_msg(e["msg"])
            if e["type"] == "missing":
                msg = f"missing required field {path[-1]!r}" if path else msg
            elif e["type"] == "extra_forbidden":
                msg = f"unknown field {path[-1]!r}" if path else msg
            by_path.setdefault(path, [])
            if msg not in by_path[path]:
                by_path[path].append(msg)
        for path, msgs in by_path.items():
            text = msgs[0] if len(msgs) == 1 else " or ".join(msgs)
            key = (format_path(path), text)
            if key in seen:
                continue
            seen.add(key)
            issues.append(Issue(format_path(path), _line_of(lines, path), text, file=file))
        return None, issues


# ------------------------------------------------------------------------- bundled sites
