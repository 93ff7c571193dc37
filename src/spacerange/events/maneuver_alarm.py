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
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2

__all__ = ["ResidualAlarmModel"]


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

    def threshold(self, dof: np.ndarray) -> np.ndarray:
        """The alarm threshold on ``d2`` for passes of ``dof`` measurements."""
        dof = np.maximum(np.asarray(dof, int), 1)
        return self.scale * chi2.isf(self.pfa, dof)

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
