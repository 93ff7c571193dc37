"""The leak oracle: did any team receive what it must not see?

For each player team (blue, red) it rebuilds, from the run's event log, everything the
engine's per-team visibility lets through (the same filter the server applies to the
team's HTTP and WebSocket streams), plus any team views captured during the run
(``frames``), and looks for:

* **truth identities** of objects that appeared after STARTEX (launches, releases,
  fragments) and that the team neither owns nor was handed by name in a message it
  received; a team knows such objects only under its own designators;
* **inject metadata**: serials, titles (except a red cell's own orders), trigger
  conditions, scripted threat kinds, expected actions, evaluation rules and guidance,
  ground truth, the seed, file paths, and keys that only carry such data (``seed``,
  ``ground_truth``, ``expected``, ``evaluation``, ``rule``, ``trigger``, ``serial``...)
  outside the team's own actions;
* **truth-derived evidence** (an action's measured error against truth);
* **other teams' data**: an event about another team reaching this one, other than a
  message that team addressed to it; products or tracks in the team's views from a team
  with no sharing agreement toward it and no accepted share action (the delay itself is
  applied by the picture's share queue).

:func:`leak_findings` returns one finding per leak (``team``, ``where``, ``what``,
``excerpt``); a clean run returns an empty list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["leak_findings", "FORBIDDEN_KEYS"]

#: keys that only carry inject metadata or truth (outside a team's own action dict)
FORBIDDEN_KEYS = frozenset({
    "seed", "ground_truth", "expected", "expected_actions", "evaluation", "rule", "rules",
    "trigger", "condition", "serial", "threat", "guidance", "epoch_error_s",
    "window_contains_truth", "truth_reentry_utc", "base_dir", "scenario", "scores",
    "ratings",
})  # fmt: skip
#: scripted threat kinds (the taxonomy words sensor_outage / space_weather are allowed)
_SCRIPT_KINDS = ("high_pc_conjunction", "geo_rendezvous", "leo_inspector", "debris_event",
                 "uncontrolled_reentry", "unannounced_maneuver", "new_launch",
                 "jamming_report", "rf_interference", "laser_dazzle", "cyber_ground")  # fmt: skip
_ACTION_EVENTS = ("action_submitted", "action_applied", "action_rejected")


def _strings(obj, path: str = "") -> Iterable[tuple[str, str, str]]:
    """``(path, key, string)`` of every string in a JSON value (keys included)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield path, str(k), str(k)
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, path.rsplit(".", 1)[-1], obj


#: a run of the characters that bound a truth id in text (an id is a whole such run)
_ID_RUN = re.compile(r"[A-Za-z0-9-]+")
#: strings a check remembers before it starts over
_MEMO_MAX = 200_000


class _StringCheck:
    """What one team must not receive, checked on one string: ``check(s)`` gives the
    leftmost forbidden truth id standing alone in ``s`` (not inside a longer run of
    ``[A-Za-z0-9-]``), or ``None``, and the ``what`` of every forbidden term contained in
    ``s``, in the terms' order.

    The same as one boundary regex over all ids and a substring test per term, at a
    fraction of the cost: an id made only of run characters matches exactly where it is
    a whole run (a set lookup per run), one combined regex tells whether any term occurs
    at all (nearly never), and a string met again (designators and times repeat
    throughout a run's events and views) is answered from a memo."""

    def __init__(self, forbidden_ids: list[str], terms: list[tuple[str, str]]) -> None:
        ids = sorted(set(forbidden_ids))
        self._run_ids = frozenset(i for i in ids if _ID_RUN.fullmatch(i))
        odd = [i for i in ids if i not in self._run_ids]
        self._odd = (re.compile(r"(?<![A-Za-z0-9-])(" + "|".join(map(re.escape, odd))
                                + r")(?![A-Za-z0-9-])") if odd else None)  # fmt: skip
        self._terms = [(t, w) for t, w in terms if t]
        self._any_term = (re.compile("|".join(re.escape(t) for t, _ in self._terms))
                          if self._terms else None)  # fmt: skip
        self._memo: dict[str, tuple[str | None, tuple[str, ...]]] = {}

    def __call__(self, s: str) -> tuple[str | None, tuple[str, ...]]:
        got = self._memo.get(s)
        if got is None:
            if len(self._memo) >= _MEMO_MAX:  # bounded: a run's distinct strings are many
                self._memo.clear()
            got = self._memo[s] = (self._truth_id(s), self._hits(s))
        return got

    def _truth_id(self, s: str) -> str | None:
        # the regex alternation takes the leftmost match, and at one position the first
        # id in sorted order: (position, id) compared as a tuple
        best: tuple[int, str] | None = None
        if self._run_ids:
            for m in _ID_RUN.finditer(s):
                if m.group() in self._run_ids:
                    best = (m.start(), m.group())
                    break
        if self._odd is not None:
            m = self._odd.search(s)
            if m is not None and (best is None or (m.start(), m.group(1)) < best):
                best = (m.start(), m.group(1))
        return None if best is None else best[1]

    def _hits(self, s: str) -> tuple[str, ...]:
        if self._any_term is None or self._any_term.search(s) is None:
            return ()
        return tuple(w for t, w in self._terms if t in s)


