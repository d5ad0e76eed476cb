"""Natural-language route queries in Chinese and English -> origin, ordered stops, mode, provider.

Technique: a small deterministic grammar. Provider and mode words are found and removed first,
then the text is split at route markers (从/到/去/途经/先/再/依次…, from/to/via/then…), each
piece gets the role of the marker before it, and noise words are trimmed from the pieces.
The last stop that is not a "via" stop is the destination; every other stop is a waypoint, in
the order written. No model, no network: the same input always gives the same answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from .places import lookup


class ParseError(ValueError):
    """The query has no recognizable destination."""


@dataclass
class ParsedRoute:
    destination: str
    origin: str | None = None
    waypoints: list[str] = field(default_factory=list)
    mode: str | None = None
    provider: str | None = None


# ---------------------------------------------------------------------------------------------
# Providers and modes (both languages); matched case-insensitively, removed from the text.
_PROVIDER_PATTERNS = [
    ("baidu", r"(?:用|使用|通过|打开|在|拿)?百度(?:地图)?(?:app)?(?:上|里)?"),
    ("amap", r"(?:用|使用|通过|打开|在|拿)?高德(?:地图)?(?:app)?(?:上|里)?"),
    ("google", r"(?:用|使用|通过|打开|在|拿)?谷歌(?:地图)?(?:app)?(?:上|里)?"),
    ("baidu", r"\b(?:(?:using|use|with|on|in|via|through|open)\s+)?baidu(?:\s+maps?)?(?:\s+app)?\b"),
    ("amap", r"\b(?:(?:using|use|with|on|in|via|through|open)\s+)?(?:amap|gaode)(?:\s+maps?)?(?:\s+app)?\b"),
    ("google", r"\b(?:(?:using|use|with|on|in|via|through|open)\s+)?google(?:\s+maps?)?(?:\s+app)?\b"),
]
_PROVIDER_RE = [(p, re.compile(rx, re.I)) for p, rx in _PROVIDER_PATTERNS]

# A mode word followed by one of these is part of a place name (步行街, 公交站, 地铁口, 地铁2号线).
_NOT_MODE_AFTER = r"(?!站|街|口|公司|集团|大厦|总站|枢纽|[0-9一二三四五六七八九十]+号线|线)"
# A Chinese mode phrase that ends its clause may end in a direction verb (…，开车过去 / 骑车去 /
# 坐地铁过来吧): the verb belongs to the mode. Left in the text, its 去 would read as a route marker
# and "过" as the destination. Before a place the verb stays ("开车去上海": 去 marks the destination).
_ZH_MODE_VERB = (r"(?:过去|过来|去|来)(?=\s*(?:吧|呢|啊|呀|哦|嘛|了|可以吗|行吗|好吗|好不好|就行|就好)*\s*"
                 r"(?:[,，。.!！?？;；~～]|$))")


def _zh_mode(words: str) -> str:
    return f"(?:{words})(?:{_ZH_MODE_VERB})?"


_MODE_PATTERNS = [
    ("walking", _zh_mode(r"(?:步行|走路|徒步|走着|走过去)" + _NOT_MODE_AFTER + r"|走(?=到|去)")),
    ("riding", _zh_mode(r"(?:骑行|骑车|骑着车|骑(?:共享)?单车|骑自行车|骑电动车|骑电瓶车|骑摩托车?)" + _NOT_MODE_AFTER
                        + r"|骑(?=" + _ZH_MODE_VERB + ")")),
    ("transit", _zh_mode(r"(?:坐|乘|搭|乘坐)?(?:公交车?|地铁|巴士|公共交通|大巴|火车|高铁|动车|轻轨)" + _NOT_MODE_AFTER
                         + r"|坐车|乘车")),
    ("driving", _zh_mode(r"开车|自驾|驾车|开着车|打车|打的|坐出租车?|坐的士|开(?=" + _ZH_MODE_VERB + ")")),
    ("walking", r"\b(?:on foot|by foot|walking|walk)\b"),
    ("riding", r"\b(?:by (?:bike|bicycle)|on (?:a |my )?bike|ride a bike|cycling|cycle|biking|bike|bicycle)\b"),
    ("transit", r"\b(?:(?:by|take the|take a|on the) )?(?:bus|train|subway|metro|tube)\b(?!\s+(?:station|stop))"
     r"|\b(?:by )?(?:public transport(?:ation)?|transit)\b"),
    ("driving", r"\b(?:by (?:car|taxi)|driving|drive|in my car)\b"),
]
_MODE_RE = [(m, re.compile(rx, re.I)) for m, rx in _MODE_PATTERNS]

# ---------------------------------------------------------------------------------------------
# Chinese grammar
ORIGIN, DEST, VIA, SEQ, START, HERE = "origin", "dest", "via", "seq", "start", "here"

_ZH_REWRITES = [
    (r"回(?=家|公司|学校|酒店|宿舍|单位|老家)", "到"),
    (r"导航(?:到|去|至)|带我(?:去|到)|送我(?:去|到)|载我(?:去|到)", "到"),
    (r"到达|抵达|前往|去往|去到|走到|开到|骑到|赶到|赶往|开往|驶往|直达|直奔|目的地是|目的地为", "到"),
    (r"起点是|起点为|出发地是|出发点是", "从"),
]
_ZH_MARKERS = [
    ("依次经过", VIA), ("依次途经", VIA), ("中途经过", VIA), ("中间经过", VIA), ("中途去", VIA), ("中途到", VIA),
    ("顺路去", VIA), ("顺路到", VIA), ("顺便去", VIA), ("顺便到", VIA), ("途经", VIA), ("途径", VIA),
    ("经过", VIA), ("路过", VIA), ("经由", VIA), ("绕道", VIA), ("绕到", VIA),
    ("依次去", SEQ), ("依次到", SEQ), ("依次", SEQ), ("先去", SEQ), ("先到", SEQ), ("再去", SEQ), ("再到", SEQ),
    ("然后去", SEQ), ("然后到", SEQ), ("接着去", SEQ), ("接着到", SEQ), ("之后去", SEQ), ("最后去", SEQ),
    ("最后到", SEQ), ("然后", SEQ), ("接着", SEQ), ("最后", SEQ), ("先", SEQ), ("再", SEQ),
    ("我现在在", HERE), ("我目前在", HERE), ("我人在", HERE), ("我在", HERE), ("现在在", HERE),
    ("出发", START), ("从", ORIGIN), ("由", ORIGIN),
    ("到", DEST), ("去", DEST), ("至", DEST),
]
_ZH_MARKER_RE = re.compile("(" + "|".join(re.escape(m) for m, _ in sorted(_ZH_MARKERS, key=lambda x: -len(x[0]))) + ")")
_ZH_ROLE = dict(_ZH_MARKERS)
# Place names that contain a marker character; shielded before splitting.
_ZH_PROTECTED = ["从化", "至德", "先锋", "再来"]

_ZH_LEAD_NOISE = re.compile(
    r"^(?:请问|请|麻烦你?|帮我|帮忙|给我|替我|带我|我们|咱们|我想要|我想|我要|我得|我打算|我准备|想要|想|要|打算|准备|"
    r"能不能|可不可以|可以|怎么|如何|导航|规划|查一下|查查|查询|搜索|看看|看一下|一下|现在|马上|立刻|今天|明天|后天|"
    r"周末|晚上|早上|上午|下午|中午|下班|放学|收工|嗯|呃|喂|那个|好的|送孩子|接孩子|离我最近的|最近的|附近的|就近的|"
    r"我|你|一起|开始)+"
)
_ZH_TAIL_NOISE = re.compile(
    r"(?:怎么走|怎么去|怎么过去|怎么到|怎么坐|如何走|如何去|如何到|要多久|多久|多远|远不远|的路线|路线规划|路线|的路|"
    r"导航|一下|看看|谢谢你?|可以吗|行吗|好吗|好不好|吗|吧|呢|啊|呀|哦|嘛|了|的|过去|那边|那里|那儿|玩|逛逛|逛|看|"
    r"一趟|一次|出发|最快|最近|最方便|最省钱|怎么|如何)+$"
)
_PUNCT = " \t\r\n,，。.!！?？~～、;；:：\"'“”‘’()（）[]【】<>《》-—_/\\|"
_ZH_LIST_SPLIT = re.compile(r"\s*(?:、|,|，|;|；)\s*")
_ZH_AND_SPLIT = re.compile(r"以及|还有|和|跟|与|及")
_CLAUSE_SPLIT = re.compile(r"[,，。.!！?？;；]")

_CURRENT_LOCATION = {
    "这里", "这儿", "这", "我这里", "我这儿", "我这", "当前位置", "我的位置", "现在的位置", "当前", "我现在的位置",
    "我所在的位置", "所在地", "我所在地", "我当前位置", "当前所在地", "本地", "此地",
    "here", "my location", "current location", "my current location", "where i am", "my position",
}

# ---------------------------------------------------------------------------------------------
# English grammar
_EN_MARKERS = [
    (r"starting (?:at|from)", ORIGIN), (r"leaving (?:from)?", ORIGIN), (r"from", ORIGIN),
    (r"passing (?:through|by)", VIA), (r"by way of", VIA), (r"stopping (?:at|by|in)", VIA),
    (r"stop (?:at|by|in)", VIA), (r"with (?:a )?stops? (?:at|in)", VIA), (r"via", VIA), (r"through", VIA),
    (r"and then", SEQ), (r"after that", SEQ), (r"and finally", SEQ), (r"finally", SEQ), (r"then", SEQ),
    (r"first", SEQ), (r"next", SEQ),
    (r"i'?m (?:at|in)", HERE), (r"i am (?:at|in)", HERE),
    (r"towards?", DEST), (r"to", DEST),
]
_EN_MARKER_RE = re.compile(r"\b(" + "|".join(rx for rx, _ in _EN_MARKERS) + r")\b", re.I)
_EN_ROLE = [(re.compile(r"^" + rx + r"$", re.I), role) for rx, role in _EN_MARKERS]
_EN_NOISE_WORDS = {
    "please", "pls", "i", "i'd", "id", "we", "we'd", "us", "me", "you", "can", "could", "would", "will", "want",
    "wanna", "like", "need", "to", "go", "going", "get", "getting", "head", "heading", "travel", "traveling",
    "travelling", "visit", "reach", "take", "bring", "show", "give", "find", "tell", "navigate", "navigation",
    "direction", "directions", "route", "routes", "way", "the", "a", "how", "do", "does", "should", "let's",
    "lets", "now", "today", "tonight", "tomorrow", "quickly", "asap", "hey", "hi", "hello", "ok", "okay", "and",
    "there", "what's", "whats", "is", "best", "fastest", "plan", "trip", "for", "on", "by", "in", "my", "leave",
}
_EN_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACE_SUFFIX = re.compile(
    r"(?:站|机场|公园|大学|学院|学校|医院|广场|路|街|巷|商场|酒店|宾馆|寺|山|湖|塔|桥|门|楼|馆|中心|大厦|小区|村|镇|"
    r"区|县|市|省|港|码头|景区|公司|家|park|station|airport|street|road|square|university|hospital|mall|hotel|"
    r"lake|temple|tower|bridge|museum|home|office|center|centre)$", re.I)


def normalize(text: str) -> str:
    """The text the parser reads: NFKC (full-width forms to ASCII, ligatures and compatibility
    characters expanded), control characters dropped, '|' as a comma, whitespace runs collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    text = text.replace("|", ",")  # '|' separates stops in provider URLs: treat it as a list separator
    return re.sub(r"\s+", " ", text).strip()


