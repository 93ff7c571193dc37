"""spacerange: space situational awareness engine and space-operations exercise range.

The typed Python API is the product; the ``spacerange`` command and the server are thin
shells over it.  Conventions used throughout:

* positions in km, velocities in km/s, xyz on the last axis, arrays shaped
  ``(n_objects, n_times, 3)``;
* times are numpy ``datetime64[us]`` values in UTC, or timezone-aware ``datetime`` objects;
* every frame is named in the function or variable name (``r_teme_km``, ``v_gcrs_km_s``).
"""

__version__ = "0.1.0"