def _metadata_terms(scenario, team_id: str, role: str) -> list[tuple[str, str]]:
    """(term, what) that must never reach ``team_id``."""
    out: list[tuple[str, str]] = []
    for ev, inc, inj in scenario.iter_injects():
        out.append((inj.serial, "inject serial"))
        own_order = inj.method == "order" and team_id in inj.to and role == "red"
        if inj.title and len(inj.title) >= 12 and not own_order:
            out.append((inj.title, "inject title"))
        if inj.ground_truth:
            out.append((inj.ground_truth.strip()[:60], "ground truth"))
        tr = inj.trigger
        cond = getattr(tr, "condition", None)
        if cond:
            out.append((str(cond), "trigger condition"))
        for c in inj.evaluation:
            if c.rule:
                out.append((c.rule, "evaluation rule"))
            if getattr(c, "guidance", None):
                out.append((c.guidance.strip()[:60], "evaluation guidance"))
        for x in inj.expected_actions:
            if x.description:
                out.append((x.description, "expected action"))
        for d in inj.payload.data:
            if d.file:
                out.append((d.file, "file path"))
        out.append((ev.id + "/" + inc.id, "event list structure"))
    out += [(k, "scripted threat kind") for k in _SCRIPT_KINDS]
    return out


def _new_objects(scenario, white_events: list[dict]) -> dict[str, str | None]:
    """Truth ids of objects that appeared after STARTEX -> the actor owning them."""
    owner: dict[str, str | None] = {}
    deploy_owner = {d.id: a.id for a in scenario.actors for s in a.assets
                    for d in getattr(s, "deployables", []) or []}  # fmt: skip
    for e in white_events:
        p = e["payload"]
        if e["kind"] == "world_event" and p.get("type") in ("launch", "release", "breakup",
                                                             "collision"):  # fmt: skip
            det = p.get("details") or {}
            ids = list(det.get("ids", []) or [])
            if p.get("type") == "launch":
                ids += list(p.get("objects", []))
                for i in ids:
                    owner[i] = det.get("owner")
            elif p.get("type") == "release":
                objs = list(p.get("objects", []))
                if len(objs) > 1:
                    owner[objs[1]] = deploy_owner.get(objs[1])
            for i in ids:
                owner.setdefault(i, None)
        elif e["kind"] == "fragments":
            for i in p.get("ids", []) or []:
                owner.setdefault(i, None)
    return owner


