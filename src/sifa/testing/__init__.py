"""The one test world of Sifa: factories, the organisation tree and login helpers.

For tests only (the app tests under ``src/sifa/*/tests`` and the project tests under ``tests/``);
no product module imports it. Fixtures stay thin: they call :func:`tree` and the factories and
return the keys their tests already use.
"""

from sifa.testing.factories import (
    PASSWORD,
    CitizenFactory,
    CompanyFactory,
    OrganisationFactory,
    PersonFactory,
    RegionFactory,
    StaffFactory,
    id_number,
    staff,
)
from sifa.testing.login import api_client, bearer_client, totp_code, verified_login
from sifa.testing.tree import NODES, REGIONS, catalogue_tree, load_catalogue, rolled_back, tree

__all__ = [
    "NODES",
    "PASSWORD",
    "REGIONS",
    "CitizenFactory",
    "CompanyFactory",
    "OrganisationFactory",
    "PersonFactory",
    "RegionFactory",
    "StaffFactory",
    "api_client",
    "bearer_client",
    "catalogue_tree",
    "id_number",
    "load_catalogue",
    "rolled_back",
    "staff",
    "totp_code",
    "tree",
    "verified_login",
]
