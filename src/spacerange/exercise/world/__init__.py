"""The exercise's truth world: every object's trajectory, threat enactment and the physics of
the teams' countermeasures.

Truth model
-----------
Every object — background catalog, scenario objects, actors' assets, objects created during
play — is propagated with SGP4/SDP4 (Vallado's C++ core through python-sgp4, WGS-72, TEME)
from a list of *arcs*: ``(valid_from_utc, Satrec)``.  A catalog or scenario TLE/OMM starts
the first arc.  Osculating orbits (Keplerian, Cartesian state, GEO slot) and every change of
orbit (impulsive manoeuvre, break-up fragment, released sub-satellite, scripted secondary,
drag change under a storm) start a new arc whose mean elements are *fitted* so that SGP4 at
the arc's epoch reproduces the osculating TEME state (fixed-point correction in equinoctial
elements, the method of :meth:`spacerange.events.breakup.Fragments.to_elsets`, iterated to
sub-millimetre residuals, kept in double precision — never rounded through TLE text).  So
a burn is continuous in position and adds exactly ``dv`` to the velocity, and after it the
object follows SGP4 dynamics (J2-J4 secular and periodic terms, lunisolar terms in deep
space, drag through B*).  Past states stay reproducible (every arc is kept), which the rule
functions (``min_range`` since a release) rely on.

Frames: states are TEME [km, km/s]; RTN is that of the object's own TEME state.

Threat enactment (``enact``), all physically consistent with the model above:

* ``high_pc_conjunction`` — the secondary's TEME state at TCA is the target's truth state
  offset by ``miss_m`` along the target's radial direction (perpendicular to both
  velocities, so TCA is the closest approach), with a horizontal velocity crossing the
  target's at the angle that gives ``relative_speed_km_s`` (default: the natural angle
  between the two orbit planes if >= 15 deg, else 60 deg); an arc fitted at TCA is then
  propagated by SGP4 backward to the release and forward.  The secondary is created
  (``new_secondary_id``) or its truth orbit replaced from the release (existing object).
* ``geo_rendezvous`` / ``leo_inspector`` — two-impulse transfer: the first burn (at
  release) is solved by Newton iteration on the SGP4 truth itself so that the chaser
  reaches, at ``release + duration``, the point trailing (or leading, on the side it comes
  from) the target by the final range *on the target's own orbit*; the second burn
  matches the target's velocity there, so the chaser then holds station.  Burns are
  charged to the delta-v budget and refused beyond it.  A ``release`` of a deployable
  creates a new object ``after`` the arrival with ``relative_speed_m_s`` toward the target.
* ``debris_event`` — NASA Standard Breakup Model (:mod:`spacerange.events.breakup`);
  each fragment >= ``min_size_m`` on a bound orbit becomes an object ``<prefix>-<nnnn>``.
* ``uncontrolled_reentry`` — an initial condition: the drag term (B*) of the object's
  element set is solved (bisection) so that its SGP4 orbit, with the storms scripted before
  play, decays at ``expected_reentry`` from STARTEX; the release changes nothing physical
  (an object created in play gets its decay at release).
  The truth re-entry is the last perigee pass below the re-entry height not after it.
* ``unannounced_maneuver`` — impulsive RTN burn (at ``at`` or now).
* ``sensor_outage`` — the sensors are marked out (or degraded) for the duration.
* ``space_weather`` — every LEO object's drag (B*) is multiplied, from the middle of the
  ramp to the end of the storm, by the density ratio of
  :func:`spacerange.events.space_weather.density_scale_factor` at its perigee height (or
  ``density_scale``); the teams' predictions keep their own B*, so they degrade.  A storm
  whose release is known before play is foreseen by encounters built before it (a
  fragment steered at a break-up propagates through the storm's re-arcs,
  :meth:`.environment.EnvironmentThreats.through_drag_changes`).
* ``new_launch`` — ``n_objects`` objects at ``orbit`` with isotropic separation speeds
  (Gaussian, ``separation_spread_m_s``).
* ``rf_interference``, ``laser_dazzle``, ``cyber_ground`` — non-kinetic effects on links,
  optical payloads and the ground segment (:mod:`.effects_rf`, :mod:`.effects_laser`,
  :mod:`.effects_cyber`); commands execute through the link model of :mod:`.effects_rf`.
* ``asat_test`` — direct-ascent ASAT test (:mod:`.asat`): launch at the first pass of the
  target over the site, interceptor created at burnout on a ballistic arc propagated by
  the engine (:mod:`spacerange.od.dynamics`) and solved to meet the target, tracked by the
  teams through the engine's OD, NASA SBM collision break-up at the intercept.
* ``decoy_release`` / ``covert_maneuver`` (:mod:`.deception`): objects released with a
  random relative velocity; a burn timed when the named teams' sensors cannot see the
  asset, with their custody lost / regained recorded.
* ``geo_rendezvous`` with ``guidance`` (:mod:`.rpo`): closed-loop hold at the commanded
  range, re-planned transfer when the target moves, abort / retry.
* message kinds — no physics.

Collisions: every scripted conjunction is checked in truth just after its TCA (after any
avoidance burns): if the closest approach within +/- 10 min is below the two hard-body
radii, the two objects collide (NASA SBM collision break-up of both).  Other pairs of the
background are not checked (see the report's gaps).
"""

from __future__ import annotations

from spacerange.exercise.world.asat import AsatThreats
from spacerange.exercise.world.conjunctions import ConjunctionThreats, arcs_closest_approach
from spacerange.exercise.world.core import WorldCore
from spacerange.exercise.world.deception import DeceptionThreats
from spacerange.exercise.world.effects_cyber import CyberEffects
from spacerange.exercise.world.effects_laser import LaserEffects
from spacerange.exercise.world.effects_rf import RfEffects
from spacerange.exercise.world.environment import EnvironmentThreats
from spacerange.exercise.world.model import *  # noqa: F403 - the package's public names
from spacerange.exercise.world.model import __all__ as _model_all
from spacerange.exercise.world.objects import ObjectThreats
from spacerange.exercise.world.proximity import ProximityThreats
from spacerange.exercise.world.rpo import RpoGuidance
from spacerange.exercise.world.team_actions import TeamActions


class World(WorldCore, CyberEffects, LaserEffects, RfEffects, ConjunctionThreats, ObjectThreats,
            ProximityThreats, EnvironmentThreats, TeamActions, AsatThreats, DeceptionThreats,
            RpoGuidance):  # fmt: skip
    """Truth world of one exercise run, built at STARTEX from ``(scenario, seed)``.

    ``base_dir`` resolves the scenario's relative catalog paths.  All randomness (break-up
    fragments, launch separations) comes from ``numpy.random.default_rng(seed)`` streams,
    so a run is reproducible.
    """

    def __init__(self, scenario, seed: int, base_dir=None):
        self._init_counterspace()
        super().__init__(scenario, seed, base_dir)


__all__ = [*_model_all, "World", "arcs_closest_approach"]
