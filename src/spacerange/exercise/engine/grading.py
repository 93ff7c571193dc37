"""Content adjudication in play: which threat an inject is about, the window actions count
from, matching actions to expected actions, evaluation of the rules."""

from __future__ import annotations

import math

import numpy as np

from spacerange.exercise.actions import (
    satisfies,
    team_assets,
)
from spacerange.exercise.clock import (
    iso,
)
from spacerange.exercise.content import MatchContext, category, check
from spacerange.exercise.engine.model import WHITE, ActionRecord, ExpectedState, InjectState
from spacerange.exercise.scenario import (
    AfterTrigger,
    ExpectedAction,
    PlayerAction,
)
from spacerange.exercise.scenario.events import ThreatAction


class Grading:
    """Part of :class:`spacerange.exercise.engine.Exercise` (a mixin over its state)."""

    def _threat_of(
        self, st: InjectState, depth: int = 0
    ) -> tuple[ThreatAction | None, InjectState | None]:
        """(threat action, inject state holding it) behind an inject: its own, its trigger
        or contingency parent's, or the first of its main event (EXCON-side only)."""
        inj = st.inject
        if inj.action is not None and inj.action.kind not in ("media", "diplomatic_note"):
            return inj.action, st
        if depth < 5:
            parents = [inj.trigger.after] if isinstance(inj.trigger, AfterTrigger) else []
            parents += [st.parent] if st.parent else []
            for p in parents:
                if p in self.injects:
                    a, s_ = self._threat_of(self.injects[p], depth + 1)
                    if a is not None:
                        return a, s_
        base = st.parent or inj.serial
        for ev in self.scenario.events:
            incs = [i for inc in ev.incidents for i in inc.injects]
            if any(i.serial == base for i in incs):
                for i in incs:
                    if i.action is not None and i.action.kind not in ("media", "diplomatic_note"):
                        return i.action, self.injects.get(i.serial)
        return None, None

    def _window_start(self, st: InjectState) -> np.datetime64:
        """Actions count from the release, or from the moment the threat behind the inject
        exists in truth when that is earlier: for a sensor-feed inject (which tells the
        team nothing) the enactment of the threat; for a threat built from initial
        conditions (a scripted encounter) the instant it was set up.  A team whose own
        picture caught the threat before the inject was released has done the work."""
        _, ts = self._threat_of(st)
        start = st.release_t
        if st.inject.method == "sensor-feed" and ts is not None and ts.release_t is not None:
            start = min(start, ts.release_t)
        onset_fn = getattr(self.world, "threat_onset_utc", None)
        onset = onset_fn(ts.serial if ts is not None else st.inject.serial) if onset_fn else None
        if onset is not None:
            start = min(start, onset)
        return start

    def _match_ctx(self, st: InjectState, team: str) -> MatchContext:
        res = getattr(self.pictures, "resolve", None)
        own = set(team_assets(self.scenario, team))
        action, ts = self._threat_of(st)
        cat = category(action.kind) if action is not None else None
        new: set[str] = set()
        if ts is not None:
            objs = getattr(self.world, "objects", []) or []
            frs = getattr(self.world, "fragment_sets", []) or []
            key = (ts.serial, len(objs), len(frs))
            cache = self.__dict__.setdefault("_new_cache", {})
            if key not in cache:
                for o in objs:
                    if getattr(o, "origin", None) == ts.serial:
                        new.add(o.id)
                for fs in frs:
                    if fs.get("serial") == ts.serial:
                        new |= set(fs.get("ids", []))
                cache[key] = new
            new = cache[key]

        def resolve(name: object, _t=team) -> str | None:
            if not isinstance(name, str):
                return None
            if res is None:
                return name if name in own else None
            return res(_t, name)

        eq: dict[str, set[str]] = {}
        parent, impactor = getattr(action, "parent", None), getattr(action, "impactor", None)
        if getattr(action, "kind", None) == "debris_event" and parent and impactor:
            eq = {parent: {impactor}, impactor: {parent}}  # both parties of a collision
        return MatchContext(resolve, own, cat, new, eq)

    def _fulfils(self, x: ExpectedState, rec: ActionRecord, ctx: MatchContext) -> tuple[bool, str]:
        if not satisfies(x.expected, rec.action):
            return False, "other kind"
        return check(x.expected, rec.action, ctx)

    def _mark_expected(self, rec: ActionRecord) -> None:
        for st in self.injects.values():
            if st.status != "released" or st.release_t is None:
                continue
            if rec.t < self._window_start(st):
                continue
            self._mark_one(st, rec)

    def _mark_one(self, st: InjectState, rec: ActionRecord) -> None:
        touched = False
        ctx = None
        for x in st.expected:
            if x.team == rec.team and x.done_t is None and satisfies(x.expected, rec.action):
                ctx = ctx or self._match_ctx(st, rec.team)
                ok, note = self._fulfils(x, rec, ctx)
                if ok:
                    x.done_t = max(rec.t, st.release_t)
                    x.done_seq = rec.seq
                    x.evidence = note
                    touched = True
        if touched:
            self._check_resolved(st)

    # ------------------------------------------------------------------ adjudication
    def _team_actions(self, team: str, since: np.datetime64 | None) -> list[ActionRecord]:
        return [a for a in self.actions if a.team == team and a.status != "rejected"
                and (since is None or a.t >= since)]  # fmt: skip

    def _evaluate(self, st: InjectState) -> None:
        if st.evaluated:
            return
        st.evaluated = True
        now = self.clock.now
        self._world_to(now)
        w0 = self._window_start(st)
        generic = ExpectedAction.model_construct(action=None, objects=[], threat=None)
        for team in st.teams:
            all_acts = self._team_actions(team, w0)
            ctx = self._match_ctx(st, team)
            mine = [x for x in st.expected if x.team == team]
            expected_kinds = {x.expected.action.value for x in mine}

            def valid(a: ActionRecord, _m=mine, _c=ctx, _k=expected_kinds, _g=generic) -> bool:
                if a.pkind in _k:
                    return any(self._fulfils(x, a, _c)[0] for x in _m
                               if x.expected.action.value == a.pkind)  # fmt: skip
                return check(_g, a.action, _c)[0]

            acts = [a for a in all_acts if valid(a)]  # content-free actions count for nothing
            names: dict[str, object] = {k.value: None for k in PlayerAction}
            credit: dict[int, set[str]] = {a.seq: {a.pkind} for a in acts}
            for a in acts:
                names[a.pkind] = a.evidence or a.action
            by_seq = {a.seq: a for a in all_acts}
            for x in reversed(mine):  # the action that fulfilled an expected one speaks for it
                a = by_seq.get(x.done_seq) if x.done_seq is not None else None
                if a is not None:
                    names[x.expected.action.value] = a.evidence or a.action
                    credit.setdefault(a.seq, {a.pkind}).add(x.expected.action.value)
                    if a not in acts:
                        acts.append(a)
            names["now"] = self._now_s()
            names["team"] = team

            def lat(kind: str, _acts=acts, _c=credit) -> float:
                ts = [a.t for a in _acts if kind in _c[a.seq]]
                if not ts:
                    return math.inf
                return max(0.0, float((min(ts) - st.release_t) / np.timedelta64(1, "s")))

            first = st.inject.expected_actions[0].action.value if st.inject.expected_actions \
                else None  # fmt: skip
            names["latency"] = lat(first) if first else math.inf
            funcs = self._functions(team, st.release_t)
            funcs["latency"] = lat
            funcs["submitted"] = lambda kind, _a=acts, _c=credit: any(kind in _c[a.seq] for a in _a)
            funcs["count"] = lambda kind, _a=acts, _c=credit: sum(kind in _c[a.seq] for a in _a)
            if "tracked" not in funcs:
                funcs["tracked"] = lambda obj, _t=team: self._tracked(_t, obj)
            completion = []
            for x in mine:
                if x.done_t is not None and x.done_t <= x.deadline:
                    state = "on_time"
                elif x.done_t is not None:
                    state = "late"
                else:
                    late = [a for a in all_acts if self._fulfils(x, a, ctx)[0]]
                    state = "late" if late else "missing"
                    if not late:
                        tried = [self._fulfils(x, a, ctx)[1] for a in all_acts
                                 if a.pkind == x.expected.action.value]  # fmt: skip
                        x.evidence = (f"{len(tried)} submitted, none acceptable: {tried[-1]}"
                                      if tried else "nothing submitted")  # fmt: skip
                done = (f" at {iso(x.done_t)} (seq {x.done_seq})"
                        if x.done_t is not None else "")  # fmt: skip
                completion.append((x.expected.action.value, state,
                                   f"{x.evidence or ''}{done}".strip()))  # fmt: skip
            performed = set().union(*credit.values()) if credit else set()
            recs = self.adjudicator.auto_ratings(st.inject, team, names, funcs, completion,
                                                 iso(now), performed)  # fmt: skip
            for r in recs:
                self._append("rating", r.payload(), team=team, visible_to=WHITE)

    def _tracked(self, team: str, obj: str) -> bool:
        try:
            view = self.pictures.view(team) or {}
        except Exception as exc:  # noqa: BLE001 - any picture failure: the rule is not evaluable
            # not "untracked": a rule over tracked() is then unsatisfied, with this reason
            raise ValueError(
                f"tracked({obj}): team {team}'s picture cannot be read: {exc}"
            ) from exc
        for item in view.get("picture", []) or []:
            if item.get("id") == obj or item.get("name") == obj:
                return True
        return False
