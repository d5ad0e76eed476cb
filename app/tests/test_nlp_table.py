"""Table-driven parsing tests: (query, origin, destination, waypoints, mode, provider).

Includes the prototype's failures, colloquial forms, noise and English."""

import pytest

from ai_navigator.domain.nlp import ParseError, parse

N = None
CASES = [
    # the prototype's failures
    ("从家步行到公园", "家", "公园", [], "walking", N),
    ("导航到上海", N, "上海", [], N, N),
    ("我想去上海", N, "上海", [], N, N),
    # plain origin/destination
    ("从北京到上海", "北京", "上海", [], N, N),
    ("北京到上海怎么走", "北京", "上海", [], N, N),
    ("北京至上海", "北京", "上海", [], N, N),
    ("从天安门去故宫", "天安门", "故宫", [], N, N),
    ("去外滩", N, "外滩", [], N, N),
    ("到西湖怎么走", N, "西湖", [], N, N),
    ("上海怎么走", N, "上海", [], N, N),
    ("上海", N, "上海", [], N, N),
    ("怎么去广州塔", N, "广州塔", [], N, N),
    ("我要去北京西站", N, "北京西站", [], N, N),
    ("帮我规划一下从上海虹桥站到外滩的路线", "上海虹桥站", "外滩", [], N, N),
    ("请问从南京南站到中山陵怎么走？", "南京南站", "中山陵", [], N, N),
    ("北京出发去天津", "北京", "天津", [], N, N),
    ("从北京出发，到天津", "北京", "天津", [], N, N),
    ("我在外滩，想去东方明珠", "外滩", "东方明珠", [], N, N),
    ("我现在在人民广场，要去豫园", "人民广场", "豫园", [], N, N),
    ("从这里去天安门", N, "天安门", [], N, N),
    ("从我的位置到首都机场", N, "首都机场", [], N, N),
    ("回家", N, "家", [], N, N),
    ("下班回家", N, "家", [], N, N),
    ("从公司回家", "公司", "家", [], N, N),
    ("带我去鼓浪屿", N, "鼓浪屿", [], N, N),
    ("前往布达拉宫", N, "布达拉宫", [], N, N),
    ("目的地是黄鹤楼", N, "黄鹤楼", [], N, N),
    ("去从化", N, "从化", [], N, N),
    ("去南京路步行街", N, "南京路步行街", [], N, N),
    ("明天早上从杭州东站去灵隐寺", "杭州东站", "灵隐寺", [], N, N),
    ("导航去深圳北站吧", N, "深圳北站", [], N, N),
    ("麻烦导航到成都宽窄巷子，谢谢", N, "成都宽窄巷子", [], N, N),
    # modes
    ("步行去公园", N, "公园", [], "walking", N),
    ("走路到学校", N, "学校", [], "walking", N),
    ("我想走路去超市", N, "超市", [], "walking", N),
    ("骑行去西湖", N, "西湖", [], "riding", N),
    ("骑车从家到公司", "家", "公司", [], "riding", N),
    ("我要骑自行车从家到学校", "家", "学校", [], "riding", N),
    ("骑共享单车去地铁站", N, "地铁站", [], "riding", N),
    ("坐公交去人民广场", N, "人民广场", [], "transit", N),
    ("坐地铁从五道口到西直门", "五道口", "西直门", [], "transit", N),
    ("乘地铁去陆家嘴", N, "陆家嘴", [], "transit", N),
    ("坐车去火车站", N, "火车站", [], "transit", N),
    ("开车去天津", N, "天津", [], "driving", N),
    ("自驾从成都到重庆", "成都", "重庆", [], "driving", N),
    ("驾车从西安到兵马俑", "西安", "兵马俑", [], "driving", N),
    ("打车去机场", N, "机场", [], "driving", N),
    ("骑车去公交站", N, "公交站", [], "riding", N),
    ("步行去地铁2号线", N, "地铁2号线", [], "walking", N),
    # a trailing mode phrase with its direction verb is the mode, not a place (过/去 are no stop)
    ("从北京到天津，开车过去", "北京", "天津", [], "driving", N),
    ("去外滩骑车过去", N, "外滩", [], "riding", N),
    ("去天安门，坐地铁去", N, "天安门", [], "transit", N),
    ("去天坛，坐地铁去。", N, "天坛", [], "transit", N),
    ("去西湖，打车过去", N, "西湖", [], "driving", N),
    ("去故宫步行过去", N, "故宫", [], "walking", N),
    ("我要去机场，坐公交去吧", N, "机场", [], "transit", N),
    ("去虹桥机场，坐高铁过去", N, "虹桥机场", [], "transit", N),
    ("我想去颐和园，坐地铁过去可以吗", N, "颐和园", [], "transit", N),
    ("去外滩, 走路过去", N, "外滩", [], "walking", N),
    ("到南京路，骑车去", N, "南京路", [], "riding", N),
    ("去鼓楼，骑过去", N, "鼓楼", [], "riding", N),
    ("去上海，开过去吧", N, "上海", [], "driving", N),
    ("从南京经过镇江到常州，开车过来", "南京", "常州", ["镇江"], "driving", N),
    # ...but before a place the verb still marks it
    ("坐地铁去人民广场", N, "人民广场", [], "transit", N),
    ("骑车去西湖，然后去灵隐寺", N, "灵隐寺", ["西湖"], "riding", N),
    # providers
    ("用百度地图导航到上海", N, "上海", [], N, "baidu"),
    ("用高德从北京开车去天津", "北京", "天津", [], "driving", "amap"),
    ("高德地图：从外滩到豫园", "外滩", "豫园", [], N, "amap"),
    ("谷歌地图 去故宫", N, "故宫", [], N, "google"),
    ("在百度地图上查一下从天安门到故宫", "天安门", "故宫", [], N, "baidu"),
    ("打开高德，步行去西湖", N, "西湖", [], "walking", "amap"),
    # waypoints, in order
    ("从北京出发依次经过天津、济南到上海", "北京", "上海", ["天津", "济南"], N, N),
    ("从北京到上海，途经南京", "北京", "上海", ["南京"], N, N),
    ("去上海，途经南京和苏州", N, "上海", ["南京", "苏州"], N, N),
    ("从家经过超市到公司", "家", "公司", ["超市"], N, N),
    ("先去南京再去苏州", N, "苏州", ["南京"], N, N),
    ("先去南京再去苏州最后到上海", N, "上海", ["南京", "苏州"], N, N),
    ("北京出发，先到天津，再去济南，最后到上海", "北京", "上海", ["天津", "济南"], N, N),
    ("依次去天津、济南、南京", N, "南京", ["天津", "济南"], N, N),
    ("开车回家，顺路去超市", N, "家", ["超市"], "driving", N),
    ("从公司出发路过菜市场回家", "公司", "家", ["菜市场"], N, N),
    ("去上海然后回家", N, "家", ["上海"], N, N),
    ("从天安门出发，经过故宫，再去颐和园", "天安门", "颐和园", ["故宫"], N, N),
    ("用谷歌地图开车从北京经过天津和济南去上海", "北京", "上海", ["天津", "济南"], "driving", "google"),
    # English
    ("from Beijing to Shanghai", "Beijing", "Shanghai", [], N, N),
    ("Beijing to Shanghai", "Beijing", "Shanghai", [], N, N),
    ("Take me to Shanghai", N, "Shanghai", [], N, N),
    ("navigate to the Bund", N, "the Bund", [], N, N),
    ("I want to go to West Lake", N, "West Lake", [], N, N),
    ("How do I get from the Bund to Pudong Airport?", "the Bund", "Pudong Airport", [], N, N),
    ("Shanghai", N, "Shanghai", [], N, N),
    ("walk from here to the Bund", N, "the Bund", [], "walking", N),
    ("I want to walk to the park", N, "the park", [], "walking", N),
    ("directions to West Lake by bike", N, "West Lake", [], "riding", N),
    ("cycle from home to the office", "home", "the office", [], "riding", N),
    ("take the bus to the train station", N, "the train station", [], "transit", N),
    ("by subway from Xizhimen to Wudaokou", "Xizhimen", "Wudaokou", [], "transit", N),
    ("drive from Beijing to Tianjin", "Beijing", "Tianjin", [], "driving", N),
    ("Please navigate to the Forbidden City using Baidu Maps", N, "the Forbidden City", [], N, "baidu"),
    ("route from Hangzhou to Shanghai on amap", "Hangzhou", "Shanghai", [], N, "amap"),
    ("google maps: from the Bund to Yu Garden on foot", "the Bund", "Yu Garden", [], "walking", "google"),
    ("Navigate to the Forbidden City via Tiananmen", N, "the Forbidden City", ["Tiananmen"], N, N),
    ("drive from Beijing to Shanghai stopping at Jinan and Nanjing", "Beijing", "Shanghai", ["Jinan", "Nanjing"],
     "driving", N),
    ("from Beijing to Shanghai via Tianjin, Jinan and Nanjing by car", "Beijing", "Shanghai",
     ["Tianjin", "Jinan", "Nanjing"], "driving", N),
    ("first go to Tianjin, then Jinan, finally Shanghai", N, "Shanghai", ["Tianjin", "Jinan"], N, N),
    ("from home to the office, then the gym", "home", "the gym", ["the office"], N, N),
    ("I'm at the Bund, take me to Yu Garden on foot", "the Bund", "Yu Garden", [], "walking", N),
    ("go to Shanghai, stopping at Suzhou", N, "Shanghai", ["Suzhou"], N, N),
    ("hey, how do I get to Tsinghua University by metro", N, "Tsinghua University", [], "transit", N),
    # more colloquial forms
    ("我想从北京坐高铁去上海", "北京", "上海", [], "transit", N),
    ("明天我要开车从杭州到宁波，中间经过绍兴", "杭州", "宁波", ["绍兴"], "driving", N),
    ("带我去最近的地铁站", N, "地铁站", [], N, N),
    ("去机场怎么走最快", N, "机场", [], N, N),
    ("走路去附近的超市", N, "超市", [], "walking", N),
    ("从这儿走到天安门要多久", N, "天安门", [], "walking", N),
    ("怎么从外滩走到豫园", "外滩", "豫园", [], "walking", N),
    ("北京怎么去上海", "北京", "上海", [], N, N),
    ("上海到杭州坐高铁要多久", "上海", "杭州", [], "transit", N),
    ("从家出发先送孩子去学校再去公司", "家", "公司", ["学校"], N, N),
    ("请帮我导航回公司", N, "公司", [], N, N),
    ("给我规划一条从北京到天津的路线", "北京", "天津", [], N, N),
    ("我想去上海玩", N, "上海", [], N, N),
    ("Take me home", N, "home", [], N, N),
    ("how to get to the Forbidden City from Tiananmen Square on foot", "Tiananmen Square", "the Forbidden City", [],
     "walking", N),
    ("directions from Shanghai to Hangzhou by train", "Shanghai", "Hangzhou", [], "transit", N),
    ("go to the Bund then the Oriental Pearl Tower then Yu Garden", N, "Yu Garden",
     ["the Bund", "the Oriental Pearl Tower"], N, N),
    ("from the hotel to West Lake, passing through Lingyin Temple", "the hotel", "West Lake", ["Lingyin Temple"], N, N),
    ("Beijing -> Shanghai", "Beijing", "Shanghai", [], N, N),
    ("北京→天津→上海", "北京", "上海", ["天津"], N, N),
    # noise: full-width, extra spaces, punctuation
    ("  从　北京　到　上海  ！！", "北京", "上海", [], N, N),
    ("从北京到上海。。。", "北京", "上海", [], N, N),
    ("嗯，我想去上海吧", N, "上海", [], N, N),
    ("FROM BEIJING TO SHANGHAI", "BEIJING", "SHANGHAI", [], N, N),
    ("从Beijing到Shanghai", "Beijing", "Shanghai", [], N, N),
    ("from 北京 to 上海", "北京", "上海", [], N, N),
    ("去上海|latlng:0", N, "latlng:0", ["上海"], N, N),
]

NO_DESTINATION = ["你好", "hello", "去", "to", "从北京到", "从北京出发", "经过南京", "via Nanjing", "导航", "？？？",
                  "from Beijing", "天气怎么样"]


@pytest.mark.parametrize("query,origin,destination,waypoints,mode,provider", CASES, ids=[c[0] for c in CASES])
def test_parse(query, origin, destination, waypoints, mode, provider):
    r = parse(query)
    expected = (origin, destination, waypoints, mode, provider)
    assert (r.origin, r.destination, r.waypoints, r.mode, r.provider) == expected


def test_table_is_large_enough():
    assert len(CASES) >= 80


@pytest.mark.parametrize("query", NO_DESTINATION)
def test_no_destination(query):
    with pytest.raises(ParseError, match="destination"):
        parse(query)
