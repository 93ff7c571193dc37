"""Countermeasures: collision-avoidance planning and GEO relocation."""