def leak_findings(run_dir: str | Path, frames: dict[str, list[dict]] | None = None) -> list[dict]:
    """Leaks in the run at ``run_dir`` (see the module docstring); ``frames`` maps team ids
    to team views captured during the run (``Exercise.team_view``)."""
    from spacerange.exercise.eventlog import EventLog
    from spacerange.exercise.validate import load_scenario

    run_dir = Path(run_dir)
    scenario = load_scenario(run_dir / "scenario.yaml")
    meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    log = EventLog(run_dir / "events.sqlite")
    try:
        white = log.events(0, None)
        per_team = {t.id: log.events(0, t.id) for t in scenario.teams
                    if t.role in ("blue", "red")}  # fmt: skip
    finally:
        log.close()
    new = _new_objects(scenario, white)
    paths = [str(x) for x in (meta.get("scenario"), meta.get("base_dir"), run_dir.resolve(),
                              run_dir) if x]  # fmt: skip
    findings: list[dict] = []
    for team in scenario.teams:
        if team.role not in ("blue", "red"):
            continue
        tid = team.id
        given: set[str] = set()
        for e in per_team[tid]:
            if e["kind"] == "message":
                for d in e["payload"].get("data", []) or []:
                    given |= set(d.get("objects", []))
                given |= {w for w in re.findall(r"[A-Z0-9][A-Z0-9-]+", e["payload"].get(
                    "text", "") or "")}  # fmt: skip
        forbidden_ids = sorted(i for i, own in new.items()
                               if own not in team.plays and i not in given)  # fmt: skip
        terms = _metadata_terms(scenario, tid, team.role) + [(p, "file path") for p in paths]
        check = _StringCheck(forbidden_ids, terms)
        seed = str(meta.get("seed"))

        def scan(obj, where: str, own_action: bool = False, _tid=tid, _check=check) -> None:
            for path, key, s in _strings(obj):
                if not own_action and key in FORBIDDEN_KEYS and s == key:
                    findings.append({"team": _tid, "where": where, "what": f"key {key!r}",
                                     "excerpt": path})  # fmt: skip
                    continue
                truth_id, hits = _check(s)
                if truth_id is not None:
                    findings.append({"team": _tid, "where": where,
                                     "what": f"truth id {truth_id}",
                                     "excerpt": s[:120]})  # fmt: skip
                if own_action:
                    continue
                for what in hits:
                    findings.append({"team": _tid, "where": where, "what": what,
                                     "excerpt": s[:120]})  # fmt: skip

        for e in per_team[tid]:
            where = f"event {e['seq']} {e['kind']}"
            p = e["payload"]
            if e["kind"] == "run_started" or "seed" in p and str(p.get("seed")) == seed:
                findings.append({"team": tid, "where": where, "what": "seed / run metadata",
                                 "excerpt": e["kind"]})  # fmt: skip
            other = e.get("team")
            if other and other != tid and e["kind"] != "message":
                findings.append({"team": tid, "where": where, "what": f"data of team {other}",
                                 "excerpt": e["kind"]})  # fmt: skip
            if e["kind"] in _ACTION_EVENTS and p.get("team") == tid:
                rest = {k: v for k, v in p.items() if k != "action"}
                scan(rest, where)
                scan(p.get("action") or {}, where, own_action=True)
            else:
                scan(p, where)
        # who may send this team products: sharing agreements and accepted share actions
        senders = {ag.provider for ag in scenario.sharing if tid in ag.recipients}
        senders |= {e["payload"].get("team") for e in white if e["kind"] == "action_applied"
                    and (e["payload"].get("action") or {}).get("to_team") == tid}  # fmt: skip
        for i, fr in enumerate((frames or {}).get(tid, [])):
            for sh in fr.get("shared_in", []) or []:
                if sh.get("from") not in senders:
                    findings.append({"team": tid, "where": f"view {i}",
                                     "what": f"products from {sh.get('from')} without an "
                                             "agreement or share", "excerpt": str(sh)[:120]})  # fmt: skip
            for tr in fr.get("picture", []) or []:
                src = str(tr.get("source", ""))
                if src.startswith("shared:") and src[7:] not in senders:
                    findings.append({"team": tid, "where": f"view {i}",
                                     "what": f"track shared by {src[7:]} without an agreement",
                                     "excerpt": str(tr.get("id"))})  # fmt: skip
            fr = {k: v for k, v in fr.items() if k != "actions"}  # own actions: team-authored
            scan(fr, f"view {i}")
    return findings
