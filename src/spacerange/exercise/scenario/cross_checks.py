"""Cross-reference checks of a scenario that the pydantic models cannot do alone: unknown or
duplicate ids, inject times outside STARTEX..ENDEX, trigger cycles, delta-v budgets, sensor
refs absent from the bundled site network, capability flags, missing files."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from spacerange.exercise.scenario import counterspace
from spacerange.exercise.scenario.common import (
    UtcTime,
    parse_duration,
    parse_startex_offset,
)
from spacerange.exercise.scenario.effects_checks import check_effect_action
from spacerange.exercise.scenario.issues import Issue, format_path
from spacerange.exercise.scenario.rules import RuleError, parse_rule
from spacerange.exercise.scenario.yaml_lines import _line_of

PathT = tuple[str | int, ...]


@lru_cache(maxsize=1)
def bundled_sites() -> dict[str, frozenset[str]] | None:
    """Site ids (upper case) of each bundled sensor network: ``{'default': {...}}`` read
    from ``spacerange/data/sensors/public_sites.json``; ``None`` when the file is absent."""
    try:
        text = (
            resources.files("spacerange")
            .joinpath("data/sensors/public_sites.json")
            .read_text("utf-8")
        )
    except (FileNotFoundError, OSError):
        return None
    doc = json.loads(text)
    entries = doc.get("sites", doc) if isinstance(doc, dict) else doc
    if isinstance(entries, dict):
        ids = set(entries)
    else:
        ids = {str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e}
    return {"default": frozenset(i.upper() for i in ids)}


# ------------------------------------------------------------------------- cross checks


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) else None


@dataclass
class _Ctx:
    data: dict
    lines: Mapping[PathT, int]
    file: str
    base_dir: Path | None
    sites: Mapping[str, frozenset[str]] | None
    issues: list[Issue] = field(default_factory=list)

    def err(self, path: PathT, msg: str, severity: str = "error") -> None:
        self.issues.append(
            Issue(format_path(path), _line_of(self.lines, path), msg, severity, self.file)
        )


def _time(value: Any, startex: datetime | None) -> datetime | None:
    if isinstance(value, str):
        try:
            off = parse_startex_offset(value)
        except ValueError:
            off = None
        if off is not None:
            return None if startex is None else startex + off
    try:
        return TypeAdapter(UtcTime).validate_python(value)
    except ValidationError:
        return None


def _dur(value: Any) -> timedelta | None:
    try:
        return parse_duration(value)
    except (ValueError, TypeError):
        return None


def _ids(
    ctx: _Ctx,
    items: Iterable[tuple[PathT, Any]],
    what: str,
    registry: dict[str, PathT] | None = None,
) -> dict[str, PathT]:
    """Collect ids, reporting duplicates (within ``registry`` when given)."""
    reg = registry if registry is not None else {}
    for path, ident in items:
        if not isinstance(ident, str):
            continue
        if ident in reg:
            first = _line_of(ctx.lines, reg[ident])
            ctx.err(path, f"duplicate {what} id {ident!r} (first defined at line {first})")
        else:
            reg[ident] = path
    return reg


def _iter_injects(data: dict) -> Iterable[tuple[PathT, dict]]:
    for ei, ev in enumerate(_l(data.get("events"))):
        for ii, inc in enumerate(_l(_d(ev).get("incidents"))):
            for ji, inj in enumerate(_l(_d(inc).get("injects"))):
                if isinstance(inj, dict):
                    yield ("events", ei, "incidents", ii, "injects", ji), inj


def _cross_checks(ctx: _Ctx) -> None:  # noqa: C901 - one flat list of checks reads best
    data = ctx.data
    ex = _d(data.get("exercise"))
    startex = _time(ex.get("startex"), None)
    endex = _time(ex.get("endex"), None)
    if startex and endex and endex <= startex:
        endex = None  # reported by the model at exercise.endex; skip window checks

    # ---- registries
    teams = _ids(
        ctx,
        ((("teams", i, "id"), _d(t).get("id")) for i, t in enumerate(_l(data.get("teams")))),
        "team",
    )
    roles = [_d(t).get("role") for t in _l(data.get("teams"))]
    if teams and "white" not in roles:
        ctx.err(("teams",), "no team with role white (EXCON must run the exercise)")

    actors = _ids(
        ctx,
        ((("actors", i, "id"), _d(a).get("id")) for i, a in enumerate(_l(data.get("actors")))),
        "actor",
    )
    afc = _d(data.get("actors_from_catalog"))
    for i, o in enumerate(_l(afc.get("owners"))):
        aid = o if isinstance(o, str) else _d(o).get("actor") or _d(o).get("code")
        _ids(ctx, [(("actors_from_catalog", "owners", i), aid)], "actor", actors)

    objects: dict[str, PathT] = {}
    assets: dict[str, dict] = {}
    asset_owner: dict[str, str] = {}
    deployables: dict[str, str] = {}
    sensors: dict[str, PathT] = {}
    for ai, actor in enumerate(_l(data.get("actors"))):
        actor = _d(actor)
        for si, asset in enumerate(_l(actor.get("assets"))):
            asset = _d(asset)
            p = ("actors", ai, "assets", si, "id")
            _ids(ctx, [(p, asset.get("id"))], "object", objects)
            if isinstance(asset.get("id"), str):
                # a copy that knows its actor's ground stations (the effects checks)
                assets[asset["id"]] = {**asset, "ground_stations": actor.get("ground_stations")}
                asset_owner[asset["id"]] = actor.get("id")
            for di, dep in enumerate(_l(asset.get("deployables"))):
                did = _d(dep).get("id")
                _ids(ctx, [((*p[:-1], "deployables", di, "id"), did)], "object", objects)
                if isinstance(did, str):
                    deployables[did] = asset.get("id")
        for si, sensor in enumerate(_l(actor.get("sensors"))):
            sensor = _d(sensor)
            p = ("actors", ai, "sensors", si)
            ref = _s(sensor.get("ref"))
            sid = sensor.get("id")
            if ref and ":" in ref:
                network, _, site = ref.partition(":")
                sid = sid or site
                _check_site(ctx, (*p, "ref"), network, site)
            _ids(ctx, [((*p, "id" if "id" in sensor else "ref"), sid)], "sensor", sensors)
            if ref and isinstance(sid, str) and ref != sid:
                sensors.setdefault(ref, (*p, "ref"))
    for oi, obj in enumerate(_l(_d(data.get("world")).get("objects"))):
        _ids(ctx, [(("world", "objects", oi, "id"), _d(obj).get("id"))], "object", objects)

    # Objects created by injects (secondaries, fragments, launches) may be named in rules.
    created: set[str] = set()
    prefixes: set[str] = set()
    for _path, inj in _iter_injects(data):
        act = _d(inj.get("action"))
        for key in ("new_secondary_id",):
            if isinstance(act.get(key), str):
                created.add(act[key])
        if (
            act.get("kind") == "high_pc_conjunction"
            and not act.get("secondary")
            and not act.get("new_secondary_id")
            and isinstance(inj.get("serial"), str)
        ):
            created.add(f"{inj['serial']}-SEC")
        for key in ("id_prefix", "fragment_prefix"):
            if isinstance(act.get(key), str):
                prefixes.add(act[key])
        if act.get("kind") == "debris_event" and isinstance(act.get("parent"), str):
            prefixes.add(act["parent"])
        more_ids, more_prefixes = counterspace.created_ids(act)
        created |= more_ids
        prefixes |= more_prefixes

    def known_object(ident: str) -> bool:
        return (
            ident in objects
            or ident in created
            or any(ident.startswith(pfx + "-") or ident.startswith(pfx + "_") for pfx in prefixes)
        )

    def check_object(path: PathT, ident: Any, what: str = "object") -> None:
        if isinstance(ident, str) and not known_object(ident):
            ctx.err(path, f"unknown {what} {ident!r}")

    def check_team(path: PathT, ident: Any) -> None:
        if isinstance(ident, str) and ident not in teams:
            ctx.err(path, f"unknown team {ident!r}")

    # ---- catalog files
    cat = _d(_d(data.get("world")).get("catalog"))
    for key, val in [("file", cat.get("file"))] + [
        (("metadata", i), m) for i, m in enumerate(_l(cat.get("metadata")))
    ]:
        if isinstance(val, str) and ctx.base_dir is not None:
            if not (ctx.base_dir / val).exists():
                path = ("world", "catalog", *(key if isinstance(key, tuple) else (key,)))
                ctx.err(path, f"no such file {val!r} (relative to {ctx.base_dir})")

    # ---- world objects' owners
    for oi, obj in enumerate(_l(_d(data.get("world")).get("objects"))):
        owner = _d(obj).get("owner")
        if isinstance(owner, str) and owner not in actors and not owner.isupper():
            ctx.err(
                ("world", "objects", oi, "owner"),
                f"unknown actor {owner!r} (give an actor id or a catalog owner code)",
            )

    # ---- teams
    played_by: dict[str, tuple[str, str]] = {}
    for ti, team in enumerate(_l(data.get("teams"))):
        team = _d(team)
        for pi, aid in enumerate(_l(team.get("plays"))):
            if isinstance(aid, str) and aid not in actors:
                ctx.err(("teams", ti, "plays", pi), f"unknown actor {aid!r}")
            elif isinstance(aid, str):
                prev = played_by.get(aid)
                role = team.get("role")
                if prev and {prev[1], role} == {"blue", "red"}:
                    ctx.err(
                        ("teams", ti, "plays", pi),
                        f"actor {aid!r} is played by both red team {prev[0]!r} and blue",
                    )
                played_by.setdefault(aid, (str(team.get("id")), str(role)))

    # ---- sharing
    for si, ag in enumerate(_l(data.get("sharing"))):
        ag = _d(ag)
        check_team(("sharing", si, "provider"), ag.get("provider"))
        for ri, rid in enumerate(_l(ag.get("recipients"))):
            check_team(("sharing", si, "recipients", ri), rid)
            if rid == ag.get("provider"):
                ctx.err(("sharing", si, "recipients", ri), "a team cannot share with itself")
        for oi, oid in enumerate(_l(ag.get("objects"))):
            check_object(("sharing", si, "objects", oi), oid)
        for pi, product in enumerate(_l(ag.get("products"))):
            if product == "assessment":
                ctx.err(("sharing", si, "products", pi),
                        "the team pictures do not deliver shared assessments: the recipients "
                        "receive nothing; a team sends its assessment with notify or "
                        "coordination", "warning")  # fmt: skip

    # ---- critical tasks and objectives
    cts = _ids(
        ctx,
        (
            (("critical_tasks", i, "id"), _d(c).get("id"))
            for i, c in enumerate(_l(data.get("critical_tasks")))
        ),
        "critical task",
    )
    for ci, ct in enumerate(_l(data.get("critical_tasks"))):
        for ti, tid in enumerate(_l(_d(ct).get("teams"))):
            check_team(("critical_tasks", ci, "teams", ti), tid)
    objs = _ids(
        ctx,
        (
            (("objectives", i, "id"), _d(o).get("id"))
            for i, o in enumerate(_l(data.get("objectives")))
        ),
        "objective",
    )
    for oi, ob in enumerate(_l(data.get("objectives"))):
        ob = _d(ob)
        for ci, cid in enumerate(_l(ob.get("critical_tasks"))):
            if isinstance(cid, str) and cid not in cts:
                ctx.err(("objectives", oi, "critical_tasks", ci), f"unknown critical task {cid!r}")
        for ti, tid in enumerate(_l(ob.get("teams"))):
            check_team(("objectives", oi, "teams", ti), tid)

    # ---- events
    ev_ids: dict[str, PathT] = {}
    for ei, ev in enumerate(_l(data.get("events"))):
        _ids(ctx, [(("events", ei, "id"), _d(ev).get("id"))], "event/incident", ev_ids)
        for ii, inc in enumerate(_l(_d(ev).get("incidents"))):
            _ids(
                ctx,
                [(("events", ei, "incidents", ii, "id"), _d(inc).get("id"))],
                "event/incident",
                ev_ids,
            )
    serials: dict[str, PathT] = {}
    for path, inj in _iter_injects(data):
        _ids(ctx, [((*path, "serial"), inj.get("serial"))], "inject serial", serials)
        for ci, c in enumerate(_l(inj.get("contingency"))):
            s = _d(_d(c).get("inject")).get("serial")
            _ids(
                ctx, [((*path, "contingency", ci, "inject", "serial"), s)], "inject serial", serials
            )

    dv_spent: dict[str, float] = {}
    after_edges: dict[str, tuple[str, PathT]] = {}
    for path, inj in _iter_injects(data):
        serial = inj.get("serial")
        at = _time(inj.get("at"), startex) if "at" in inj else None
        if at is not None and startex and endex and not (startex <= at <= endex):
            ctx.err(
                (*path, "at"),
                f"inject time {at.isoformat()} is outside STARTEX..ENDEX "
                f"({startex.isoformat()} .. {endex.isoformat()})",
            )
        trig = _d(inj.get("trigger"))
        if "after" in trig and isinstance(trig["after"], str):
            if trig["after"] == serial:
                ctx.err((*path, "trigger", "after"), "an inject cannot trigger itself")
            elif trig["after"] not in serials:
                ctx.err((*path, "trigger", "after"), f"unknown inject {trig['after']}")
            elif isinstance(serial, str):
                after_edges[serial] = (trig["after"], (*path, "trigger", "after"))
        if "condition" in trig:
            _check_rule(
                ctx, (*path, "trigger", "condition"), trig["condition"], "condition", known_object
            )
            for key in ("not_before", "not_after"):
                t = _time(trig.get(key), startex) if key in trig else None
                if t is not None and startex and endex and not (startex <= t <= endex):
                    ctx.err((*path, "trigger", key), f"{t.isoformat()} is outside STARTEX..ENDEX")
        for ti, tid in enumerate(_l(inj.get("to"))):
            check_team((*path, "to", ti), tid)
        for key, reg, what in (
            ("objectives", objs, "objective"),
            ("critical_tasks", cts, "critical task"),
        ):
            for k, ident in enumerate(_l(inj.get(key))):
                if isinstance(ident, str) and ident not in reg:
                    ctx.err((*path, key, k), f"unknown {what} {ident!r}")
        for di, dref in enumerate(_l(_d(inj.get("payload")).get("data"))):
            for oi, oid in enumerate(_l(_d(dref).get("objects"))):
                check_object((*path, "payload", "data", di, "objects", oi), oid)
        expected = set()
        for xi, xa in enumerate(_l(inj.get("expected_actions"))):
            xa = _d(xa)
            expected.add(xa.get("action"))
            for bi, tid in enumerate(_l(xa.get("by"))):
                check_team((*path, "expected_actions", xi, "by", bi), tid)
            for oi, oid in enumerate(_l(xa.get("objects"))):
                check_object((*path, "expected_actions", xi, "objects", oi), oid)
            dl = _dur(xa.get("deadline"))
            if dl is not None and at is not None and endex and at + dl > endex:
                ctx.err(
                    (*path, "expected_actions", xi, "deadline"),
                    "deadline falls after ENDEX",
                    "warning",
                )
        for vi, crit in enumerate(_l(inj.get("evaluation"))):
            crit = _d(crit)
            if isinstance(crit.get("rule"), str):
                _check_rule(
                    ctx, (*path, "evaluation", vi, "rule"), crit["rule"], "evaluation", known_object
                )
            ct = crit.get("critical_task")
            if isinstance(ct, str) and ct not in cts:
                ctx.err((*path, "evaluation", vi, "critical_task"), f"unknown critical task {ct!r}")
        for ci, c in enumerate(_l(inj.get("contingency"))):
            c = _d(c)
            cp = (*path, "contingency", ci)
            miss = c.get("if_missing")
            if isinstance(miss, str) and miss not in expected:
                ctx.err(
                    (*cp, "if_missing"),
                    f"{miss!r} is not one of this inject's "
                    f"expected actions ({', '.join(sorted(map(str, expected))) or 'none'})",
                )
            if isinstance(c.get("fire"), str) and c["fire"] not in serials:
                ctx.err((*cp, "fire"), f"unknown inject {c['fire']}")
            cinj = _d(c.get("inject"))
            for ti, tid in enumerate(_l(cinj.get("to"))):
                check_team((*cp, "inject", "to", ti), tid)
            if cinj.get("action"):
                _check_action(
                    ctx,
                    (*cp, "inject", "action"),
                    _d(cinj["action"]),
                    startex,
                    endex,
                    at,
                    assets,
                    deployables,
                    sensors,
                    actors,
                    check_object,
                    dv_spent,
                    known_object,
                )
        if isinstance(inj.get("action"), dict):
            _check_action(
                ctx,
                (*path, "action"),
                inj["action"],
                startex,
                endex,
                at,
                assets,
                deployables,
                sensors,
                actors,
                check_object,
                dv_spent,
                known_object,
            )

    # ---- trigger cycles
    reported: set[str] = set()
    for start in after_edges:
        if start in reported:
            continue
        seen, cur = [start], start
        while cur in after_edges:
            cur = after_edges[cur][0]
            if cur == start:
                ctx.err(after_edges[start][1], "trigger cycle: " + " -> ".join([*seen, start]))
                reported.update(seen)
                break
            if cur in seen:
                break
            seen.append(cur)


def _check_site(ctx: _Ctx, path: PathT, network: str, site: str) -> None:
    if ctx.sites is None:
        ctx.err(
            path,
            "bundled sensor network not found (spacerange/data/sensors/"
            "public_sites.json); site refs not checked",
            "warning",
        )
        return
    if network not in ctx.sites:
        ctx.err(
            path,
            f"unknown sensor network {network!r}: expected one of {', '.join(sorted(ctx.sites))}",
        )
    elif site.upper() not in ctx.sites[network]:
        ctx.err(path, f"unknown sensor site {site!r} in network {network!r}")


def _check_rule(ctx: _Ctx, path: PathT, text: Any, context: str, known_object) -> None:
    if not isinstance(text, str):
        return
    try:
        rule = parse_rule(text, context)  # type: ignore[arg-type]
    except RuleError:
        return  # reported by the model
    for ident in rule.object_refs:
        if not known_object(ident):
            ctx.err(path, f"unknown object {ident!r} in rule")


def _check_action(
    ctx,
    path,
    act,
    startex,
    endex,
    at,
    assets,
    deployables,
    sensors,
    actors,
    check_object,
    dv_spent,
    known_object,
) -> None:
    kind = act.get("kind")

    def asset_of(key: str, need: str) -> dict | None:
        ident = act.get(key)
        if not isinstance(ident, str):
            return None
        if ident not in assets:
            if known_object(ident):
                ctx.err((*path, key), f"{ident!r} is not an asset of any actor")
            else:
                ctx.err((*path, key), f"unknown asset {ident!r}")
            return None
        a = assets[ident]
        if need == "rendezvous" and not a.get("rendezvous_capable"):
            ctx.err((*path, key), f"asset {ident!r} is not rendezvous_capable")
        if need == "maneuver" and not a.get("maneuverable"):
            ctx.err((*path, key), f"asset {ident!r} is not maneuverable")
        return a

    def spend(asset: dict | None, key: str, dv: Any, where: PathT) -> None:
        if asset is None or not isinstance(dv, int | float):
            return
        budget = asset.get("delta_v_mps")
        ident = act.get(key)
        dv_spent[ident] = dv_spent.get(ident, 0.0) + float(dv)
        if isinstance(budget, int | float) and dv_spent[ident] > budget + 1e-9:
            ctx.err(
                where,
                f"scripted delta-v of {ident!r} reaches {dv_spent[ident]:.3g} m/s, "
                f"over its budget of {budget:g} m/s",
            )

    if kind == "high_pc_conjunction":
        check_object((*path, "target"), act.get("target"))
        check_object((*path, "secondary"), act.get("secondary"))
        off = _dur(act.get("tca_offset"))
        if off is not None and at is not None and endex and at + off > endex:
            ctx.err((*path, "tca_offset"), "TCA falls after ENDEX", "warning")
    elif kind == "geo_rendezvous":
        a = asset_of("red_asset", "rendezvous")
        check_object((*path, "target"), act.get("target"))
        spend(a, "red_asset", act.get("dv_planned_mps"), (*path, "dv_planned_mps"))
        counterspace.check_action(ctx, path, act, asset_of, check_object, spend)
    elif kind == "leo_inspector":
        a = asset_of("inspector", "rendezvous")
        check_object((*path, "target"), act.get("target"))
        rel = _d(act.get("release"))
        dep = rel.get("deployable")
        if isinstance(dep, str) and deployables.get(dep) != act.get("inspector"):
            ctx.err(
                (*path, "release", "deployable"),
                f"{dep!r} is not a deployable of {act.get('inspector')!r}",
            )
        spend(a, "inspector", act.get("dv_planned_mps"), (*path, "dv_planned_mps"))
    elif kind == "debris_event":
        check_object((*path, "parent"), act.get("parent"))
        check_object((*path, "impactor"), act.get("impactor"))
    elif kind == "uncontrolled_reentry":
        check_object((*path, "object"), act.get("object"))
        t = _time(act.get("expected_reentry"), startex)
        if t is not None and at is not None and t <= at:
            ctx.err((*path, "expected_reentry"), "re-entry is before the inject's release")
    elif kind == "unannounced_maneuver":
        a = asset_of("asset", "maneuver")
        dv = act.get("dv_rtn_mps")
        if isinstance(dv, list) and all(isinstance(x, int | float) for x in dv):
            spend(a, "asset", math.sqrt(sum(x * x for x in dv)), (*path, "dv_rtn_mps"))
        t = _time(act.get("at"), startex) if "at" in act else None
        if t is not None and startex and endex and not (startex <= t <= endex):
            ctx.err((*path, "at"), f"{t.isoformat()} is outside STARTEX..ENDEX")
    elif kind == "sensor_outage":
        for i, sid in enumerate(_l(act.get("sensors"))):
            if isinstance(sid, str) and sid not in sensors:
                ctx.err((*path, "sensors", i), f"unknown sensor {sid!r}")
    elif kind == "new_launch":
        owner = act.get("owner")
        if isinstance(owner, str) and owner not in actors:
            ctx.err((*path, "owner"), f"unknown actor {owner!r}")
    elif kind in ("rf_interference", "laser_dazzle", "cyber_ground"):
        check_effect_action(ctx, path, act, assets, sensors, asset_of, known_object)
    elif kind in counterspace.CHECKED_KINDS:
        counterspace.check_action(ctx, path, act, asset_of, check_object, spend)
    elif kind in ("jamming_report", "media", "diplomatic_note"):
        for i, aid in enumerate(_l(act.get("assets"))):
            check_object((*path, "assets", i), aid)


# ------------------------------------------------------------------------------ public API
