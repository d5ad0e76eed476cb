import pytest

from ai_navigator.domain import trips


def test_transport_states_distance_and_source():
    r = trips.recommend_transport("广州", "深圳")
    assert r["distance_source"] == "coordinates" and 90 < r["distance_km"] < 120
    assert r["recommended"] in {o["mode"] for o in r["options"]}


def test_transport_never_invents_a_distance():
    with pytest.raises(trips.TripError, match="distance_km"):
        trips.recommend_transport("我家", "上海")
    r = trips.recommend_transport("我家", "上海", distance_km_given=30)
    assert r["distance_km"] == 30 and r["distance_source"] == "request"


def test_transport_budget_changes_the_choice():
    cheap = trips.recommend_transport("北京", "广州", budget="low")["recommended"]
    rich = trips.recommend_transport("北京", "广州", budget="high")["recommended"]
    assert rich == "flight" and cheap != "flight"


@pytest.mark.parametrize("city", trips.supported_cities())
@pytest.mark.parametrize("style", ["relaxed", "balanced", "intensive"])
def test_guide_never_repeats(city, style):
    for days in (1, 3, 14):
        g = trips.travel_guide(city, days, style)
        seen = [a for d in g["days"] for a in d["attractions"]]
        assert len(seen) == len(set(seen)) and len(g["days"]) == days
        assert g["budget_cny"]["total"] > 0


def test_guide_budget_scales_with_travelers():
    one = trips.travel_guide("杭州", 3, travelers=1)["budget_cny"]
    four = trips.travel_guide("杭州", 3, travelers=4)["budget_cny"]
    assert four["food"] == 4 * one["food"] and four["lodging"] == 2 * one["lodging"]


@pytest.mark.parametrize("speed", [-1, 400.1, float("nan"), float("inf")])
def test_speed_rejects_absurd(speed):
    with pytest.raises(trips.TripError):
        trips.check_speed(speed)


def test_speed_thresholds():
    assert trips.check_speed(120, "expressway")["status"] == "ok"
    assert trips.check_speed(121, "expressway")["status"] == "over_limit"
    assert trips.check_speed(181, "expressway")["status"] == "severely_over_limit"
    assert trips.check_speed(59, "expressway")["status"] == "too_slow"
    assert trips.check_speed(0, "expressway")["status"] == "ok"  # stopped (e.g. in a jam) is not "too slow"
    assert trips.check_speed(31, "school_zone")["status"] == "over_limit"
