"""Sensor interface: ground sites, truth states, look geometry, measurements.

Concepts (one per class):

* :class:`Site` -- a ground location (WGS-84 geodetic) with its field of regard: elevation
  mask, range limits and azimuth/elevation limits.
* :class:`TruthStates` -- true Earth-fixed (ITRS) states of ``n_objects`` at common times,
  ``(n_objects, n_times, 3)`` km and km/s, plus per-object size properties.
* :class:`Scene` -- per-time quantities shared by every sensor (GCRS->ITRS rotations, Sun
  position), computed once per time grid.
* :class:`LookGeometry` -- topocentric az/el/range/range-rate of selected (object, time)
  samples seen from one site (flat arrays).
* :class:`Sensor` -- abstract: ``detectable(geometry, truth, scene)`` and
  ``measure(truth, times, rng)`` returning :class:`Measurements`.

Light time and atmospheric refraction are neglected: measurements are geometric
(instantaneous) topocentric quantities.  For LEO the light time is < 10 ms (< 80 m of
along-track motion), below the nominal noise of the modelled sensors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from spacerange.frames import geodetic_to_itrs


@dataclass(frozen=True)
class Site:
    """A ground site (WGS-84) and its field of regard.

    ``az_min_deg``..``az_max_deg`` is the azimuth window measured clockwise from north; it
    may wrap through north (``az_min_deg > az_max_deg``, e.g. 300..60).  The full circle is
    0..360.  Ranges in km; ``max_range_km = inf`` means no limit."""

    site_id: str
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    min_elevation_deg: float = 0.0
    max_elevation_deg: float = 90.0
    min_range_km: float = 0.0
    max_range_km: float = float("inf")
    az_min_deg: float = 0.0
    az_max_deg: float = 360.0
    name: str = ""

    @cached_property
    def r_itrs_km(self) -> np.ndarray:
        """Site position in ITRS, km, shape (3,)."""
        return geodetic_to_itrs(
            np.float64(self.lat_deg), np.float64(self.lon_deg), np.float64(self.alt_m / 1e3)
        )

    @cached_property
    def enu_matrix(self) -> np.ndarray:
        """Rows: local East, North, Up unit vectors (geodetic normal) in ITRS, shape (3, 3).

        ``enu_matrix @ d_itrs`` gives the East/North/Up components of an ITRS vector."""
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    def in_azimuth_window(self, az_deg: np.ndarray) -> np.ndarray:
        """True where ``az_deg`` lies in the azimuth window (handles wrap through north)."""
        lo, hi = self.az_min_deg % 360.0, self.az_max_deg % 360.0
        if self.az_max_deg - self.az_min_deg >= 360.0:
            return np.ones(np.shape(az_deg), dtype=bool)
        if lo <= hi:
            return (az_deg >= lo) & (az_deg <= hi)
        return (az_deg >= lo) | (az_deg <= hi)

    def in_field_of_regard(self, g: LookGeometry) -> np.ndarray:
        """Elevation mask and limit, range limits and azimuth window of this site."""
        return (
            (g.el_deg >= self.min_elevation_deg)
            & (g.el_deg <= self.max_elevation_deg)
            & (g.range_km >= self.min_range_km)
            & (g.range_km <= self.max_range_km)
            & self.in_azimuth_window(g.az_deg)
        )


@dataclass
class ObjectProperties:
    """Per-object size properties used for detection: radar cross section (m^2), optical
    diameter (m) of the equivalent diffuse sphere, and Bond albedo (0..1), each (n_objects,)."""

    rcs_m2: np.ndarray
    diameter_m: np.ndarray
    albedo: np.ndarray

    def take(self, idx) -> ObjectProperties:
        return ObjectProperties(self.rcs_m2[idx], self.diameter_m[idx], self.albedo[idx])


#: Nominal size assumptions by object type (our choice, not measured values): typical
#: catalogued RCS (m^2), equivalent optical diameter (m) and the 0.1 albedo used widely for
#: debris photometry.
DEFAULT_PROPERTIES: dict[str, tuple[float, float, float]] = {
    "PAYLOAD": (2.0, 2.0, 0.1),
    "ROCKET BODY": (5.0, 3.0, 0.1),
    "DEBRIS": (0.05, 0.2, 0.1),
    "UNKNOWN": (0.5, 0.8, 0.1),
}


def default_properties(names: list[str] | None, n: int) -> ObjectProperties:
    """Size properties from object names via :func:`spacerange.catalog.metadata.infer_object_type`
    and :data:`DEFAULT_PROPERTIES` (UNKNOWN when no names are given)."""
    from spacerange.catalog.metadata import infer_object_type

    kinds = [infer_object_type(nm).value for nm in names] if names else ["UNKNOWN"] * n
    table = np.array([DEFAULT_PROPERTIES[k] for k in kinds]).reshape(n, 3)
    return ObjectProperties(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())


@dataclass
class TruthStates:
    """True ITRS states of ``n_objects`` at ``n_times`` common times.

    ``r_itrs_km`` / ``v_itrs_km_s``: (n_objects, n_times, 3); ``norad_ids``: (n_objects,);
    ``props``: sizes for detection (defaults: UNKNOWN type).  NaN rows (failed SGP4 states)
    are never visible."""

    norad_ids: np.ndarray
    r_itrs_km: np.ndarray
    v_itrs_km_s: np.ndarray
    props: ObjectProperties | None = None

    def __post_init__(self):
        if self.props is None:
            self.props = default_properties(None, len(self.norad_ids))


class Scene:
    """Per-time quantities shared by every sensor for a time grid ``times_utc`` (n_times,):

    * ``gcrs_to_itrs`` (n_times, 3, 3): rotation GCRS -> ITRS (frames.gcrs_to_itrs_matrices);
    * ``sun_gcrs_km`` / ``sun_itrs_km`` (n_times, 3): geocentric Sun (DE421)."""

    def __init__(self, times_utc: np.ndarray):
        self.times_utc = np.atleast_1d(np.asarray(times_utc, dtype="datetime64[us]"))

    @cached_property
    def gcrs_to_itrs(self) -> np.ndarray:
        from spacerange.frames import gcrs_to_itrs_matrices

        return gcrs_to_itrs_matrices(self.times_utc)[0]

    @cached_property
    def sun_gcrs_km(self) -> np.ndarray:
        from spacerange.bodies import sun_gcrs_km

        return sun_gcrs_km(self.times_utc)

    @cached_property
    def sun_itrs_km(self) -> np.ndarray:
        return np.einsum("tij,tj->ti", self.gcrs_to_itrs, self.sun_gcrs_km)

    def sun_elevation_deg(self, site: Site) -> np.ndarray:
        """Elevation of the Sun's centre seen from ``site`` (geometric), deg, (n_times,)."""
        d = self.sun_itrs_km - site.r_itrs_km
        up = site.enu_matrix[2]
        return np.degrees(np.arcsin(d @ up / np.linalg.norm(d, axis=-1)))

    @classmethod
    def of(cls, times) -> Scene:
        return times if isinstance(times, Scene) else cls(times)