def _take_provider(text: str) -> tuple[str, str | None]:
    found: list[tuple[int, str]] = []
    for name, rx in _PROVIDER_RE:
        for m in rx.finditer(text):
            found.append((m.start(), name))
        text = rx.sub(" ", text)
    provider = max(found)[1] if found else None  # the last one named wins
    return text, provider


def _take_mode(text: str) -> tuple[str, str | None]:
    first: tuple[int, str] | None = None
    for mode, rx in _MODE_RE:
        m = rx.search(text)
        if m and (first is None or m.start() < first[0]):
            first = (m.start(), mode)
        text = rx.sub(" ", text)
    return text, first[1] if first else None


def _clean_zh(seg: str) -> str:
    prev = None
    seg = seg.strip(_PUNCT)
    while seg != prev:
        if seg in _CURRENT_LOCATION:
            return seg
        prev = seg
        seg = _ZH_LEAD_NOISE.sub("", seg).strip(_PUNCT)
        seg = _ZH_TAIL_NOISE.sub("", seg).strip(_PUNCT)
    return seg


def _clean_en(seg: str) -> str:
    words = seg.strip(_PUNCT).split()
    while words and words[0].casefold().strip(_PUNCT) in _EN_NOISE_WORDS - {"the"}:
        words.pop(0)
    while words and words[-1].casefold().strip(_PUNCT) in _EN_NOISE_WORDS:
        words.pop()
    if words and words[0].casefold() == "the" and len(words) == 1:
        words = []
    return " ".join(words).strip(_PUNCT)


