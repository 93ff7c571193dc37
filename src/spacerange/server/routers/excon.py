"""EXCON (white cell) controls, evaluator ratings and notes, scoreboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from spacerange.server.auth import Principal
from spacerange.server.deps import current_user, get_session, require_roles
from spacerange.server.engine import ExerciseSession
from spacerange.server.schemas import (
    AdhocInjectIn,
    NoteIn,
    Ok,
    RateIn,
    RetimeIn,
    SerialIn,
    SpeedIn,
)

_control = require_roles("white", "admin")
_judge = require_roles("white", "evaluator", "admin")

router = APIRouter(
    prefix="/api/excon",
    tags=["excon"],
    dependencies=[Depends(current_user)],
    responses={
        401: {"description": "not authenticated"},
        403: {"description": "EXCON/evaluators only"},
        409: {"description": "not possible in the exercise's current state"},
    },
)


async def _guard(coro) -> Ok:
    try:
        return Ok(detail=await coro)
    except KeyError as e:
        raise HTTPException(404, f"unknown serial or id: {e}") from None
    except ValueError as e:
        raise HTTPException(409, str(e)) from None


@router.get("/view")
async def excon_view(
    _: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
) -> dict:
    """Everything: truth, every team's log, scores."""
    return await sess.excon_view()


@router.get("/scoreboard")
async def scoreboard(
    _: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
) -> dict:
    s = await sess.summary()
    return {"teams": s.get("teams", {}), "collisions": s.get("collisions", 0)}


@router.post("/start", response_model=Ok)
async def start(_: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)):
    """Start (or resume) the exercise clock."""
    if sess.finished:
        raise HTTPException(409, "the exercise has ended (ENDEX)")
    return await _guard(sess.start_clock())


@router.post("/pause", response_model=Ok)
async def pause(_: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)):
    return await _guard(sess.pause_clock())


@router.post("/speed", response_model=Ok)
async def speed(
    body: SpeedIn, _: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)
):
    return await _guard(sess.set_speed(body.speed))


@router.post("/inject/release", response_model=Ok, responses={404: {"description": "no serial"}})
async def release(
    body: SerialIn, _: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)
):
    return await _guard(sess.release_inject(body.serial))


@router.post("/inject/skip", response_model=Ok, responses={404: {"description": "no serial"}})
async def skip(
    body: SerialIn, _: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)
):
    return await _guard(sess.skip_inject(body.serial))


@router.get("/msel")
async def msel(
    _: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
) -> list[dict]:
    """The MSEL as a live board: every inject with its title, plan (time or trigger),
    release, each recipient team's acknowledgement and answers, and its ratings."""
    return await sess.msel()


@router.post(
    "/inject/adhoc",
    response_model=Ok,
    responses={422: {"description": "the scenario validator refused the inject"}},
)
async def adhoc(
    body: AdhocInjectIn,
    _: Principal = Depends(_control),
    sess: ExerciseSession = Depends(get_session),
):
    """Write an inject during play.  It is validated by the scenario validator as one more
    inject of the scenario (422 with its messages otherwise), logged, and released at
    ``at_utc`` (omitted: now).  ``dry_run``: validate only, the verdict in ``detail``
    (``valid``, ``errors``)."""
    if sess.finished:
        raise HTTPException(409, "the exercise has ended (ENDEX)")
    inject = body.inject()
    errors = await sess.check_adhoc(inject)
    if body.dry_run:  # the verdict itself is the answer
        return Ok(ok=not errors, detail={"serial": body.serial, "valid": not errors,
                                         "errors": errors})  # fmt: skip
    if errors:
        raise HTTPException(422, errors)
    return await _guard(sess.add_inject(inject))


@router.post(
    "/inject/retime",
    response_model=Ok,
    responses={404: {"description": "no serial"}, 422: {"description": "bad body or instant"}},
)
async def retime(
    body: RetimeIn, _: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)
):
    """Move a planned inject's release to ``at_utc`` (after now, before ENDEX)."""
    if not _instant(body.at_utc):
        raise HTTPException(422, "at_utc: not an ISO 8601 UTC instant")
    return await _guard(sess.retime_inject(body.serial, body.at_utc))


def _instant(s: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@router.post("/jump", response_model=Ok)
async def jump(_: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)):
    """Advance to the next scheduled item (inject release, deadline, burn, ENDEX)."""
    if sess.finished:
        raise HTTPException(409, "the exercise has ended (ENDEX)")
    return await _guard(sess.jump_next())


@router.post("/contingency", response_model=Ok, responses={404: {"description": "no serial"}})
async def contingency(
    body: SerialIn, _: Principal = Depends(_control), sess: ExerciseSession = Depends(get_session)
):
    return await _guard(sess.fire_contingency(body.serial))


@router.post(
    "/rate",
    response_model=Ok,
    responses={
        404: {"description": "no team or inject"},
        422: {"description": "bad body, team not rated, task not of the objective, bad time"},
    },
)
async def rate(
    body: RateIn, who: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
):
    """Rate a team on an objective (P/S/M/U): only the playing (blue and red) teams are
    rated, never the white cell or observers."""
    if body.team not in sess.roles:
        raise HTTPException(404, f"no team {body.team!r}")
    if sess.roles[body.team] not in ("blue", "red"):
        raise HTTPException(
            422, f"team {body.team!r} ({sess.roles[body.team]}) is not rated: only blue/red teams"
        )
    errs = sess.tie_errors(body.critical_task, body.objective, body.observed_utc)
    if errs:
        raise HTTPException(422, "; ".join(errs))
    tie = {"critical_task": body.critical_task, "serial": body.serial,
           "observed_utc": body.observed_utc}  # fmt: skip
    return await _guard(
        sess.rate(body.team, body.objective, body.rating, body.note, who.username, **tie)
    )


@router.get("/criteria")
async def criteria(
    _: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
) -> dict:
    """Objectives, critical tasks, every criterion of the released injects per evaluated
    team with its rating so far, and the queue of evaluator criteria still to rate."""
    return await sess.criteria()


@router.post(
    "/note",
    response_model=Ok,
    responses={404: {"description": "no team or inject"}, 422: {"description": "bad body or time"}},
)
async def note(
    body: NoteIn, who: Principal = Depends(_judge), sess: ExerciseSession = Depends(get_session)
):
    """Add an evaluator note (optionally about one team)."""
    if body.team is not None and body.team not in sess.roles:
        raise HTTPException(404, f"no team {body.team!r}")
    errs = sess.tie_errors(None, "", body.observed_utc)
    if errs:
        raise HTTPException(422, "; ".join(errs))
    tie = {"serial": body.serial, "observed_utc": body.observed_utc}
    return await _guard(sess.add_note(body.text, who.username, body.team, **tie))
