"""The route answers as plain functions (no HTTP): what /api/navigate and /api/ai/navigate return."""

import pytest

from ai_navigator.domain import navigation
from ai_navigator.domain.nlp import ParseError
from ai_navigator.domain.providers import ProviderError


def test_answer_keeps_stops_in_order_with_their_roles():
    a = navigation.answer("北京", "上海", ["天津", "济南"], "driving", "google")
    assert a["provider"] == "google" and a["url"].startswith("https://www.google.com/maps/dir/")
    assert [(p["role"], p["name"], p["matched"]) for p in a["places"]] == [
        ("origin", "北京", "北京市"), ("waypoint", "天津", "天津市"), ("waypoint", "济南", "济南市"),
        ("destination", "上海", "上海市")]


def test_answer_without_origin_or_provider_picks_the_first_that_carries_the_route():
    a = navigation.answer(None, "外滩", [], "walking", None)
    assert a["origin"] is None and a["provider"] == "amap"  # baidu's web scheme needs an origin
    assert [p["role"] for p in a["places"]] == ["destination"]


def test_answer_refuses_a_stop_the_provider_cannot_carry():
    with pytest.raises(ProviderError, match="waypoint"):
        navigation.answer("北京", "上海", ["济南"], "driving", "baidu")


def test_answer_query_takes_mode_and_provider_from_the_sentence_unless_given():
    a = navigation.answer_query("从北京到天津，骑车过去，用谷歌地图")
    assert (a["origin"], a["destination"], a["mode"], a["provider"]) == ("北京", "天津", "riding", "google")
    assert a["query"] == "从北京到天津，骑车过去，用谷歌地图"
    assert navigation.answer_query("从北京到天津，用谷歌地图", provider="amap")["provider"] == "amap"
    assert navigation.answer_query("从北京到天津")["mode"] == "driving"


def test_answer_query_without_destination_says_so():
    with pytest.raises(ParseError, match="destination"):
        navigation.answer_query("你好")
