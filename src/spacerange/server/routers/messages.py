"""Messages between teams under the scenario's sharing rules.

Who may write to whom: white/admin to any team; a blue team to the white cell and to any
team it has a sharing agreement with (either direction); red to the white cell and other
red teams; evaluators and observers send nothing.  A team reads what it sent and received.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from spacerange.exercise.eventlog import jsonable
from spacerange.server.auth import Principal
from spacerange.server.deps import current_user, get_session, get_store, require_roles
from spacerange.server.engine import ExerciseSession
from spacerange.server.schemas import MessageIn, MessageOut
from spacerange.server.store import Store

router = APIRouter(
    prefix="/api/messages",
    tags=["messages"],
    dependencies=[Depends(current_user)],
    responses={401: {"description": "not authenticated"}, 403: {"description": "forbidden"}},
)


def allowed_recipients(who: Principal, sess: ExerciseSession) -> list[str]:
    """The messaging rules (one definition, also applied to text-carrying actions)."""
    return sess.allowed_recipients(who)


@router.get("", response_model=list[MessageOut])
def list_messages(
    who: Principal = Depends(current_user), store: Store = Depends(get_store)
) -> list[dict]:
    # through the one serializer: rows stored before text was validated still serve
    if who.sees_all:
        return jsonable(store.messages_for(None))
    if who.team is None:
        return []
    return jsonable(store.messages_for(who.team))


@router.get("/recipients", response_model=list[str])
def recipients(
    who: Principal = Depends(current_user), sess: ExerciseSession = Depends(get_session)
) -> list[str]:
    return allowed_recipients(who, sess)


@router.post(
    "",
    response_model=MessageOut,
    status_code=201,
    responses={404: {"description": "no such team"}},
)
async def send_message(
    body: MessageIn,
    who: Principal = Depends(require_roles("white", "admin", "blue", "red")),
    sess: ExerciseSession = Depends(get_session),
    store: Store = Depends(get_store),
) -> dict:
    if body.to_team not in sess.roles:
        raise HTTPException(404, f"no team {body.to_team!r}")
    if body.to_team not in allowed_recipients(who, sess):
        raise HTTPException(403, f"no sharing arrangement lets you write to {body.to_team!r}")
    from_team = who.team or next((t for t, r in sess.roles.items() if r == "white"), "excon")
    msg = store.add_message(from_team, who.username, body.to_team, body.text, sess.clock_iso)
    sess.publish_message(msg)
    return msg
