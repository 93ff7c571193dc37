"""Adjudication: turn what happened into HSEEP ratings and scores.

Physics comes first: truth events (collisions, break-ups, re-entries) are the world's and
are logged as they happen; the rules of the scenario read truth through the world's
rule functions (``miss_distance``, ``min_range``, ``dv_used``...).  Then, when an inject
resolves, every evaluation criterion is evaluated for each evaluated team:

* ``method: automatic``: the rule (rule language, :mod:`~spacerange.exercise.scenario.rules`)
  true -> ``rating_if_true``, false -> ``rating_if_false``; the score is the rating's
  fraction (P 1, S 2/3, M 1/3, U 0) of ``score_range``, the same scale as an
  evaluator's rating.  The note gives the rule and its outcome.
* every expected action adds a completion check (HSEEP: a task not performed at all
  cannot be rated better than U): on time -> P, late -> S, missing -> U; 10 points.
  An action counts only when its *content* fulfils the expected action
  (:mod:`~spacerange.exercise.content`); the note gives the evidence (the matching
  action's time and sequence number, or why the submitted ones were not acceptable).
* ``method: evaluator``: waits for :meth:`Adjudicator.rate` (manual override).

An objective's rating for a team is the worst rating of its critical tasks (an evaluator
rating replaces the automatic ones of the same objective/critical task); the team's score
is 100 x points earned / points possible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from spacerange.exercise.scenario import EvaluationCriterion, Inject, Rating, RuleError, Scenario

__all__ = ["Adjudicator", "RatingRecord", "RATING_ORDER", "worst", "rule_kinds"]

_KIND_CALL = re.compile(r"\b(?:latency|submitted|count)\(\s*['\"](\w+)['\"]\s*\)")
_KIND_FIELD = re.compile(
    r"\b(assessment|report|notification|tasking|maneuver|countermeasure|"
    r"data_share|catalog_update|reentry_prediction|breakup_attribution|coordination)\.\w+"
)


def rule_kinds(rule: str | None) -> set[str]:
    """Player-action kinds a rule reads (``latency('k')``, ``submitted('k')``,
    ``count('k')``, ``k.field``)."""
    if not rule:
        return set()
    return set(_KIND_CALL.findall(rule)) | set(_KIND_FIELD.findall(rule))


#: numeric value of a rating (higher is better)
RATING_ORDER = {"P": 3, "S": 2, "M": 1, "U": 0}
_FRACTION = {"P": 1.0, "S": 2 / 3, "M": 1 / 3, "U": 0.0}
COMPLETION_POINTS = 10.0


def worst(ratings: list[str]) -> str | None:
    return min(ratings, key=RATING_ORDER.__getitem__) if ratings else None


@dataclass
class RatingRecord:
    """One rating of one team on one objective (and optionally one critical task)."""

    team: str
    objective: str
    rating: str
    source: str  # auto | evaluator
    critical_task: str | None = None
    rule: str | None = None
    note: str | None = None
    serial: str | None = None
    score: float | None = None
    score_max: float | None = None
    author: str | None = None
    time_utc: str | None = None

    def payload(self) -> dict:
        d = {
            "team": self.team,
            "objective": self.objective,
            "rating": self.rating,
            "source": self.source,
        }
        optional = ("critical_task", "rule", "note", "serial", "score", "score_max", "author")
        for k in (*optional, "time_utc"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        return d


@dataclass
class Adjudicator:
    """Keeps every rating of the run and derives objective ratings and scores."""

    scenario: Scenario
    records: list[RatingRecord] = field(default_factory=list)

    # ------------------------------------------------------------------ helpers
    def objectives_for(self, inject: Inject, critical_task: str | None) -> list[str]:
        """Objectives a criterion of ``inject`` counts toward."""
        objs = list(inject.objectives)
        if critical_task:
            with_ct = [o.id for o in self.scenario.objectives if critical_task in o.critical_tasks]
            inter = [o for o in objs if o in with_ct]
            objs = inter or with_ct or objs
        return objs

    def evaluate_criterion(
        self,
        crit: EvaluationCriterion,
        names: dict[str, object],
        functions: dict[str, Callable],
    ) -> tuple[bool | None, str | None]:
        """Truth value of an automatic criterion (``None`` if it cannot be evaluated) and
        a note: the error, or the values the rule measured (its evidence)."""
        measured: list[str] = []

        def wrap(name, fn):
            def call(*args):
                v = fn(*args)
                if isinstance(v, float):
                    shown = f"{v:.6g}"
                else:
                    shown = repr(v)
                measured.append(f"{name}({', '.join(map(str, args))}) = {shown}")
                return v

            return call

        funcs = {k: wrap(k, f) if callable(f) else f for k, f in functions.items()}
        try:
            value = crit.parsed_rule.evaluate(names, funcs)
        except (RuleError, KeyError, ValueError, TypeError, ArithmeticError) as exc:
            return None, f"rule could not be evaluated: {exc}"
        if isinstance(value, float) and math.isnan(value):
            return None, "rule evaluated to NaN"
        for m in re.finditer(r"\b(\w+)\.(\w+)\b", crit.rule or ""):
            obj = names.get(m.group(1))
            if isinstance(obj, dict) and m.group(2) in obj:
                v = obj[m.group(2)]
                measured.append(f"{m.group(0)} = {v:.6g}" if isinstance(v, float)
                                else f"{m.group(0)} = {v!r}")  # fmt: skip
        return bool(value), ("measured: " + "; ".join(measured)) if measured else None

    def auto_ratings(
        self,
        inject: Inject,
        team: str,
        names: dict[str, object],
        functions: dict[str, Callable],
        completion: list[tuple[str, str]],
        time_utc: str,
        performed: set[str] | None = None,
    ) -> list[RatingRecord]:
        """Ratings of ``team`` on ``inject``: its automatic criteria and the completion of
        its expected actions (``completion``: ``(action kind, 'on_time'|'late'|'missing')``)."""
        out: list[RatingRecord] = []
        for crit in inject.evaluation:
            if crit.method != "automatic":
                continue
            ok, err = self.evaluate_criterion(crit, names, functions)
            missing = sorted(rule_kinds(crit.rule) - performed) if performed is not None else []
            if missing:
                # HSEEP: a task not performed at all is rated U, whatever the rule says
                # of an absent action (a latency bound alone must not earn S)
                rating = Rating.U.value
                note = "; ".join(x for x in (f"not performed: no acceptable "
                                             f"{', '.join(missing)}", err) if x)  # fmt: skip
                ok = False
            elif ok is None:
                rating = Rating(crit.rating_if_false or Rating.U).value
                note = err
                ok = False
            else:
                r = crit.rating_if_true if ok else crit.rating_if_false
                if r is None:  # only the other outcome is rated
                    continue
                rating = Rating(r).value
                note = err
            # one point scale for automatic and evaluator ratings: the rating's fraction
            # of the criterion's range (P full, S 2/3, M 1/3, U none)
            lo, hi = crit.score_range.min, crit.score_range.max
            score = lo + (hi - lo) * _FRACTION[rating]
            if not missing:
                note = "; ".join(x for x in (note, f"rule {'true' if ok else 'false'}: "
                                             f"{crit.rule}") if x)  # fmt: skip
            for obj in self.objectives_for(inject, crit.critical_task):
                out.append(RatingRecord(team, obj, rating, "auto", crit.critical_task, crit.rule,
                                        note, inject.serial, float(score),
                                        float(crit.score_range.max), time_utc=time_utc))  # fmt: skip
        if completion:
            completion = [(c[0], c[1], c[2] if len(c) > 2 else "") for c in completion]
            states = [c[1] for c in completion]
            if all(s == "on_time" for s in states):
                rating = "P"
            elif all(s != "missing" for s in states):
                rating = "S"
            elif any(s != "missing" for s in states):
                rating = "M"
            else:
                rating = "U"
            pts = {"on_time": 1.0, "late": 0.5, "missing": 0.0}
            score = COMPLETION_POINTS * sum(pts[s] for s in states) / len(states)
            note = "; ".join(
                f"{k}: {s.replace('_', ' ')}" + (f" ({ev})" if ev else "")
                for k, s, ev in completion
            )
            for obj in inject.objectives:
                out.append(RatingRecord(team, obj, rating, "auto", None, "expected_actions",
                                        note, inject.serial, score, COMPLETION_POINTS,
                                        time_utc=time_utc))  # fmt: skip
        self.records.extend(out)
        return out

    def rate(
        self,
        team: str,
        objective: str,
        rating: str,
        note: str | None,
        author: str,
        critical_task: str | None = None,
        time_utc: str | None = None,
    ) -> RatingRecord:
        """An evaluator's rating (manual override)."""
        rating = str(getattr(rating, "value", rating)).upper()
        if rating not in RATING_ORDER:
            raise ValueError(f"rating: expected P, S, M or U, got {rating!r}")
        if objective not in {o.id for o in self.scenario.objectives}:
            raise ValueError(f"objective: unknown objective {objective!r}")
        rec = RatingRecord(team, objective, rating, "evaluator", critical_task, None, note,
                           None, COMPLETION_POINTS * _FRACTION[rating], COMPLETION_POINTS,
                           author, time_utc)  # fmt: skip
        self.records.append(rec)
        return rec

    # ------------------------------------------------------------------ aggregation
    def _effective(self, team: str) -> list[RatingRecord]:
        recs = [r for r in self.records if r.team == team]
        overrides: dict[tuple[str, str | None], RatingRecord] = {}
        for r in recs:
            if r.source == "evaluator":
                overrides[(r.objective, r.critical_task)] = r  # latest wins
        out = []
        for r in recs:
            if r.source == "evaluator":
                continue
            if (r.objective, None) in overrides:
                continue
            if r.critical_task and (r.objective, r.critical_task) in overrides:
                continue
            out.append(r)
        return out + list(overrides.values())

    def objective_ratings(self, team: str) -> dict[str, str]:
        by_obj: dict[str, list[str]] = {}
        for r in self._effective(team):
            by_obj.setdefault(r.objective, []).append(r.rating)
        order = [o.id for o in self.scenario.objectives]
        return {o: worst(by_obj[o]) for o in sorted(by_obj, key=lambda x: (
            order.index(x) if x in order else len(order), x))}  # fmt: skip

    def critical_task_ratings(self, team: str) -> dict[str, str]:
        by_ct: dict[str, list[str]] = {}
        for r in self._effective(team):
            if r.critical_task:
                by_ct.setdefault(r.critical_task, []).append(r.rating)
        return {k: worst(v) for k, v in sorted(by_ct.items())}

    def score(self, team: str) -> float | None:
        recs = [r for r in self._effective(team) if r.score_max]
        if not recs:
            return None
        earned = sum(r.score or 0.0 for r in recs)
        possible = sum(r.score_max for r in recs)
        return round(100.0 * earned / possible, 1) if possible > 0 else None
