"""Which membership a staff read is credited to in the citizen's access log: the one rule."""

from __future__ import annotations

from sifa.organisations.scope import Actor, Grant, attributed_membership

PROVINCE, CITY, COUNTY, OFFICE = "/1/2/", "/1/2/3/", "/1/2/3/4/", "/1/2/3/4/5/"
OTHER_CITY = "/1/2/0/"  # sorts before CITY: the first membership of an actor holding both


def actor(*memberships: tuple[int, str, str]) -> Actor:
    return Actor(user_id=1, memberships=tuple(memberships))


def test_the_nearest_ancestor_of_the_data_is_credited() -> None:
    both = actor((2, PROVINCE, "supervisor"), (3, CITY, "reviewer"))
    assert attributed_membership(both, COUNTY) == Grant(3, CITY, "reviewer")
    assert attributed_membership(both, "/1/2/9/") == Grant(2, PROVINCE, "supervisor")


def test_an_unrelated_organisation_is_never_credited() -> None:
    elsewhere = actor((9, OTHER_CITY, "window_clerk"), (5, OFFICE, "window_clerk"))
    assert attributed_membership(elsewhere, "/1/4/") is None
    assert attributed_membership(elsewhere, COUNTY) is None  # above both: only a window may see it
    assert attributed_membership(actor(), COUNTY) is None
    assert attributed_membership(elsewhere, "") is None


def test_a_window_below_the_data_is_credited_when_it_receives_for_it() -> None:
    clerk = actor((9, OTHER_CITY, "reviewer"), (5, OFFICE, "window_clerk"), (4, COUNTY, "window_clerk"))
    assert attributed_membership(clerk, CITY, from_below=["window_clerk"]) == Grant(4, COUNTY, "window_clerk")
    # Only the roles named may see upward; and a membership above the data always wins.
    assert attributed_membership(clerk, CITY, from_below=["reviewer"]) is None
    assert attributed_membership(clerk, OFFICE, from_below=["window_clerk"]) == Grant(
        5, OFFICE, "window_clerk"
    )


def test_roles_narrow_the_memberships_considered() -> None:
    staff = actor((2, PROVINCE, "decision_maker"), (3, CITY, "supervisor"))
    assert attributed_membership(staff, COUNTY, roles=["decision_maker", "reviewer"]) == Grant(
        2, PROVINCE, "decision_maker"
    )
    assert attributed_membership(staff, COUNTY, roles=["reviewer"]) is None
