"""Offline gazetteer: Chinese administrative units (province, prefecture, county) and landmarks.

Data: data/places_cn.csv and data/landmarks.csv (see data/SOURCES.md for sources and licences).
Coordinates are GCJ-02. No network access.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_LEVEL_RANK = {"landmark": 0, "prefecture": 1, "province": 2, "county": 3}


@dataclass(frozen=True)
class Place:
    name: str          # canonical name, e.g. 上海市, 外滩
    kind: str          # landmark | province | prefecture | county
    lat: float
    lng: float
    city: str          # city (prefecture or municipality) it belongs to, e.g. 上海市
    english: str = ""

    @property
    def qualified_name(self) -> str:
        """A name that is unambiguous for a search box, e.g. '外滩 上海市'."""
        if self.kind in ("landmark", "county") and self.city and self.city != self.name:
            return f"{self.name} {self.city}"
        return self.name


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    text = re.sub(r"^the\s+", "", text)
    text = text.replace("’", "").replace("'", "")
    return re.sub(r"[\s\-_.,，。]+", "", text)


def _open(name: str) -> io.StringIO:
    # Bytes decoded as they are, line ends untouched (newline=""), as the csv module wants them.
    return io.StringIO((resources.files("ai_navigator") / "data" / name).read_bytes().decode("utf-8"), newline="")


class Gazetteer:
    def __init__(self) -> None:
        self._index: dict[str, Place] = {}
        self._ambiguous: set[str] = set()
        self._counties_by_city: dict[str, dict[str, Place]] = {}
        self.count = {"province": 0, "prefecture": 0, "county": 0, "landmark": 0}
        with _open("places_cn.csv") as f:
            for row in csv.DictReader(f):
                self._add_admin(row)
        with _open("landmarks.csv") as f:
            for row in csv.DictReader(f):
                place = Place(row["name"], "landmark", float(row["lat"]), float(row["lng"]), row["city"],
                              row["english"].split("|")[0])
                self.count["landmark"] += 1
                keys = [row["name"], *filter(None, row["aliases"].split("|")), *filter(None, row["english"].split("|"))]
                for k in keys:
                    self._put(k, place)

    def _add_admin(self, row: dict[str, str]) -> None:
        level = row["level"]
        if level == "province":
            city = row["name"]
        elif level == "prefecture":
            city = row["name"]
        else:
            city = row["prefecture"] or row["province"]
        place = Place(row["name"], level, float(row["lat"]), float(row["lng"]), city, row["english"])
        self.count[level] += 1
        keys = [row["name"], row["short_name"]] + ([row["english"]] if row["english"] else [])
        if level == "county":
            by_city = self._counties_by_city.setdefault(_key(city), {})
            for k in keys:
                by_city[_key(k)] = place
            prov = row["province"]
            if prov and row["prefecture"] == "":  # counties of municipalities: 北京市 -> 朝阳区
                self._counties_by_city.setdefault(_key(prov), {}).update({_key(k): place for k in keys})
        for k in keys:
            self._put(k, place)

    def _put(self, key: str, place: Place) -> None:
        k = _key(key)
        if not k:
            return
        old = self._index.get(k)
        if old is None:
            self._index[k] = place
            return
        if old == place:
            return
        ro, rn = _LEVEL_RANK[old.kind], _LEVEL_RANK[place.kind]
        if rn < ro:
            self._index[k] = place
            self._ambiguous.discard(k)
        elif rn == ro and old.kind == "county":
            self._ambiguous.add(k)  # 朝阳区 exists in Beijing and Changchun: needs a city prefix

    def lookup(self, text: str | None) -> Place | None:
        if not text:
            return None
        k = _key(text)
        if not k:
            return None
        place = self._index.get(k)
        if place is not None and k not in self._ambiguous:
            return place
        # "北京朝阳区", "上海市浦东新区": a city name followed by one of its counties/districts.
        for n in range(2, min(len(k), 8)):
            head, tail = k[:n], k[n:]
            city = self._index.get(head)
            if city is not None and city.kind in ("province", "prefecture"):
                county = self._counties_by_city.get(_key(city.name), {}).get(tail)
                if county is not None:
                    return county
        return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()


def lookup(text: str | None) -> Place | None:
    return gazetteer().lookup(text)


EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(a: Place, b: Place) -> float:
    return haversine_km(a.lat, a.lng, b.lat, b.lng)
