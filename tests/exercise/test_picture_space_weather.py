"""A team's catalog through a storm (exercise.picture.space_weather): its LEO tracks are
re-arced at the storm's onset and end, as the world re-arcs the truth, with the team's
own density model (the published indices, its model's error); never before a transition
has happened."""

import math
import types

import numpy as np
import pytest

from spacerange.constants import MU_WGS72_KM3_S2
from spacerange.exercise.picture.catalog import CatalogMixin
from spacerange.exercise.picture.model import Track, _sgp4_states
from spacerange.exercise.picture.space_weather import SpaceWeatherMixin, team_density_ratio
from spacerange.exercise.world import fit_satrecs
from spacerange.exercise.world.environment import storm_arcs
from spacerange.exercise.world.model import _perigee_alt_km

T0 = np.datetime64("2026-03-08T18:00:00", "us")
HOUR = np.timedelta64(3600, "s")
RATIO = 3.0  # the storm's density ratio at every height


def _leo_sat(alt_km: float, bstar: float):
    a = 6378.135 + alt_km
    v = math.sqrt(MU_WGS72_KM3_S2 / a)
    i = math.radians(51.6)
    state = np.array([[a, 0.0, 0.0, 0.0, v * math.cos(i), v * math.sin(i)]])
    sats, _ = fit_satrecs(state, T0 - 24 * HOUR, bstar)
    return sats[0]


class _Pictures(SpaceWeatherMixin):
    _growth = staticmethod(CatalogMixin._growth)

    def __init__(self, eps: float):
        def drag_changes(after, until):
            out = [
                (T0, lambda h: np.full_like(np.asarray(h, float), RATIO), True),
                (T0 + 24 * HOUR, lambda h: np.full_like(np.asarray(h, float), RATIO), False),
            ]
            return [c for c in out if after < c[0] <= until]  # fmt: skip

        self.world = types.SimpleNamespace(startex=T0 - 48 * HOUR, drag_changes=drag_changes)
        self.tp = types.SimpleNamespace(tracks={}, storms=[], density_model_eps=eps,
                                        changed=set())  # fmt: skip
        self.teams = {"blue": self.tp}


@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_a_storm_re_arcs_the_teams_leo_tracks_with_its_own_density_model(eps):
    sat = _leo_sat(400.0, 2e-4)
    geo = _leo_sat(35786.0, 0.0)
    pics = _Pictures(eps)
    t_fit = T0 - 6 * HOUR
    pics.tp.tracks = {"LEO": Track(sat, t_fit, 0.5, 1.0, t_fit, t_fit),
                      "GEO": Track(geo, t_fit, 0.5, 0.2, t_fit, t_fit)}  # fmt: skip
    before = pics.tp.tracks["LEO"]
    # nothing happens before the onset (no foreknowledge)
    pics._space_weather(T0 - HOUR)
    assert pics.tp.tracks["LEO"] is before and not pics.tp.storms
    pics._space_weather(T0 + HOUR)
    tr = pics.tp.tracks["LEO"]
    k_team = 1.0 + (RATIO - 1.0) * (1.0 + eps)
    assert tr.epoch_utc == T0
    assert tr.satrec.bstar == pytest.approx(2e-4 * k_team, rel=1e-3)
    assert tr.growth_km_day == pytest.approx(k_team)
    assert pics.tp.tracks["GEO"].epoch_utc == t_fit  # above the drag ceiling: untouched
    # the same state at the onset (a re-arc, not a jump)
    d_km = np.linalg.norm(_sgp4_states([tr.satrec], T0)[0, :3] - _sgp4_states([sat], T0)[0, :3])
    assert d_km < 0.05
    # the truth's storm arc (the world's re-arc of the same state at the true ratio): the
    # team's prediction 12 h on errs by its density model's error only
    x0 = _sgp4_states([sat], T0)
    truth, _ = storm_arcs(x0, T0, np.array([2e-4]), np.array([_perigee_alt_km(sat)]),
                          lambda h: np.full_like(np.asarray(h, float), RATIO), True)  # fmt: skip
    t12 = T0 + 12 * HOUR
    err_team = np.linalg.norm(_sgp4_states([tr.satrec], t12)[0, :3]
                              - _sgp4_states([truth[0]], t12)[0, :3])  # fmt: skip
    err_blind = np.linalg.norm(_sgp4_states([sat], t12)[0, :3]
                               - _sgp4_states([truth[0]], t12)[0, :3])  # fmt: skip
    assert err_blind > 1.0  # the storm's drag: kilometres in 12 h
    assert err_team < (0.1 if eps == 0.0 else 0.5 * err_blind)
    # the end: the drag the team knew before the storm, the growth of quiet times
    pics._space_weather(T0 + 25 * HOUR)
    tr = pics.tp.tracks["LEO"]
    assert tr.satrec.bstar == pytest.approx(2e-4, rel=1e-3)
    assert tr.growth_km_day == pytest.approx(1.0) and not pics.tp.storms


def test_the_teams_density_model_errs_on_the_storm_excess_only():
    fn = team_density_ratio(lambda h: np.full_like(np.asarray(h, float), 4.0), -0.25)
    assert fn(400.0) == pytest.approx(1.0 + 3.0 * 0.75)
    quiet = team_density_ratio(lambda h: np.ones_like(np.asarray(h, float)), 0.5)
    assert quiet(400.0) == pytest.approx(1.0)
