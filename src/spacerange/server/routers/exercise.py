"""The caller's view of the live exercise: clock, picture, events, actions, report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse

from spacerange.exercise.eventlog import jsonable
from spacerange.server.auth import Principal
from spacerange.server.deps import current_user, get_session, require_roles
from spacerange.server.engine import ACTION_ROLES, ExerciseSession
from spacerange.server.schemas import (
    ActionIn,
    ActionResult,
    CancelIn,
    StateOut,
    TeamOut,
    UserOut,
    action_dict,
)

router = APIRouter(
    prefix="/api/exercise",
    tags=["exercise"],
    dependencies=[Depends(current_user)],
    responses={401: {"description": "not authenticated"}, 403: {"description": "forbidden"}},
)


def teams_out(sess: ExerciseSession) -> list[TeamOut]:
    return [TeamOut(id=t, name=sess.team_names.get(t, t), role=r) for t, r in sess.roles.items()]


@router.get("/state", response_model=StateOut)
def state(
    who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> StateOut:
    """Clock, speed and teams (every role)."""
    win = sess.window()
    # The scenario's file name only: absolute server paths are nobody's business.
    return StateOut(
        scenario=sess.scenario_path.name if sess.scenario_path else None,
        startex_utc=jsonable(win[0]) if win else None,
        endex_utc=jsonable(win[1]) if win else None,
        sim_time_utc=sess.clock_iso,
        speed=sess.speed,
        running=sess.running,
        finished=sess.finished,
        me=UserOut(id=who.user_id, username=who.username, role=who.role, team=who.team),
        teams=teams_out(sess),
    )


@router.get("/view")
async def view(
    who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> dict:
    """The caller's picture: its team's view (white/evaluators: the EXCON view)."""
    if who.sees_all:
        return await sess.excon_view()
    if who.team is None or who.team not in sess.roles:
        raise HTTPException(403, "your account has no team in this exercise")
    return await sess.team_view(who.team)


@router.get("/events", operation_id="events")
async def events(
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=5000),
    who: Principal = Depends(current_user),
    sess: ExerciseSession = Depends(get_session),
) -> list[dict]:
    """Log events after sequence number ``after`` that the caller may see."""
    return await sess.events_for(who, after, limit)


#: OpenAPI links (stateful API tests follow them): a submitted action can be cancelled by
#: its seq, and the log read from just before it.
_ACTION_LINKS = {
    "CancelIt": {"operationId": "cancel_action", "requestBody": {"seq": "$response.body#/seq"}},
    "EventsSince": {"operationId": "events", "parameters": {"after": "$response.body#/seq"}},
}


@router.post(
    "/actions",
    response_model=ActionResult,
    operation_id="submit_action",
    responses={
        200: {"links": _ACTION_LINKS},
        422: {"description": "not a valid action, or an instant outside the exercise"},
    },
)
async def submit_action(
    body: ActionIn,
    who: Principal = Depends(require_roles(*ACTION_ROLES)),
    sess: ExerciseSession = Depends(get_session),
) -> ActionResult:
    """Submit an action for the caller's team (one closed schema per ``kind``).
    ``accepted=false`` carries the engine's validation messages in ``errors``; text to a
    team the messaging rules do not allow gets 403, instants outside STARTEX..ENDEX 422."""
    if who.team is None or who.team not in sess.roles:
        raise HTTPException(403, "your account has no team in this exercise")
    action = action_dict(body)
    code, errs = sess.action_errors(who, action)
    if errs:
        raise HTTPException(code, "; ".join(errs))
    if sess.finished:
        return ActionResult(accepted=False, errors=["the exercise has ended (ENDEX)"], seq=None)
    res = await sess.submit_action(who.team, who.username, action)
    return ActionResult(**res)


@router.post(
    "/actions/cancel",
    response_model=ActionResult,
    operation_id="cancel_action",
    responses={422: {"description": "bad request body"}},
)
async def cancel_action(
    body: CancelIn,
    who: Principal = Depends(require_roles(*ACTION_ROLES)),
    sess: ExerciseSession = Depends(get_session),
) -> ActionResult:
    """Cancel one of the caller's team's pending actions (a burn or relocation not yet
    executed) by its log ``seq``; its delta-v is released.  ``accepted=false`` when there
    is no such pending action."""
    if who.team is None or who.team not in sess.roles:
        raise HTTPException(403, "your account has no team in this exercise")
    if sess.finished:
        return ActionResult(accepted=False, errors=["the exercise has ended (ENDEX)"], seq=None)
    return ActionResult(**await sess.cancel_action(who.team, who.username, body.seq))


@router.get(
    "/report",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {}}}, 503: {"description": "no report writer"}},
)
async def report(
    _: Principal = Depends(require_roles("white", "evaluator", "admin")),
    sess: ExerciseSession = Depends(get_session),
) -> FileResponse:
    """Write and return the after-action report (HTML)."""
    try:
        from spacerange.exercise.report import write_report
    except ImportError:
        raise HTTPException(503, "the report writer is not installed") from None
    live = await sess.summary()  # the graded events of a run still in play
    out = await sess.call(write_report, sess.run_dir, pdf=False, summary=live)
    path = getattr(out, "html", None) or sess.run_dir / "report.html"
    return FileResponse(path, media_type="text/html")


@router.get("/summary")
async def summary(
    _: Principal = Depends(require_roles("white", "evaluator", "admin")),
    sess: ExerciseSession = Depends(get_session),
) -> dict:
    """Scores and ratings so far (the CLI's JSON summary)."""
    return await sess.summary()