def _split_list(seg: str, splitter: re.Pattern[str], clean: Callable[[str], str]) -> list[str]:
    out = []
    for part in splitter.split(seg):
        c = clean(part)
        if c:
            out.append(c)
    return out


def _assemble(origin: str | None, stops: list[tuple[str, str]], bare: str | None) -> ParsedRoute:
    if origin is not None and origin.casefold() in _CURRENT_LOCATION:
        origin = None
    stops = [(k, n) for k, n in stops if n.casefold() not in _CURRENT_LOCATION]
    if not stops and bare and (lookup(bare) is not None or _PLACE_SUFFIX.search(bare)):
        stops = [(DEST, bare)]
    dest_index = next((i for i in range(len(stops) - 1, -1, -1) if stops[i][0] != VIA), None)
    if dest_index is None:
        if stops:
            raise ParseError("no destination found: the query names only stops on the way "
                             f"({', '.join(n for _, n in stops)}); say where the route ends")
        raise ParseError("no destination found in the query; say where to go, e.g. '去上海' or 'to Shanghai'")
    destination = stops[dest_index][1]
    waypoints = [n for i, (_, n) in enumerate(stops) if i != dest_index]
    return ParsedRoute(destination=destination, origin=origin or None, waypoints=waypoints)


def _parse_zh(text: str) -> ParsedRoute:
    for rx, repl in _ZH_REWRITES:
        text = re.sub(rx, repl, text)
    shields = {}
    for i, word in enumerate(_ZH_PROTECTED):
        if word in text:
            key = f"\ue000{i}\ue001"
            shields[key] = word
            text = text.replace(word, key)
    parts = _ZH_MARKER_RE.split(text)

    def unshield(s: str) -> str:
        for k, w in shields.items():
            s = s.replace(k, w)
        return s

    lead = _clean_zh(_CLAUSE_SPLIT.split(unshield(parts[0]))[-1])
    items = [(_ZH_ROLE[parts[i]], unshield(parts[i + 1])) for i in range(1, len(parts), 2)]
    return _roles_to_route(lead, items, _split_zh)


