"""Content adjudication: does a submitted action say what the expected action asks for?

An expected action (``scenario.events.ExpectedAction``) is fulfilled only by an action of
the right kind whose *content* checks out; the kind alone earns nothing.  The checks:

* **objects**: the names the team used are mapped to truth through the team's own
  correlation (its designators, its own assets, public catalog ids; see
  ``Pictures.resolve``).  Every object the expected action lists must be among them,
  and the action may not name more than ``max(4, 2 x expected)`` objects (naming the
  whole catalog is not an answer).  A ``catalog_update`` with no listed objects must name
  at least one of the objects the threat created (launch, release, fragments).  The two
  parties of a collision are equivalent: both break up, so a team that names the impactor
  as the parent of the cloud it sees (often only the impactor's half) names a parent.
* **threat category**: assessments and reports are compared on the fixed taxonomy
  :data:`TAXONOMY`; a scenario's threat kinds map onto it through :data:`THREAT_CATEGORY`
  and free words through :data:`SYNONYMS`.  A word outside the taxonomy matches nothing.
* **messages** (report, notification, coordination): at least :data:`MIN_TEXT_CHARS`
  characters that name a taxonomy category or an object the team holds.
* **tasking / data share**: at least one object the team holds; a data share names
  products.
* **countermeasure**: a measure of :data:`MEASURES` (and one of the expected options
  when they are listed).
* **breakup attribution**: a ``parent`` that is an object the team holds (mapped through
  its correlation) and an ``epoch_utc``.  Whether the parent is the right one and the
  epoch close to the true break-up is the scenario's rule (``parent_correct``,
  ``epoch_error_s``, measured by the engine against the logged break-up), so a wrong
  parent is *performed but wrong* (the rule's rating), not *missing*.
* **manoeuvre**: an own asset (the expected one when listed) and at least
  :data:`MIN_DV_MPS`.  Whether it protects the asset (true miss above the scenario's
  threshold) is the scenario's evaluation rule, measured on truth at evaluation.

Measured quality against truth (TCA/miss error, Pc factor, re-entry window containing the
true time) is added by the engine to the action record as *evidence* (never shown to
the team) and read by the scenario's rules.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = [
    "TAXONOMY",
    "THREAT_CATEGORY",
    "SYNONYMS",
    "category",
    "MatchContext",
    "check",
]

#: the threat categories an assessment, report or expected action may name
TAXONOMY = (
    "conjunction",
    "proximity",
    "fragmentation",
    "reentry",
    "maneuver",
    "launch",
    "sensor_outage",
    "space_weather",
    "interference",
    "dazzling",
    "cyber",
)

#: scenario threat kind -> taxonomy category
THREAT_CATEGORY = {
    "high_pc_conjunction": "conjunction",
    "geo_rendezvous": "proximity",
    "leo_inspector": "proximity",
    "debris_event": "fragmentation",
    "uncontrolled_reentry": "reentry",
    "unannounced_maneuver": "maneuver",
    "sensor_outage": "sensor_outage",
    "space_weather": "space_weather",
    "new_launch": "launch",
    "asat_test": "fragmentation",
    "decoy_release": "launch",
    "covert_maneuver": "maneuver",
    "jamming_report": "interference",
    "rf_interference": "interference",
    "laser_dazzle": "dazzling",
    "cyber_ground": "cyber",
}

#: free words accepted for a category (lower case)
SYNONYMS = {
    "collision": "conjunction",
    "close approach": "conjunction",
    "rpo": "proximity",
    "rendezvous": "proximity",
    "inspector": "proximity",
    "inspection": "proximity",
    "breakup": "fragmentation",
    "break-up": "fragmentation",
    "debris": "fragmentation",
    "re-entry": "reentry",
    "manoeuvre": "maneuver",
    "new launch": "launch",
    "jamming": "interference",
    "outage": "sensor_outage",
    "sensor outage": "sensor_outage",
    "space weather": "space_weather",
    "geomagnetic storm": "space_weather",
    "rf interference": "interference",
    "laser": "dazzling",
    "dazzle": "dazzling",
    "saturation": "dazzling",
    "cyber attack": "cyber",
    "spoofing": "cyber",
}

#: protective measures a ``countermeasure`` action may name
MEASURES = ("safe_mode", "payload_off", "reconfigure", "frequency_change", "switch_link",
            "attitude_change", "relocate", "maneuver", "avoid_site", "isolate_feed",
            "cross_check")  # fmt: skip
MIN_TEXT_CHARS = 20
MIN_DV_MPS = 0.05
_TEXT_KINDS = {"report", "notification", "notify", "coordination", "rfi"}


def category(word: object) -> str | None:
    """The taxonomy category of ``word`` (a category, a scenario threat kind or a listed
    synonym); ``None`` for anything else."""
    if not isinstance(word, str):
        return None
    w = word.strip().lower()
    if w in TAXONOMY:
        return w
    if w in THREAT_CATEGORY:
        return THREAT_CATEGORY[w]
    w2 = w.replace("_", " ")
    return SYNONYMS.get(w) or SYNONYMS.get(w2) or (w2.replace(" ", "_") if w2.replace(
        " ", "_") in TAXONOMY else None)  # fmt: skip


def _categories_in(text: str) -> set[str]:
    t = text.lower()
    out = {c for c in TAXONOMY if c.replace("_", " ") in t or c in t}
    out |= {c for w, c in SYNONYMS.items() if w in t}
    return out


@dataclass
class MatchContext:
    """What the check needs about the team and the threat behind the inject.

    ``resolve(name) -> truth id | None`` is the team's correlation; ``own_assets`` its
    assets; ``threat`` the inject's taxonomy category (if any); ``new_objects`` the truth
    ids the threat created (for catalog updates); ``equivalents`` the truth ids that
    stand for an expected one (the other party of a collision)."""

    resolve: object
    own_assets: set[str] = field(default_factory=set)
    threat: str | None = None
    new_objects: set[str] = field(default_factory=set)
    equivalents: dict[str, set[str]] = field(default_factory=dict)


def _names(act: dict) -> list[str]:
    out: list[str] = []
    for key in ("objects", "object", "asset"):
        v = act.get(key)
        for x in [v] if isinstance(v, str) else (v or []):
            if isinstance(x, str) and x not in out:
                out.append(x)
    return out


def _check_attribution(act: dict, ctx: MatchContext) -> tuple[bool, str]:
    parent = act.get("parent")
    if not isinstance(parent, str) or ctx.resolve(parent) is None:  # type: ignore[operator]
        return False, f"parent {parent!r} is not an object the team holds"
    if not act.get("epoch_utc"):
        return False, "no breakup epoch stated"
    return True, f"parent {parent}, epoch {act['epoch_utc']}"


def check(expected, act: dict, ctx: MatchContext) -> tuple[bool, str]:
    """``(fulfils, evidence)`` of ``act`` (as the team submitted it) for ``expected``
    (kind already matched by :func:`~spacerange.exercise.actions.satisfies`)."""
    kind = str(act.get("kind"))
    names = _names(act)
    truth = {n: ctx.resolve(n) for n in names}  # type: ignore[operator]
    held = {t for t in truth.values() if t is not None}
    want = list(getattr(expected, "objects", []) or [])
    notes: list[str] = []
    if kind == "breakup_attribution":
        return _check_attribution(act, ctx)
    if want:
        missing = [o for o in want
                   if o not in held and not (ctx.equivalents.get(o, set()) & held)]  # fmt: skip
        if missing:
            return False, f"objects {names} do not include {len(missing)} expected object(s)"
        if len(names) > max(4, 2 * len(want)):
            return False, f"{len(names)} objects named: not a specific answer"
        notes.append("objects match")
    exp_threat = getattr(expected, "threat", None)
    exp_cat = category(getattr(exp_threat, "value", exp_threat)) if exp_threat else None
    if kind == "assessment":
        cat = category(act.get("threat"))
        if cat is None:
            return False, f"threat {act.get('threat')!r} is not a taxonomy category"
        if exp_cat and cat != exp_cat:
            return False, f"threat category {cat} (expected {exp_cat})"
        if not want and names and not held:
            return False, f"none of {names} is an object the team holds"
        notes.append(f"threat {cat}")
    elif kind in _TEXT_KINDS:
        text = str(act.get("text") or "")
        if len(text.strip()) < MIN_TEXT_CHARS:
            return False, f"text of {len(text.strip())} characters"
        cats = _categories_in(text) | ({category(act.get("threat"))} - {None})
        words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text))
        named = {w for w in words if ctx.resolve(w) is not None} | held  # type: ignore[operator]
        if exp_cat and exp_cat not in cats:
            return False, f"does not state the threat category {exp_cat}"
        if kind not in ("coordination", "rfi") and not (cats or named):
            return False, "names neither a threat category nor an object"
        notes.append(f"text {len(text)} chars")
    elif kind == "catalog_update":
        if not held:
            return False, f"none of {names} is a track the team holds"
        if not want and ctx.new_objects and not (held & ctx.new_objects):
            return False, "names none of the new objects"
        notes.append(f"{len(held)} tracks catalogued")
    elif kind == "tasking":
        if not held:
            return False, f"none of {names} is an object the team holds"
        notes.append(f"{len(held)} objects tasked")
    elif kind in ("share", "data_share"):
        if not act.get("products") or not held:
            return False, "no products or no object the team holds"
        notes.append(f"{len(held)} objects shared")
    elif kind == "maneuver":
        dv = act.get("dv_rtn_mps") or [0, 0, 0]
        mag = math.sqrt(sum(float(x) ** 2 for x in dv))
        if act.get("asset") not in ctx.own_assets or mag < MIN_DV_MPS:
            return False, f"burn of {mag:.3f} m/s on {act.get('asset')!r}"
        notes.append(f"burn {mag:.2f} m/s")
    elif kind == "countermeasure":
        measure = str(act.get("measure") or "").strip().lower().replace(" ", "_")
        opts = [str(o).lower() for o in getattr(expected, "options", []) or []]
        if measure not in MEASURES:
            return False, f"measure {act.get('measure')!r} is not a protective measure"
        if opts and measure not in opts and not ({"safe_mode", "payload_off"} & set(opts)):
            return False, f"measure {measure} is not one of {opts}"
        notes.append(f"measure {measure}")
    elif kind == "reentry_prediction":
        if not held:
            return False, f"object {act.get('object')!r} is not one the team holds"
    return True, "; ".join(notes) or "content ok"
