import csv
from importlib import resources

import pytest

from ai_navigator.domain.places import distance_km, gazetteer, haversine_km, lookup


def test_every_prefecture_level_unit_has_coordinates_in_china():
    g = gazetteer()
    assert g.count["prefecture"] >= 333 and g.count["province"] == 34
    with resources.files("ai_navigator").joinpath("data", "places_cn.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        assert 3 < float(row["lat"]) < 54 and 73 < float(row["lng"]) < 136, row
    prefectures = [r for r in rows if r["level"] == "prefecture"]
    for row in prefectures:  # each resolves by full and short name
        assert lookup(row["name"]) is not None and lookup(row["short_name"]) is not None, row["name"]


@pytest.mark.parametrize("name,expected", [
    ("上海", "上海市"), ("上海市", "上海市"), ("Shanghai", "上海市"), ("SHANGHAI", "上海市"), ("西安", "西安市"),
    ("Xi'an", "西安市"), ("xian", "西安市"), ("Harbin", "哈尔滨市"), ("延边", "延边朝鲜族自治州"),
    ("湘西", "湘西土家族苗族自治州"), ("大兴安岭", "大兴安岭地区"), ("锡林郭勒", "锡林郭勒盟"),
    ("外滩", "外滩"), ("the Bund", "外滩"), ("故宫博物院", "故宫"), ("Forbidden City", "故宫"),
    ("北京朝阳区", "朝阳区"), ("浦东新区", "浦东新区"), ("香港", "香港特别行政区"),
])
def test_lookup(name, expected):
    assert lookup(name).name == expected


def test_ambiguous_and_unknown_names_are_not_guessed():
    assert lookup("朝阳区") is None          # Beijing and Changchun both have one
    assert lookup("公园") is None and lookup("家") is None and lookup("") is None and lookup(None) is None


def test_every_landmark_used_in_tests_resolves():
    for name in ("天安门", "故宫", "颐和园", "东方明珠", "豫园", "西湖", "灵隐寺", "兵马俑", "广州塔", "宽窄巷子",
                 "中山陵", "南京南站", "黄鹤楼", "鼓浪屿", "布达拉宫", "首都机场", "浦东机场", "北京西站",
                 "上海虹桥站", "五道口", "西直门", "中关村", "深圳北站", "世界之窗", "人民广场", "陆家嘴"):
        assert lookup(name) is not None, name


def test_haversine():
    assert haversine_km(0, 0, 0, 0) == 0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015.1, abs=1)
    assert distance_km(lookup("北京"), lookup("上海")) == pytest.approx(1067, abs=5)
    assert distance_km(lookup("外滩"), lookup("东方明珠")) < 2
