"""The space-object catalog: element sets, their file formats, metadata, storage, import.

* :mod:`.model` - ``ElementSet``, ``SpaceObject``, ``ObjectType``, ``regime_of``
* :mod:`.tle` - TLE/3LE parsing (with per-record rejects), Alpha-5 ids, formatting
* :mod:`.formats` - GP JSON/CSV, CCSDS OMM adapter, ``load_any`` (content sniffing)
* :mod:`.metadata` - GCAT / SATCAT / CARA HBR metadata, object-type inference
* :mod:`.store` - ``CatalogStore`` interface, ``SqliteCatalogStore``
* :mod:`.importer` - ``import_files`` -> ``ImportReport``
* :mod:`.catalog` - in-memory ``Catalog`` with numpy views
"""

from spacerange.catalog.catalog import Catalog
from spacerange.catalog.formats import elementset_from_omm, load_any
from spacerange.catalog.importer import ImportReport, import_files
from spacerange.catalog.metadata import ObjectMetadata, infer_object_type, load_metadata
from spacerange.catalog.model import ElementSet, ObjectType, SpaceObject, regime_of
from spacerange.catalog.store import CatalogStore, SqliteCatalogStore
from spacerange.catalog.tle import (
    alpha5_decode,
    alpha5_encode,
    format_tle,
    parse_tle_file,
    parse_tle_lines,
    parse_tle_text,
)

__all__ = [
    "Catalog",
    "CatalogStore",
    "ElementSet",
    "ImportReport",
    "ObjectMetadata",
    "ObjectType",
    "SpaceObject",
    "SqliteCatalogStore",
    "alpha5_decode",
    "alpha5_encode",
    "elementset_from_omm",
    "format_tle",
    "import_files",
    "infer_object_type",
    "load_any",
    "load_metadata",
    "parse_tle_file",
    "parse_tle_lines",
    "parse_tle_text",
    "regime_of",
]
