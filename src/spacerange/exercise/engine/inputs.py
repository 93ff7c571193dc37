"""Team inputs: action submission and cancellation, budgets, messages, the world effects of
actions and the truth measures attached to them."""

from __future__ import annotations

import numpy as np

from spacerange.exercise.actions import (
    DELAYED_KINDS,
    PHYSICAL_KINDS,
    team_assets,
    validate_action,
)
from spacerange.exercise.clock import (
    Priority,
    iso,
    seconds,
    to_dt64,
)
from spacerange.exercise.content import category
from spacerange.exercise.engine.model import ActionRecord, ActionResult
from spacerange.exercise.eventlog import jsonable
from spacerange.exercise.scenario import (
    Inject,
    UncontrolledReentry,
)


class TeamInputs:
    """Part of :class:`spacerange.exercise.engine.Exercise` (a mixin over its state)."""

    def submit_action(self, team_id: str, user: str, action: dict) -> ActionResult:
        """Submit a player action (validated, logged, applied; see :mod:`actions`)."""
        with self._lock:
            if self.finished:
                return ActionResult(False, ["the exercise has ended (ENDEX)"], None)
            r = self._submit(team_id, user, action)
            self._drain_autopilots()
            self._flush()
            return r

    def _submit(self, team_id: str, user: str, action: dict) -> ActionResult:
        now = self.clock.now
        act, errors = validate_action(self.scenario, team_id, action, now, self.uplink_delay_s)
        if not errors and act.get("kind") == "maneuver" and to_dt64(act["epoch_utc"]) > self.endex:
            # it would never execute yet hold the team's delta-v until ENDEX
            errors = [f"maneuver.epoch_utc: {iso(to_dt64(act['epoch_utc']))} is after ENDEX "
                      f"({iso(self.endex)})"]  # fmt: skip
        shown = jsonable(act if not errors else action)
        seq = self._append("action_submitted", {"team": team_id, "user": user, "action": shown},
                           team=team_id, visible_to=[team_id])  # fmt: skip
        if not errors and act.get("kind") == "maneuver":
            errors = self._budget_errors(team_id, act)
        if errors:
            self._append("action_rejected", {"team": team_id, "user": user, "action": shown,
                                             "errors": errors, "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            return ActionResult(False, errors, seq)
        act = jsonable(act)
        kind = act["kind"]
        rec = ActionRecord(seq, now, team_id, user, act)
        rec.evidence = self._derive(self._truth_action(team_id, act), team_id)
        # the world acts on truth ids: names the team does not hold match nothing
        wact = dict(act)
        for key in ("objects",):
            if isinstance(act.get(key), list):
                wact[key] = [x for x in rec.evidence.get(key, []) if x is not None]
        if kind in DELAYED_KINDS:
            t_exec = to_dt64(act["epoch_utc"]) if kind == "maneuver" else (
                now + seconds(self.uplink_delay_s))  # fmt: skip
            self.actions.append(rec)
            self.queue.push(t_exec, Priority.INPUT, "exec_action", index=len(self.actions) - 1)
        elif kind in PHYSICAL_KINDS and not self._to_white(act):
            self._world_to(now)
            ok, errs, events = self._world_apply(team_id, wact, now)
            self._log_world_events(events, now)
            if not ok:
                self._append("action_rejected", {"team": team_id, "user": user, "action": act,
                                                 "errors": errs, "submitted_seq": seq},
                             team=team_id, visible_to=[team_id])  # fmt: skip
                return ActionResult(False, list(errs), seq)
            rec.status = "applied"
            self.actions.append(rec)
            self._append("action_applied", {"team": team_id, "action": act,
                                            "effects": self._effects(events),
                                            "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            self._send_messages(team_id, act)
        else:
            rec.status = "applied"
            self.actions.append(rec)
            self._append("action_applied", {"team": team_id, "action": act, "effects": {},
                                            "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            self._send_messages(team_id, act)
        self._append(
            "action_evidence", {"team": team_id, "submitted_seq": seq, "evidence": rec.evidence}
        )  # white only
        self._mark_expected(rec)
        return ActionResult(True, [], seq)

    def cancel_action(self, team_id: str, user: str, seq: int) -> ActionResult:
        """Cancel a pending action of ``team_id`` (accepted, not executed yet: a burn or a
        relocation waiting for its epoch) by its ``action_submitted`` seq; its delta-v is
        no longer committed.  Logged as an input, so a reopened run replays it."""
        with self._lock:
            if self.finished:
                return ActionResult(False, ["the exercise has ended (ENDEX)"], None)
            r = self._cancel(team_id, user, seq)
            self._flush()
            return r

    def _cancel(self, team_id: str, user: str, seq: int) -> ActionResult:
        rec = next((a for a in self.actions if a.seq == seq and a.team == team_id), None)
        if rec is None:
            return ActionResult(False, [f"cancel: team {team_id!r} has no action #{seq}"], None)
        if rec.status != "accepted":
            return ActionResult(False, [f"cancel: action #{seq} is {rec.status}; only pending "
                                        f"actions can be cancelled"], None)  # fmt: skip
        rec.status = "cancelled"
        s = self._append("action_cancelled", {"team": team_id, "user": user,
                                              "submitted_seq": seq, "action": rec.action},
                         team=team_id, visible_to=[team_id])  # fmt: skip
        return ActionResult(True, [], s)

    def _budget_errors(self, team_id: str, act: dict) -> list[str]:
        """A burn beyond the asset's remaining delta-v (used + already committed) is refused
        at submission (the world checks again at execution)."""
        asset = team_assets(self.scenario, team_id).get(act["asset"])
        if asset is None or asset.delta_v_mps is None:
            return []
        try:
            used = float(self.world.functions(None)["dv_used"](act["asset"]))
        except (KeyError, ValueError):  # the asset is not in the world (yet): the world
            return []  # refuses the burn at execution, with its reason
        pending = sum(float(np.linalg.norm(a.action["dv_rtn_mps"])) for a in self.actions
                      if a.status == "accepted" and a.action.get("kind") == "maneuver"
                      and a.action.get("asset") == act["asset"])  # fmt: skip
        dv = float(np.linalg.norm(act["dv_rtn_mps"]))
        left = asset.delta_v_mps - used - pending
        if dv > left + 1e-9:
            return [f"maneuver.dv_rtn_mps: {dv:.3f} m/s exceeds the remaining delta-v of "
                    f"{act['asset']} ({left:.3f} of {asset.delta_v_mps:g} m/s; used "
                    f"{used:.3f}, committed {pending:.3f})"]  # fmt: skip
        return []

    def _to_white(self, act: dict) -> bool:
        """A share addressed to EXCON (which plays every outside organization, e.g. the
        screening provider) needs no sharing agreement."""
        to = act.get("to_team")
        return to in self._teams and self._teams[to].role == "white"

    def _send_messages(self, team: str, act: dict) -> None:
        """A notification, coordination, report or share addressed to other teams reaches
        them as a message (its words only; shared products arrive through the picture
        after the agreement's delay)."""
        to: list[str] = []
        for key in ("to_team", "to"):
            v = act.get(key)
            for x in [v] if isinstance(v, str) else (v or []):
                if x in self._teams and x != team and x not in to:
                    to.append(x)
        for x in to:
            if self._teams[x].role == "white":
                continue  # EXCON sees every action already
            text = act.get("text")
            if act.get("kind") in ("share", "data_share"):
                text = (f"{self.scenario.exercise.marking}. {team} is sending "
                        f"{', '.join(map(str, act.get('products') or []))} under the sharing "
                        "agreement.")  # fmt: skip
            self._msg_n[x] = self._msg_n.get(x, 0) + 1
            self._append("message", {"msg_id": f"MSG-{self._msg_n[x]:04d}",
                                     "from": team, "method": "team", "kind": act.get("kind"),
                                     "text": str(text or "")[:4000], "data": []},
                         team=x, visible_to=[x])  # fmt: skip

    def _deliver_message(self, inj: Inject, text: str | None) -> None:
        """What a released inject tells its recipient teams: its words and data, never its
        serial, title, trigger, threat, expected actions or ground truth.  A sensor-feed
        inject tells nothing (only the team's own sensors can see the event)."""
        if inj.method == "sensor-feed":
            return
        for tm in inj.to:
            team = self._teams.get(tm)
            if team is None or team.role == "white":
                continue
            self._msg_n[tm] = self._msg_n.get(tm, 0) + 1
            data = [{"kind": d.kind, "objects": list(d.objects)} for d in inj.payload.data]
            msg = {"msg_id": f"MSG-{self._msg_n[tm]:04d}", "from": inj.from_ or "EXCON",
                   "method": inj.method, "text": text or "", "data": data}  # fmt: skip
            if inj.method == "order" and team.role == "red":
                msg["title"] = inj.title  # a red cell's own orders
            self._append("message", msg, team=tm, visible_to=[tm])

    def _truth_action(self, team: str, act: dict) -> dict:
        """``act`` with the names the team used resolved to truth ids through its own
        correlation (``None`` where it holds no such object)."""
        res = getattr(self.pictures, "resolve", None)

        def r(name: object) -> str | None:
            if not isinstance(name, str):
                return None
            if res is None:
                return name if name in team_assets(self.scenario, team) else None
            return res(team, name)

        out = dict(act)
        if isinstance(act.get("objects"), list):
            out["objects"] = [r(x) for x in act["objects"]]
        if isinstance(act.get("object"), str):
            out["object"] = r(act["object"])
        if isinstance(act.get("parent"), str):
            out["parent"] = r(act["parent"])
        return out

    def _world_apply(self, team: str, act: dict, t: np.datetime64) -> tuple[bool, list, list]:
        try:
            res = self.world.apply(team, act, t)
        except (ValueError, KeyError) as exc:
            return False, [str(exc)], []
        ok, errs, events = res
        return bool(ok), list(errs or []), list(events or [])

    @staticmethod
    def _effects(events: list) -> dict:
        eff = []
        for ev in events:
            eff.append({"type": getattr(ev, "kind", None), "objects": list(getattr(ev, "objects", []) or []),
                        "details": jsonable(getattr(ev, "details", {}) or {})})  # fmt: skip
        return {"world_events": eff} if eff else {}

    def _derive(self, act: dict, team: str | None = None) -> dict:
        """Measured quality against truth, for the rules (never shown to the team):

        * ``reentry_prediction``: ``window_s``, ``epoch_error_s`` (most likely - true),
          ``window_contains_truth``;
        * ``assessment`` of a conjunction stating ``tca_utc`` (and ``miss_m``, ``pc``):
          ``tca_error_s``, ``miss_error_m`` against the true closest approach within 1 h
          of the stated TCA, ``pc_factor`` = max(Pc/Pc_true, Pc_true/Pc) with the truth
          scope's Pc;
        * ``catalog_update``: ``orbit_error_km``, the largest distance between the team's
          prediction of a catalogued object and truth now."""
        try:
            self._measure(act, team)
        except (LookupError, ValueError, TypeError, ArithmeticError) as exc:
            act["measure_error"] = str(exc)  # stated, never a silent default
        if act.get("kind") == "reentry_prediction":
            ws, we, ml = (to_dt64(act[k]) for k in ("window_start", "window_end", "most_likely"))
            act["window_s"] = float((we - ws) / np.timedelta64(1, "s"))
            truth = self._reentry_truth(act["object"]) if act.get("object") else None
            if truth is not None:
                act["epoch_error_s"] = float((ml - truth) / np.timedelta64(1, "s"))
                act["window_contains_truth"] = bool(ws <= truth <= we)
        if act.get("kind") == "breakup_attribution":
            self._attribution_truth(act)
        return act

    def _attribution_truth(self, act: dict) -> None:
        """``epoch_error_s`` (attributed - true epoch) and ``parent_correct`` against the
        logged break-up nearest to the attributed epoch (none yet: fields left out)."""
        if not self._breakup_truth:
            return
        ep = to_dt64(act["epoch_utc"])
        t, parent = min(
            self._breakup_truth, key=lambda b: abs((b[0] - ep) / np.timedelta64(1, "s"))
        )
        act["epoch_error_s"] = float((ep - t) / np.timedelta64(1, "s"))
        act["parent_correct"] = act.get("parent") == parent

    def _measure(self, act: dict, team: str | None) -> None:
        from spacerange.exercise.rulefuncs import _closest, _grid

        kind = act.get("kind")
        objs = [o for o in act.get("objects") or [] if o is not None]
        now = self.clock.now
        if kind == "assessment" and category(act.get("threat")) == "conjunction" and \
                len(objs) >= 2 and act.get("tca_utc"):  # fmt: skip
            tca = to_dt64(act["tca_utc"])
            self._world_to(now)

            def fn(oid: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return self.world.state_of(oid, ts)

            t_true, miss_km, _ = _closest(fn, objs[0], objs[1],
                                          _grid(tca - seconds(3600), tca + seconds(3600), 10.0))  # fmt: skip
            act["tca_error_s"] = float((tca - t_true) / np.timedelta64(1, "s"))
            if isinstance(act.get("miss_m"), int | float):
                act["miss_error_m"] = float(act["miss_m"]) - miss_km * 1e3
            if isinstance(act.get("pc"), int | float) and act["pc"] > 0:
                pc_true = float(self._functions(None, None)["pc"](objs[0], objs[1]))
                if pc_true > 0:
                    act["pc_factor"] = max(act["pc"] / pc_true, pc_true / act["pc"])
        elif kind == "catalog_update" and team is not None and objs:
            pics = self.pictures
            ts = np.asarray([now], dtype="datetime64[us]")
            errs = []
            for o in objs:
                r_est, _ = pics.predict(team, o, ts)
                r_true, _ = self.world.state_of(o, ts)
                errs.append(float(np.linalg.norm(np.reshape(r_est, 3) - np.reshape(r_true, 3))))
            act["orbit_error_km"] = max(errs)
            note = getattr(self.world, "note_catalogued", None)
            if note is not None:  # per-object book of what the team catalogued (issue 15)
                note(team, objs, errs, now)

    def _reentry_truth(self, obj: str) -> np.datetime64 | None:
        for st in self.injects.values():
            a = st.inject.action
            if isinstance(a, UncontrolledReentry) and a.object == obj:
                return to_dt64(self.scenario.time_of(a.expected_reentry))
        return None
