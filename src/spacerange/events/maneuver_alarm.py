"""Manoeuvre alarms on catalog-maintenance residuals, with a false-alarm model fitted to
the tracker's own residuals.

Each pass that correlates with a catalog object gives ``d2``, the squared Mahalanobis
distance of its measurements from the object's prediction (state and covariance,
:func:`spacerange.od.passes.pass_mahalanobis`), with ``dof`` scalar measurements.  Were
the covariance right and the errors Gaussian, ``d2 ~ chi2(dof)``.  A real catalog's
covariances are not right (model error, mean-element fit error, unmodelled drag), so the
model fitted here is a scaled chi-square, ``d2 ~ s chi2(dof)``: ``s`` is the value for
which the tracker's own recent, un-alarmed passes exceed ``s chi2_q(dof)`` with the
nominal probability ``1 - q`` (``q`` = ``fit_quantile``, 0.95: fitted on the tail that the
threshold lies in, not on the core), never below 1.  A pass alarms when

    d2 > s * chi2.isf(pfa, dof)

(``pfa`` the false-alarm probability per pass).  Until ``min_samples`` passes have been
seen the nominal model (``s = 1``, times ``prior_scale``) is used.  Alarmed passes do not
enter the fit (a manoeuvre must not teach the model to ignore manoeuvres).

An alarm is a candidate, not yet a manoeuvre: a single pass can be inconsistent with its
prediction for reasons that do not persist (an outlier, an unlucky geometry, a covariance
too small for one pass), and a prediction can be wrong beyond its covariance (a track
fitted to a short arc, an element set's fit error): the pass then looks manoeuvred to every
test against that prediction.  :class:`ArcChangeTest` decides from the measurements
themselves: one orbit (an SGP4 differential correction,
:func:`spacerange.od.sgp4_dc.sgp4_differential_correction`) fitted to the object's recent
passes and the new one; a manoeuvre is an arc no single orbit explains (the team
pictures use this one).  :meth:`ResidualAlarmModel.confirm` is the older test: a later
pass against the *pre-alarm reference* (the track as it was before the alarmed pass,
carried to the later pass with its covariance): a manoeuvre moved the object off that
reference for good, so the later pass exceeds the same threshold again; a transient does
not, and its ``d2`` joins the fit (:meth:`ResidualAlarmModel.fit`).  A reference that is
itself wrong fails it as well, which is why the pictures no longer use it.

A tracker's covariance realism differs by orbit regime (radar-tracked LEO, optically
tracked GEO, eccentric and MEO orbits seen in short angles-only arcs), so a single scale
fitted on all passes is dominated by the regime with the most passes and fits none:
:class:`RegimeAlarmModels` keeps one :class:`ResidualAlarmModel` per regime
(:func:`orbit_regime`: from the tracker's own element set, never truth).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM

__all__ = ["ResidualAlarmModel", "RegimeAlarmModels", "ArcChangeTest", "orbit_regime",
           "ORBIT_REGIMES", "PASSIVE_OBJECT_TYPES", "may_maneuver"]  # fmt: skip

#: catalog object types whose residual alarms are not manoeuvres (debris and rocket bodies
#: have no propulsion: an alarm on one is an error of its track, a cross-tag or a drag
#: change, and is re-acquired, not reported as a manoeuvre)
PASSIVE_OBJECT_TYPES = frozenset({"DEBRIS", "ROCKET BODY"})


def may_maneuver(object_type: str | None) -> bool:
    """Whether a residual alarm on an object of catalog type ``object_type`` (the
    :class:`spacerange.catalog.model.ObjectType` value; ``None`` or ``"UNKNOWN"`` for an
    uncorrelated track) can be a manoeuvre."""
    return str(object_type or "UNKNOWN").upper() not in PASSIVE_OBJECT_TYPES


#: orbit regimes of :func:`orbit_regime`
ORBIT_REGIMES = ("leo", "geo", "other")
_SIDEREAL_DAY_S = 86164.0905


@dataclass
class ResidualAlarmModel:
    """Scaled chi-square false-alarm model of one tracker (see the module docstring)."""

    pfa: float = 1e-6
    fit_quantile: float = 0.95
    min_samples: int = 200
    window: int = 5000
    prior_scale: float = 4.0
    _ratios: deque = field(default_factory=deque, repr=False)
    scale: float = 1.0
    n_seen: int = 0

    def __post_init__(self) -> None:
        self._ratios = deque(maxlen=self.window)
        self.scale = self.prior_scale

    def threshold(self, dof: np.ndarray, pfa: float | None = None) -> np.ndarray:
        """The alarm threshold on ``d2`` for passes of ``dof`` measurements (at the false
        alarm probability ``pfa``, default the model's)."""
        dof = np.maximum(np.asarray(dof, int), 1)
        return self.scale * chi2.isf(self.pfa if pfa is None else pfa, dof)

    def test(self, d2: np.ndarray, dof: np.ndarray) -> np.ndarray:
        """Alarm mask of passes (``d2`` nan or ``dof`` 0: no alarm); then fits the model
        on the passes that did not alarm."""
        d2 = np.asarray(d2, float)
        dof = np.asarray(dof, int)
        ok = np.isfinite(d2) & (dof > 0)
        alarm = np.zeros(d2.shape, bool)
        alarm[ok] = d2[ok] > self.threshold(dof[ok])
        self.fit(d2[ok & ~alarm], dof[ok & ~alarm])
        return alarm

    def confirm(self, d2_ref: np.ndarray, dof_ref: np.ndarray) -> np.ndarray:
        """Confirmation mask of alarm candidates (see the module docstring): ``d2_ref``,
        ``dof_ref`` of a later pass against each candidate's pre-alarm reference; True
        where it exceeds the alarm threshold again (nan or ``dof`` 0: not confirmed).  The
        confirmation passes do not enter the fit (they are tested against an old
        reference)."""
        d2 = np.asarray(d2_ref, float)
        dof = np.asarray(dof_ref, int)
        ok = np.isfinite(d2) & (dof > 0)
        out = np.zeros(d2.shape, bool)
        out[ok] = d2[ok] > self.threshold(dof[ok])
        return out

    def fit(self, d2: np.ndarray, dof: np.ndarray) -> None:
        """Add un-alarmed passes to the sample and refit the scale."""
        d2 = np.asarray(d2, float)
        dof = np.asarray(dof, int)
        if d2.size:
            self._ratios.extend((d2 / chi2.ppf(self.fit_quantile, dof)).tolist())
            self.n_seen += int(d2.size)
        if len(self._ratios) >= self.min_samples:
            q = float(np.quantile(np.fromiter(self._ratios, float), self.fit_quantile))
            self.scale = max(1.0, q)


def orbit_regime(mean_motion_rad_s, ecc) -> np.ndarray:
    """Orbit regime per object (str array): ``"leo"`` (eccentricity below 0.1 and perigee
    altitude below 2,000 km), ``"geo"`` (eccentricity below 0.1 and period within 10 % of
    a sidereal day), else ``"other"`` (MEO, HEO, GTO, eccentric LEO-perigee orbits)."""
    n = np.asarray(mean_motion_rad_s, float)
    e = np.asarray(ecc, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.cbrt(MU_WGS72_KM3_S2 / n**2)
        period = 2 * np.pi / n
    out = np.full(n.shape, "other", dtype=object)
    near_circular = e < 0.1
    out[near_circular & (a * (1 - e) - RE_WGS72_KM < 2000.0)] = "leo"
    out[near_circular & (np.abs(period / _SIDEREAL_DAY_S - 1.0) < 0.1)] = "geo"
    return out


@dataclass
class RegimeAlarmModels:
    """One :class:`ResidualAlarmModel` per orbit regime (see the module docstring), all
    with the same settings; each call takes the regime of every pass (``regime`` (n,),
    e.g. from :func:`orbit_regime`).  Each regime sees a fraction of the passes, so its
    fit starts after ``min_samples`` = 50 of them (the prior scale 4 until then hid an
    8 m/s GEO burn for hours); the scale is fitted on the 99 % quantile (eccentric and
    MEO tracks seen in short angles-only arcs have tails far heavier than a scaled
    chi-square: their 95 % quantile fits the core and misses the tail the threshold
    lies in)."""

    pfa: float = 1e-6
    fit_quantile: float = 0.99
    min_samples: int = 50
    window: int = 5000
    prior_scale: float = 4.0
    models: dict = field(default_factory=dict, repr=False)

    def model(self, regime: str) -> ResidualAlarmModel:
        if regime not in self.models:
            self.models[regime] = ResidualAlarmModel(self.pfa, self.fit_quantile,
                                                     self.min_samples, self.window,
                                                     self.prior_scale)  # fmt: skip
        return self.models[regime]

    def _each(self, regime, fn, *arrays, out_dtype=float) -> np.ndarray:
        reg = np.asarray(regime, dtype=object)
        out = np.zeros(reg.shape, out_dtype)
        for r in dict.fromkeys(reg.tolist()):
            sel = reg == r
            res = fn(self.model(r), *(np.asarray(a)[sel] for a in arrays))
            if res is not None:
                out[sel] = res
        return out

    def threshold(self, dof, regime, pfa: float | None = None) -> np.ndarray:
        """The alarm threshold on ``d2`` per pass (at ``pfa``, default the models')."""
        return self._each(regime, lambda m, k: m.threshold(k, pfa), dof)

    def test(self, d2, dof, regime) -> np.ndarray:
        """Alarm mask per pass (:meth:`ResidualAlarmModel.test` of each regime's model)."""
        return self._each(regime, ResidualAlarmModel.test, d2, dof, out_dtype=bool)

    def confirm(self, d2_ref, dof_ref, regime) -> np.ndarray:
        """Confirmation mask of candidates (:meth:`ResidualAlarmModel.confirm`)."""
        return self._each(regime, ResidualAlarmModel.confirm, d2_ref, dof_ref, out_dtype=bool)

    def fit(self, d2, dof, regime) -> None:
        """Add passes to their regimes' fits (e.g. candidates a later pass cleared)."""
        self._each(regime, ResidualAlarmModel.fit, d2, dof)

    @property
    def scale(self) -> dict:
        """The fitted scale per regime seen so far."""
        return {r: m.scale for r, m in self.models.items()}


@dataclass
class ArcChangeTest:
    """Arc-consistency manoeuvre test on orbit fits to an object's own measurements.

    For each candidate: ``chi2`` (``dof``) of one orbit fitted to the object's recent
    passes up to and including the alarmed one (the *arc*).  Without a manoeuvre, and with
    the fit's dynamics right, ``chi2 ~ chi2(dof)``; a burn inside the arc leaves residuals
    no single orbit removes.  A manoeuvre when

        chi2 > s chi2.isf(pfa, dof)

    with ``s`` a scale fitted per class (``regime``) as :class:`RegimeAlarmModels` does,
    on the candidates cleared: the fit's own dynamics mismatch (e.g. SGP4's drag terms
    refitted at another epoch for a high-drag fragment) inflates the statistic of every
    arc of its class alike.  :meth:`consistent` is the same test without fitting, e.g.
    to find the last pass before the change (the longest consistent first part of the
    arc)."""

    models: RegimeAlarmModels = field(default_factory=lambda: RegimeAlarmModels(
        pfa=1e-6, fit_quantile=0.95, min_samples=30, prior_scale=2.0))  # fmt: skip

    def consistent(self, chi2_arc, dof, regime) -> np.ndarray:
        """True where an arc's fit is consistent (non-finite or ``dof`` <= 0: False)."""
        c = np.asarray(chi2_arc, float)
        k = np.asarray(dof, int)
        ok = np.isfinite(c) & (k > 0)
        out = np.zeros(c.shape, bool)
        if ok.any():
            reg = np.asarray(regime, dtype=object)
            out[ok] = c[ok] <= self.models.threshold(k[ok], reg[ok])
        return out

    def decide(self, chi2_arc, dof, regime) -> np.ndarray:
        """Manoeuvre mask per candidate (non-finite statistics: False); the cleared
        candidates join their class's fit."""
        c = np.asarray(chi2_arc, float)
        k = np.asarray(dof, int)
        reg = np.asarray(regime, dtype=object)
        ok = np.isfinite(c) & (k > 0)
        man = ok & ~self.consistent(c, k, reg)
        cleared = ok & ~man
        self.models.fit(c[cleared], k[cleared], reg[cleared])
        return man

    def threshold(self, dof, regime) -> np.ndarray:
        """The manoeuvre threshold on an arc's ``chi2`` per candidate."""
        return self.models.threshold(dof, regime)
