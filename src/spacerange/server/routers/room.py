"""The control room's boards: the truth comparison (EXCON/evaluators), the exercise
overview (every role), a team's released ratings, and EXCON's "release ratings" control."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query

from spacerange.exercise.eventlog import jsonable
from spacerange.server.auth import Principal
from spacerange.server.deps import current_user, get_session, require_roles
from spacerange.server.engine import ExerciseSession
from spacerange.server.room import compare_team, overview, own_ratings, released_key
from spacerange.server.schemas import Ok, ReleaseIn

router = APIRouter(
    dependencies=[Depends(current_user)],
    responses={401: {"description": "not authenticated"}, 403: {"description": "forbidden"}},
)
_judge = require_roles("white", "evaluator", "admin")
_control = require_roles("white", "admin")


def _released(sess: ExerciseSession) -> bool:
    return bool(sess.store.get_state(released_key(sess.run_dir.resolve()), False))


@router.get(
    "/api/excon/compare", tags=["excon"], responses={404: {"description": "no playing team"}}
)
async def compare(
    team: str | None = Query(None, max_length=100),
    _: Principal = Depends(_judge),
    sess: ExerciseSession = Depends(get_session),
) -> dict:
    """What ``team`` believes against what is (EXCON/evaluators only): each object of its
    picture with its position error against truth and its own sigma, the truth objects it
    holds no track of, each open conjunction of its board with the truth TCA and miss of
    the same pair, and its graded conjunctions.  ``team`` omitted: the first blue team."""
    if team is None:
        team = next((t for t, r in sess.roles.items() if r == "blue"), "")
    if sess.roles.get(team) not in ("blue", "red"):
        raise HTTPException(404, f"no playing team {team!r}")
    view = await sess.team_view(team)
    ex_view = await sess.excon_view()
    return await sess.call(compare_team, sess.ex, view, ex_view.get("truth") or [], team)


@router.post("/api/excon/ratings/release", tags=["excon"], response_model=Ok)
async def release_ratings(
    body: ReleaseIn,
    _: Principal = Depends(_control),
    sess: ExerciseSession = Depends(get_session),
) -> Ok:
    """Release (``released=true``) or withdraw the ratings to the teams: each playing team
    then reads its own ratings, observers the scoreboard."""
    sess.store.set_state(released_key(sess.run_dir.resolve()), bool(body.released))
    return Ok(detail={"ratings_released": bool(body.released)})


@router.get("/api/exercise/overview", tags=["exercise"])
async def exercise_overview(
    who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> dict:
    """The exercise at a glance (every role): clock, window, run state; the MSEL's progress
    as counts per status (observers and the white cell); the scoreboard as permitted (the
    white cell and evaluators always; after EXCON released the ratings, observers all
    playing teams, a player its own team)."""
    win = sess.window()
    state = {"sim_time_utc": sess.clock_iso, "running": sess.running,
             "finished": sess.finished, "speed": sess.speed,
             "startex_utc": jsonable(win[0]) if win else None,
             "endex_utc": jsonable(win[1]) if win else None}  # fmt: skip
    ex_view = await sess.excon_view()
    summary = await sess.summary()
    return overview(state, ex_view.get("injects") or [], summary, sess.roles, who.role,
                    who.team, _released(sess))  # fmt: skip


@router.get("/api/exercise/ratings", tags=["exercise"])
async def my_ratings(
    who: Principal = Depends(require_roles("blue", "red")),
    sess: ExerciseSession = Depends(get_session),
) -> dict:
    """The caller's team's own ratings, once EXCON has released them (``released``;
    ``items`` empty before): objective, critical task, rating, note, time."""
    released = _released(sess)
    if not released or who.team is None:
        return {"released": released, "items": []}
    return {"released": True, "items": await sess.call(own_ratings, sess.ex, who.team)}
