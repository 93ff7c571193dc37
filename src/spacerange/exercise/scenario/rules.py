"""The rule language of evaluation criteria and trigger conditions: a small, safe expression
language parsed with :mod:`ast` and interpreted by a tree walker (never ``eval``).

Grammar (after unit literals and hyphenated ids are rewritten, see below)::

    rule       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (cmp_op operand)*
    cmp_op     := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"
    operand    := ["-"] atom
    atom       := NUMBER [UNIT] | STRING | "true" | "false" | "none"
                | NAME ("." NAME)* | FUNC "(" [arg ("," arg)*] ")"
                | "(" rule ")" | "[" [operand ("," operand)*] "]"

There is no arithmetic, no indexing, no keyword arguments, no lambda/comprehension, no
attribute starting with ``_``; anything else is refused with the construct's name.

Unit literals: a number followed by a unit is converted to the language's base units:
distances to **km** (``50 km`` -> 50, ``500 m`` -> 0.5; in rules ``m`` is the metre) and
durations to **seconds** (``90 s``, ``30 min``, ``12h``, ``3d``).  Function results use
the same units.

Identifiers: object/asset ids with hyphens (``RED-INSPECTOR``) may be written bare inside
function arguments; ids containing other punctuation (``.``, ``/``) must be quoted.

Functions (``obj`` = object/asset id, ``act`` = a :class:`PlayerAction` kind):

====================  =======================================================  ===========
function              value                                                    contexts
====================  =======================================================  ===========
``range(obj, obj)``   truth range now [km]                                     both
``min_range(o, o)``   minimum truth range since the inject's release (the      both
                      trigger's arming for conditions) [km]
``miss_distance(o,o)``predicted truth miss distance at the next TCA [km]      both
``pc(obj, obj)``      collision probability of the next conjunction (truth     both
                      states, engine's default covariance and method)
``dv_used(obj)``      delta-v spent by an asset since STARTEX [m/s]            both
``altitude(obj)``     truth geodetic altitude now [km]                         both
``elapsed()``         time since the inject's release / trigger arming [s]    both
``abs, min, max``     usual numeric functions                                  both
``tracked(obj)``      the evaluated team holds custody of the object (bool)   evaluation
``catalogued(obj)``   number of objects created by ``obj`` (break-up            evaluation
                      fragments, released decoys) the evaluated team
                      catalogued (``catalog_update``, orbit within 50 km)
``hold_error(obj)``   largest error of the guided asset's range to its          both
                      target against the commanded hold range so far [km]
``latency(act)``      release -> first submitted action of that kind [s];      evaluation
                      ``inf`` when none
``submitted(act)``    the team submitted an action of that kind (bool)         evaluation
``count(act)``        number of submitted actions of that kind                 evaluation
====================  =======================================================  ===========

Names: in evaluation rules, each player-action kind (``assessment``, ``maneuver``, ...)
names the evaluated team's latest submitted action of that kind (``none`` if none), whose
fields are read as attributes (``assessment.threat == 'proximity'``); ``latency`` alone is
the latency of the inject's first expected action [s]; ``now`` is the time since STARTEX [s]
(both contexts).  A comparison involving ``none`` is false.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from spacerange.exercise.scenario.common import PlayerAction

__all__ = ["Rule", "RuleError", "parse_rule", "FUNCTIONS", "UNITS", "RuleContext"]

RuleContext = Literal["evaluation", "condition"]


class RuleError(ValueError):
    """A rule is not valid in the rule language (syntax, forbidden construct, unknown name
    or function, wrong number of arguments)."""


#: unit -> (factor to base unit, base unit)
UNITS: dict[str, tuple[float, str]] = {
    "km": (1.0, "km"),
    "m": (1e-3, "km"),
    "s": (1.0, "s"),
    "min": (60.0, "s"),
    "h": (3600.0, "s"),
    "d": (86400.0, "s"),
}


@dataclass(frozen=True)
class _Func:
    args: tuple[str, ...]  # "obj", "act" or "num"; a trailing "num*" means one or more
    contexts: tuple[str, ...]
    doc: str


_BOTH = ("evaluation", "condition")
#: The whitelist of callable functions.
FUNCTIONS: dict[str, _Func] = {
    "range": _Func(("obj", "obj"), _BOTH, "truth range now [km]"),
    "min_range": _Func(("obj", "obj"), _BOTH, "minimum truth range since release [km]"),
    "miss_distance": _Func(("obj", "obj"), _BOTH, "truth miss at next TCA [km]"),
    "pc": _Func(("obj", "obj"), _BOTH, "collision probability of the next conjunction"),
    "dv_used": _Func(("obj",), _BOTH, "delta-v spent since STARTEX [m/s]"),
    "altitude": _Func(("obj",), _BOTH, "truth geodetic altitude [km]"),
    "elapsed": _Func((), _BOTH, "time since release/arming [s]"),
    "abs": _Func(("num",), _BOTH, "absolute value"),
    "min": _Func(("num*",), _BOTH, "smallest argument"),
    "max": _Func(("num*",), _BOTH, "largest argument"),
    "tracked": _Func(("obj",), ("evaluation",), "team holds custody of the object"),
    "catalogued": _Func(("obj",), ("evaluation",), "pieces of obj the team catalogued"),
    "hold_error": _Func(("obj",), _BOTH, "largest hold-range error of a guided asset [km]"),
    "latency": _Func(("act",), ("evaluation",), "release -> first action of that kind [s]"),
    "submitted": _Func(("act",), ("evaluation",), "an action of that kind was submitted"),
    "count": _Func(("act",), ("evaluation",), "number of actions of that kind"),
    # measured non-kinetic effects (issue 15), since STARTEX
    "commands_lost": _Func(("obj",), _BOTH, "commands to the asset never executed"),
    "commands_delayed": _Func(("obj",), _BOTH, "commands to the asset executed late"),
    "telemetry_lost": _Func(("obj",), _BOTH, "telemetry lost in contacts [s]"),
    "observations_denied": _Func(("obj",), _BOTH, "payload frames saturated (dazzled)"),
    "spoofed_tracks": _Func((), ("evaluation",), "false tracks the team's picture accepted"),
}

_ACTIONS = frozenset(a.value for a in PlayerAction)
_CONTEXT_NAMES: dict[str, frozenset[str]] = {
    "evaluation": _ACTIONS | {"latency", "now", "team"},
    "condition": frozenset({"now"}),
}

_TOKEN = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      |(?P<hid>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+)
      |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
      |(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
          (?:\s*(?P<unit>km|min|m|s|h|d)(?![A-Za-z0-9_]))?
      |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_LITERAL_NAMES = {"true": "True", "false": "False", "none": "None", "null": "None"}


def _rewrite(text: str) -> str:
    out = []
    for m in _TOKEN.finditer(text):
        if m.group("str") is not None:
            out.append(m.group("str"))
        elif m.group("hid") is not None:
            out.append(repr(m.group("hid")))
        elif m.group("name") is not None:
            out.append(_LITERAL_NAMES.get(m.group("name"), m.group("name")))
        elif m.group("num") is not None:
            unit = m.group("unit")
            if unit:
                out.append(repr(float(m.group("num")) * UNITS[unit][0]))
            else:
                out.append(m.group("num"))
        else:
            out.append(m.group("other"))
    return "".join(out)


def _is_nan(x: Any) -> bool:
    return isinstance(x, float) and x != x


_CMP = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


@dataclass(frozen=True)
class Rule:
    """A parsed rule.  ``object_refs`` and ``action_refs`` list the ids and action kinds
    named as function arguments (for cross-reference checks); ``functions`` and ``names``
    the functions called and the context names read."""

    text: str
    context: str
    source: str
    tree: ast.Expression = field(repr=False, compare=False)
    functions: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    object_refs: tuple[str, ...] = ()
    action_refs: tuple[str, ...] = ()

    def evaluate(
        self, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
    ) -> Any:
        """Interpret the rule.  ``names`` maps context names to values (objects or dicts
        whose fields are read as attributes); ``functions`` maps each function called to a
        callable receiving object ids / action kinds as strings and numbers as floats.
        ``abs``, ``min`` and ``max`` default to the builtins."""
        funcs = {"abs": abs, "min": min, "max": max, **functions}
        return _Eval(names, funcs).visit(self.tree.body)


def parse_rule(text: str, context: RuleContext = "evaluation") -> Rule:
    """Parse and check a rule; raises :class:`RuleError` naming the offending construct."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("empty rule")
    source = _rewrite(text.strip())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" near column {exc.offset}" if exc.offset else ""
        raise RuleError(f"invalid rule syntax{col}: {exc.msg} in {text.strip()!r}") from None
    checker = _Checker(context)
    checker.visit_expr(tree.body)
    return Rule(
        text=text.strip(),
        context=context,
        source=source,
        tree=tree,
        functions=frozenset(checker.functions),
        names=frozenset(checker.names),
        object_refs=tuple(checker.objects),
        action_refs=tuple(checker.actions),
    )


