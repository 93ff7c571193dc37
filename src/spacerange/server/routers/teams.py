"""Per-team data: a team reads only its own picture, inbox and actions (white/evaluators
read every team's)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from spacerange.server.auth import Principal
from spacerange.server.deps import current_user, get_session, require_team_access
from spacerange.server.engine import ExerciseSession
from spacerange.server.routers.exercise import teams_out
from spacerange.server.schemas import TeamOut

router = APIRouter(
    prefix="/api/teams",
    tags=["teams"],
    dependencies=[Depends(current_user)],
    responses={
        401: {"description": "not authenticated"},
        403: {"description": "not your team"},
        404: {"description": "no such team"},
    },
)


@router.get("", response_model=list[TeamOut])
def list_teams(sess: ExerciseSession = Depends(get_session)) -> list[TeamOut]:
    return teams_out(sess)


@router.get("/{team}/view")
async def team_view(
    team: str, who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> dict:
    require_team_access(team, who, sess)
    return await sess.team_view(team)


@router.get("/{team}/inbox")
async def team_inbox(
    team: str, who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> list:
    require_team_access(team, who, sess)
    return (await sess.team_view(team)).get("inbox", [])


@router.get("/{team}/actions")
async def team_actions(
    team: str, who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> list:
    require_team_access(team, who, sess)
    return (await sess.team_view(team)).get("actions", [])
