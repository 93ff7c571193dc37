"""In-memory catalog: objects with their latest element sets and numpy views of the elements.

A :class:`Catalog` is what analysis code works on: ``catalog.tle_lines()`` feeds SGP4
propagation, the array properties (one entry per object, in ``norad_ids`` order) feed
vectorized screening and filtering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from functools import cached_property
from pathlib import Path

import numpy as np

from spacerange.catalog.metadata import ObjectMetadata, infer_object_type
from spacerange.catalog.model import ElementSet, ObjectType, SpaceObject
from spacerange.catalog.owners import inherit_launch_owners, owner_query_codes
from spacerange.catalog.regime import orbit_sizes, regimes
from spacerange.catalog.store import REGIMES, CatalogStore
from spacerange.errors import Reject

__all__ = ["Catalog"]


class Catalog:
    """Objects, each with exactly one (its latest) element set, sorted by NORAD id.

    Build with :meth:`from_store`, :meth:`from_files` or :meth:`from_element_sets`.
    ``rejects`` holds what the source files refused (``from_files`` only).
    """

    def __init__(self, objects: Sequence[SpaceObject], rejects: Sequence[Reject] = ()):
        objs = [o for o in objects if o.element_sets]
        objs.sort(key=lambda o: o.norad_id)
        for o in objs:
            if len(o.element_sets) > 1:
                o.element_sets = [o.latest]
        self.objects: list[SpaceObject] = objs
        self.rejects: list[Reject] = list(rejects)

    # -- constructors -----------------------------------------------------------------------

    @classmethod
    def from_store(cls, store: CatalogStore, **filters) -> Catalog:
        """Latest element set of every object in ``store`` (``filters`` as
        :meth:`CatalogStore.list_objects`: ``types``, ``owners``, ``regime``)."""
        return cls(store.list_objects(**filters))

    @classmethod
    def from_element_sets(
        cls, elsets: Iterable[ElementSet], metadata: Iterable[ObjectMetadata] = ()
    ) -> Catalog:
        """Latest set per object among ``elsets``; metadata fills owner/type/launch/HBR."""
        latest: dict[int, ElementSet] = {}
        for e in elsets:
            cur = latest.get(e.norad_id)
            if cur is None or e.epoch >= cur.epoch:
                latest[e.norad_id] = e
        objs = {
            n: SpaceObject(
                norad_id=n,
                name=e.name,
                cospar_id=e.cospar_id,
                object_type=infer_object_type(e.name, e.cospar_id),
                element_sets=[e],
            )
            for n, e in latest.items()
        }
        donors: list[ObjectMetadata] = []  # metadata of objects without elements here
        for m in metadata:
            o = objs.get(m.norad_id)
            if o is None:
                donors.append(m)
                continue
            if m.object_type is not None:
                o.object_type = m.object_type
            o.owner = m.owner or o.owner
            o.cospar_id = m.cospar_id or o.cospar_id
            o.launch_date = m.launch_date or o.launch_date
            o.hbr_m = m.hbr_m if m.hbr_m is not None else o.hbr_m
            o.mass_kg = m.mass_kg if m.mass_kg is not None else o.mass_kg
        objects = list(objs.values())
        # payloads that decayed still name their launch's owner for its debris
        inherited = inherit_launch_owners(
            [o.cospar_id for o in objects] + [m.cospar_id for m in donors],
            [o.owner for o in objects] + [m.owner for m in donors],
            [o.object_type is ObjectType.PAYLOAD for o in objects]
            + [m.object_type is ObjectType.PAYLOAD for m in donors],
        )
        for o, own in zip(objects, inherited, strict=False):
            o.owner = own
        return cls(objects)

    @classmethod
    def from_files(
        cls, paths: Iterable[str | Path], metadata: Iterable[str | Path] = ()
    ) -> Catalog:
        """Parse element files (and metadata files, mixed in ``paths`` or in ``metadata``);
        refused records are kept in ``catalog.rejects``."""
        from spacerange.catalog.importer import read_files

        elsets, meta, rejects = read_files(paths, metadata)
        cat = cls.from_element_sets(elsets, meta)
        cat.rejects = rejects
        return cat

    # -- access -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.objects)

    def __iter__(self):
        return iter(self.objects)

    def __repr__(self) -> str:
        return f"<Catalog {len(self.objects)} objects>"

    def latest_elsets(self) -> list[ElementSet]:
        """The element set of each object, in ``norad_ids`` order."""
        return [o.element_sets[0] for o in self.objects]

    def tle_lines(self) -> list[tuple[str, str]]:
        """``[(line1, line2)]`` for SGP4, in ``norad_ids`` order."""
        return [(e.line1, e.line2) for e in self.latest_elsets()]

    def index_of(self, norad_id: int) -> int:
        """Position of ``norad_id`` in the arrays (``KeyError`` if absent)."""
        i = int(np.searchsorted(self.norad_ids, norad_id))
        if i >= len(self.norad_ids) or self.norad_ids[i] != norad_id:
            raise KeyError(norad_id)
        return i

    def _col(self, attr: str) -> np.ndarray:
        return np.array([getattr(e, attr) for e in self.latest_elsets()], dtype=float)

    @cached_property
    def norad_ids(self) -> np.ndarray:
        """NORAD ids, int64, shape (n_objects,), ascending."""
        return np.array([o.norad_id for o in self.objects], dtype=np.int64)

    @cached_property
    def epochs_utc(self) -> np.ndarray:
        """Element-set epochs, datetime64[us] UTC, shape (n_objects,)."""
        return np.array(
            [e.epoch.astimezone(UTC).replace(tzinfo=None) for e in self.latest_elsets()],
            dtype="datetime64[us]",
        )

    @cached_property
    def inclination_deg(self) -> np.ndarray:
        return self._col("inclination_deg")

    @cached_property
    def raan_deg(self) -> np.ndarray:
        return self._col("raan_deg")

    @cached_property
    def eccentricity(self) -> np.ndarray:
        return self._col("eccentricity")

    @cached_property
    def arg_perigee_deg(self) -> np.ndarray:
        return self._col("arg_perigee_deg")

    @cached_property
    def mean_anomaly_deg(self) -> np.ndarray:
        return self._col("mean_anomaly_deg")

    @cached_property
    def mean_motion_rev_day(self) -> np.ndarray:
        return self._col("mean_motion_rev_day")

    @cached_property
    def bstar(self) -> np.ndarray:
        """SGP4 drag term B*, 1/earth radii."""
        return self._col("bstar")

    @cached_property
    def _sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return orbit_sizes(self.mean_motion_rev_day, self.eccentricity)

    @property
    def semi_major_axis_km(self) -> np.ndarray:
        return self._sizes[0]

    @property
    def perigee_alt_km(self) -> np.ndarray:
        """Perigee altitude above a 6378.135 km sphere, km."""
        return self._sizes[1]

    @property
    def apogee_alt_km(self) -> np.ndarray:
        """Apogee altitude above a 6378.135 km sphere, km."""
        return self._sizes[2]

    @property
    def period_min(self) -> np.ndarray:
        return self._sizes[3]

    @cached_property
    def regime(self) -> np.ndarray:
        """Regime label per object, one of ``LEO MEO GEO IGSO GTO HEO`` (see
        :mod:`spacerange.catalog.regime`)."""
        return regimes(
            self.perigee_alt_km, self.apogee_alt_km, inclination_deg=self.inclination_deg
        )

    @cached_property
    def object_types(self) -> np.ndarray:
        """ObjectType values (str) per object."""
        return np.array([o.object_type.value for o in self.objects], dtype=object)

    @cached_property
    def owners(self) -> np.ndarray:
        return np.array([o.owner for o in self.objects], dtype=object)

    # -- selection --------------------------------------------------------------------------

    def mask(
        self,
        types: Iterable[ObjectType | str] | None = None,
        owners: Iterable[str] | None = None,
        regime: str | Iterable[str] | None = None,
    ) -> np.ndarray:
        """Boolean mask, shape (n_objects,), of objects matching every given filter."""
        keep = np.ones(len(self.objects), dtype=bool)
        if types is not None:
            tv = [ObjectType.parse(t).value if isinstance(t, str) else t.value for t in types]
            keep &= np.isin(self.object_types, tv)
        if owners is not None:
            keep &= np.isin(self.owners, owner_query_codes(owners))
        if regime is not None:
            wanted = [regime.upper()] if isinstance(regime, str) else [r.upper() for r in regime]
            bad = set(wanted) - set(REGIMES)
            if bad:
                raise ValueError(f"unknown regime(s) {sorted(bad)}; expected one of {REGIMES}")
            keep &= np.isin(self.regime, wanted)
        return keep

    def select(
        self,
        types: Iterable[ObjectType | str] | None = None,
        owners: Iterable[str] | None = None,
        regime: str | Iterable[str] | None = None,
    ) -> Catalog:
        """A new Catalog with the objects matching every given filter."""
        keep = self.mask(types=types, owners=owners, regime=regime)
        return Catalog([o for o, k in zip(self.objects, keep, strict=True) if k], self.rejects)

    def take(self, indices) -> Catalog:
        """A new Catalog with the objects at ``indices`` (array positions or a mask)."""
        idx = np.arange(len(self.objects))[np.asarray(indices)]
        return Catalog([self.objects[i] for i in np.atleast_1d(idx)], self.rejects)