def _split_zh(seg: str) -> list[str]:
    out = []
    for name in _split_list(seg, _ZH_LIST_SPLIT, _clean_zh):
        # "南京和苏州" is two stops; "颐和园", "和平饭店", "保和殿" are one: split on 和/跟/与 only when the
        # whole is not a known place and every piece is a plausible name (2+ characters).
        pieces = [_clean_zh(p) for p in _ZH_AND_SPLIT.split(name)]
        if len(pieces) > 1 and lookup(name) is None and all(len(p) >= 2 for p in pieces):
            out += pieces
        else:
            out.append(name)
    return out


def _parse_en(text: str) -> ParsedRoute:
    parts = _EN_MARKER_RE.split(text)
    lead = _clean_en(_CLAUSE_SPLIT.split(parts[0])[-1])
    items = []
    for i in range(1, len(parts), 2):
        marker = parts[i]
        role = next(r for rx, r in _EN_ROLE if rx.match(marker))
        items.append((role, parts[i + 1]))
    return _roles_to_route(lead, items, lambda s: _split_list(s, _EN_LIST_SPLIT, _clean_en))


def _roles_to_route(lead: str, items: list[tuple[str, str]], split: Callable[[str], list[str]]) -> ParsedRoute:
    origin: str | None = None
    stops: list[tuple[str, str]] = []
    if lead and items:
        # "北京到上海", "北京出发去上海", "from-less" English "Beijing to Shanghai"
        if items[0][0] in (DEST, VIA, START, SEQ):
            origin = lead
            lead = ""
    for role, seg in items:
        if role in (ORIGIN, HERE):
            names = split(seg)
            if names:
                origin = names[0]
                stops += [(DEST, n) for n in names[1:]]
        elif role == START:
            # "北京出发" marks what came before as the origin (already taken); text after it is a stop.
            stops += [(DEST, n) for n in split(seg)]
        elif role == VIA:
            stops += [(VIA, n) for n in split(seg)]
        else:  # DEST, SEQ: ordered stops, the last of them ends the route
            stops += [(role, n) for n in split(seg)]
    return _assemble(origin, stops, lead if not items else None)


_ARROW = re.compile(r"\s*(?:->|→|=>|⇒|⟶|-->)\s*")


def query_length(query: str) -> int:
    """Length the query limit applies to: the longer of the query as sent and as normalized.
    NFKC can turn one character into many (U+FDFA into 18), so a limit checked only on the raw
    text would let a short query expand past it."""
    return max(len(query), len(normalize(query)))


def parse(query: str) -> ParsedRoute:
    text = normalize(query)
    text = _ARROW.sub("到" if _CJK.search(text) else " to ", text)
    text, provider = _take_provider(text)
    text, mode = _take_mode(text)
    text = re.sub(r"\s+", " ", text).strip()
    use_zh = bool(_CJK.search(text)) and (_ZH_MARKER_RE.search(text) is not None
                                          or _EN_MARKER_RE.search(text) is None)
    route = _parse_zh(text) if use_zh else _parse_en(text)
    route.mode = mode
    route.provider = provider
    return route