class _Checker:
    def __init__(self, context: str):
        self.context = context
        self.functions: set[str] = set()
        self.names: set[str] = set()
        self.objects: list[str] = []
        self.actions: list[str] = []

    def _forbid(self, node: ast.AST) -> None:
        what = type(node).__name__
        hint = {
            "BinOp": "arithmetic is not allowed",
            "Subscript": "indexing is not allowed",
            "Lambda": "lambda is not allowed",
        }.get(what, "not part of the rule language")
        raise RuleError(f"forbidden construct {what}: {hint}")

    def visit_expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                self.visit_expr(v)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
                self._forbid(node)
            self.visit_expr(node.operand)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if not isinstance(op, _CMP):
                    raise RuleError(f"forbidden comparison operator {type(op).__name__}")
            self.visit_expr(node.left)
            for c in node.comparators:
                self.visit_expr(c)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float | str | bool | type(None)):
                self._forbid(node)
        elif isinstance(node, ast.List | ast.Tuple):
            for e in node.elts:
                self.visit_expr(e)
        elif isinstance(node, ast.Name):
            allowed = _CONTEXT_NAMES[self.context]
            if node.id not in allowed:
                raise RuleError(
                    f"unknown name {node.id!r} in a {self.context} rule: expected one of "
                    f"{', '.join(sorted(allowed))} (object ids go inside function calls, "
                    "e.g. range(A, B))"
                )
            self.names.add(node.id)
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise RuleError(f"forbidden attribute {node.attr!r}")
            base = node.value
            while isinstance(base, ast.Attribute):
                if base.attr.startswith("_"):
                    raise RuleError(f"forbidden attribute {base.attr!r}")
                base = base.value
            if not isinstance(base, ast.Name):
                self._forbid(base)
            self.visit_expr(base)
        elif isinstance(node, ast.Call):
            self.visit_call(node)
        else:
            self._forbid(node)

    def visit_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise RuleError("only whitelisted functions may be called, by name")
        name = node.func.id
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise RuleError(
                f"forbidden function {name!r}: allowed are {', '.join(sorted(FUNCTIONS))}"
            )
        if self.context not in spec.contexts:
            raise RuleError(f"function {name!r} is not available in a {self.context} rule")
        if node.keywords:
            raise RuleError(f"{name}(): keyword arguments are not allowed")
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise RuleError(f"{name}(): starred arguments are not allowed")
        if spec.args == ("num*",):
            if not args:
                raise RuleError(f"{name}() takes at least one argument")
            kinds = ["num"] * len(args)
        else:
            if len(args) != len(spec.args):
                raise RuleError(f"{name}() takes {len(spec.args)} argument(s), got {len(args)}")
            kinds = list(spec.args)
        self.functions.add(name)
        for a, kind in zip(args, kinds, strict=True):
            if kind == "num":
                self.visit_expr(a)
                continue
            ident = _ident(a)
            if ident is None:
                raise RuleError(
                    f"{name}(): argument must be an {'object id' if kind == 'obj' else 'action'}"
                )
            if kind == "obj":
                self.objects.append(ident)
            else:
                if ident not in _ACTIONS:
                    raise RuleError(
                        f"{name}(): unknown action kind {ident!r}: expected one of "
                        f"{', '.join(sorted(_ACTIONS))}"
                    )
                self.actions.append(ident)


