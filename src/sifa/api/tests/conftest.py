"""The applications test world (catalogue loaded, citizens and staff), for the schema-vs-answer checks."""

from sifa.applications.tests.conftest import (  # noqa: F401  (fixtures)
    _media,
    build_tree,
    cat,
    loaded,
    world,
)