@dataclass
class LookGeometry:
    """Topocentric geometry of selected samples seen from one site (all flat, (n,)).

    ``obj``/``t`` index the truth arrays; ``d_itrs_km`` (n, 3) is the site->object vector
    in ITRS; angles in degrees (azimuth clockwise from north), range km, range rate km/s
    (positive receding)."""

    obj: np.ndarray
    t: np.ndarray
    d_itrs_km: np.ndarray
    az_deg: np.ndarray
    el_deg: np.ndarray
    range_km: np.ndarray
    range_rate_km_s: np.ndarray

    def take(self, mask) -> LookGeometry:
        return LookGeometry(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


@dataclass
class NoiseModel:
    """White Gaussian noise (1-sigma) and constant biases added to measurements.

    ``time_bias_s`` shifts the recorded time tag relative to the instant actually measured
    (a clock error).  Angle sigmas apply to both angles (az/el or RA/Dec)."""

    sigma_range_km: float = 0.0
    sigma_range_rate_km_s: float = 0.0
    sigma_angle_deg: float = 0.0
    sigma_mag: float = 0.0
    bias_range_km: float = 0.0
    bias_range_rate_km_s: float = 0.0
    bias_angle_1_deg: float = 0.0
    bias_angle_2_deg: float = 0.0
    time_bias_s: float = 0.0

    def apply(self, m: Measurements, rng: np.random.Generator | None) -> Measurements:
        """Noisy copy of ``m`` (``rng=None``: biases only, no random noise)."""
        n = len(m.epochs)

        def noisy(x, sigma, bias):
            if x is None:
                return None
            out = x + bias
            if rng is not None and sigma > 0:
                out = out + rng.normal(0.0, sigma, n)
            return out

        a1 = noisy(m.angle_1_deg, self.sigma_angle_deg, self.bias_angle_1_deg)
        if a1 is not None:
            a1 = a1 % 360.0
        a2 = noisy(m.angle_2_deg, self.sigma_angle_deg, self.bias_angle_2_deg)
        shift = np.timedelta64(int(round(self.time_bias_s * 1e6)), "us")
        return Measurements(
            sensor_id=m.sensor_id,
            kind=m.kind,
            angle_type=m.angle_type,
            norad_ids=m.norad_ids,
            epochs=m.epochs + shift,
            range_km=noisy(m.range_km, self.sigma_range_km, self.bias_range_km),
            range_rate_km_s=noisy(
                m.range_rate_km_s, self.sigma_range_rate_km_s, self.bias_range_rate_km_s
            ),
            angle_1_deg=a1,
            angle_2_deg=a2,
            mag=noisy(m.mag, self.sigma_mag, 0.0),
            rcs_m2=m.rcs_m2,
        )


@dataclass
class Measurements:
    """Measurements of one sensor, flat arrays (n,), sorted as produced.

    ``angle_type`` is ``"AZEL"`` (angle_1 = azimuth, angle_2 = elevation, deg) or
    ``"RADEC"`` (topocentric right ascension / declination, GCRS axes, deg).  Fields a
    sensor does not measure are None."""

    sensor_id: str
    kind: str
    angle_type: str
    norad_ids: np.ndarray
    epochs: np.ndarray
    range_km: np.ndarray | None = None
    range_rate_km_s: np.ndarray | None = None
    angle_1_deg: np.ndarray | None = None
    angle_2_deg: np.ndarray | None = None
    mag: np.ndarray | None = None
    rcs_m2: np.ndarray | None = None

    FIELDS = ("norad_ids", "epochs", "range_km", "range_rate_km_s", "angle_1_deg",
              "angle_2_deg", "mag", "rcs_m2")  # fmt: skip

    def __len__(self) -> int:
        return len(self.epochs)

    def take(self, idx) -> Measurements:
        kw = {f: (None if getattr(self, f) is None else getattr(self, f)[idx])
              for f in self.FIELDS}  # fmt: skip
        return Measurements(self.sensor_id, self.kind, self.angle_type, **kw)

    @classmethod
    def concat(cls, parts: list[Measurements]) -> Measurements:
        """Join measurements of the same sensor (e.g. from several object blocks)."""
        p0 = parts[0]
        kw = {}
        for f in cls.FIELDS:
            vals = [getattr(p, f) for p in parts]
            kw[f] = None if vals[0] is None else np.concatenate(vals)
        return cls(p0.sensor_id, p0.kind, p0.angle_type, **kw)


@dataclass
class Sensor(ABC):
    """A sensor at a ground :class:`Site`.

    Subclasses define :meth:`detectable` (which geometric samples give a detection) and
    :meth:`true_measurements` (noise-free values); :meth:`measure` adds the noise model."""

    sensor_id: str
    site: Site
    noise: NoiseModel = field(default_factory=NoiseModel)
    max_tracks_per_hour: int | None = None
    max_concurrent: int | None = None
    kind: str = "sensor"

    @abstractmethod
    def detectable(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> np.ndarray:
        """Boolean mask (n,) of samples of ``g`` that this sensor detects."""

    @abstractmethod
    def true_measurements(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> Measurements:
        """Noise-free measurements of the (already detected) samples ``g``."""

    def measure(
        self,
        truth: TruthStates,
        times,
        rng: np.random.Generator | None = None,
        window: np.ndarray | None = None,
    ) -> Measurements:
        """Simulated measurements of ``truth`` at ``times`` (datetime64 array or Scene).

        ``window`` (n_objects, n_times) bool restricts to tasked samples.  ``rng=None``:
        noise-free (biases still applied)."""
        from spacerange.sensors.visibility import look_geometry

        scene = Scene.of(times)
        g = look_geometry(self.site, truth.r_itrs_km, truth.v_itrs_km_s, window=window)
        g = g.take(self.site.in_field_of_regard(g))
        g = g.take(self.detectable(g, truth, scene))
        return self.noise.apply(self.true_measurements(g, truth, scene), rng)

    def _base(self, g: LookGeometry, truth: TruthStates, scene: Scene, angle_type: str):
        return dict(
            sensor_id=self.sensor_id,
            kind=self.kind,
            angle_type=angle_type,
            norad_ids=np.asarray(truth.norad_ids)[g.obj],
            epochs=scene.times_utc[g.t],
        )