def _ident(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


_OPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class _Eval:
    def __init__(self, names: Mapping[str, Any], funcs: Mapping[str, Callable[..., Any]]):
        self.names = names
        self.funcs = funcs

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise RuleError(f"no value for name {node.id!r}")
            return self.names[node.id]
        if isinstance(node, ast.Attribute):
            base = self.visit(node.value)
            if base is None:
                return None
            if isinstance(base, Mapping):
                return base.get(node.attr)
            return getattr(base, node.attr, None)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = self.visit(v)
                    if not result:
                        return result
                return result
            result = False
            for v in node.values:
                result = self.visit(v)
                if result:
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return not v
            if v is None:
                return None
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.visit(comp)
                if _is_nan(left) or _is_nan(right):
                    # a missing value never satisfies (nor refutes) a rule: fail closed
                    raise ValueError(f"a value compared is NaN in {ast.unparse(node)!r}")
                if left is None or right is None:
                    if not isinstance(op, ast.Eq | ast.NotEq):
                        return False
                try:
                    ok = _OPS[type(op)](left, right)
                except TypeError as exc:  # e.g. a number against a name: not evaluable,
                    raise ValueError(  # neither true nor false (``not`` must not flip it)
                        f"cannot compare {left!r} with {right!r} in {ast.unparse(node)!r}"
                    ) from exc
                if not ok:
                    return False
                left = right
            return True
        if isinstance(node, ast.List | ast.Tuple):
            return [self.visit(e) for e in node.elts]
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            fn = self.funcs.get(name)
            if fn is None:
                raise RuleError(f"no implementation given for function {name!r}")
            spec = FUNCTIONS[name]
            args = []
            for i, a in enumerate(node.args):
                kind = spec.args[0] if spec.args == ("num*",) else spec.args[i]
                args.append(self.visit(a) if kind in ("num", "num*") else _ident(a))
            return fn(*args)
        raise RuleError(f"cannot evaluate {type(node).__name__}")


#: Value of ``latency()`` when no matching action was submitted.
NO_ACTION_LATENCY_S = math.inf
