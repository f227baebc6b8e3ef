"""China's administrative divisions, province › city › county/district, from a real gazetteer.

Places used to be read by regex: a few characters ending in 市/区/县. Real names broke it both
ways: 上城区 and 西城区 end in 城区 and were taken for the generic word, while 几名区 (几名 + 区)
and 列入市 were taken for places. Here a string is a place because the gazetteer lists it.

The data is jionlp's `dictionary/china_location.zip` (Apache-2.0; the package is maintained and
updated each year, and its change list keeps the names of merged divisions such as 下城区, which
reports of earlier years still use). Only its first three levels are read (~3,400 divisions with an
administrative code; towns and villages are left out), once per process and lazily, from the
installed package's files: jionlp itself is never imported (its import loads far more). The parsed
table is cached in `$XDG_CACHE_HOME/baogao-rag/gazetteer.json` (~/.cache by default): ~0.01 s to load
instead of ~0.1 s to parse (`python -m bench.gazetteer`).

Names are matched as:
- a division's full name (上城区, 杭州市, 浙江省, 渠县, 鄂温克族自治旗, 神农架林区);
- the short name of a province or a city (浙江, 杭州), two characters or more;
- an autonomous county's or banner's short name with 县/旗 (白沙县 for 白沙黎族自治县), as people say it.
A division named by a common word (城区, 郊区, 矿区, 市中区: jieba reads the whole name as one
ordinary noun) is a place only after its parent's name (阳泉市城区). A county of a one-character stem
(和县, 高县) is one only where it stands as a name: at the start of the text, after punctuation or
after its parent's name (四川省高县), not inside a phrase (市和县两级, 提高县域).
"""
from __future__ import annotations

import json
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable

from .errors import ModelMissing

CACHE_FORMAT = 3
_SUFFIXES = ("自治区", "自治州", "自治县", "自治旗", "特别行政区", "林区", "新区", "地区", "省", "市", "区", "县", "旗", "盟", "州")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Division:
    """One administrative division. level: 1 province, 2 city (prefecture), 3 county or district."""

    name: str
    short: str
    level: int
    code: str
    parent: str = ""  # the full name of the division above ("" for a province)
    current: bool = True  # False: a name merged away (下城区 since 2021), still used by older reports

    def to_json(self) -> list:
        return [self.name, self.short, self.level, self.code, self.parent, self.current]


def _data_files() -> tuple[Path, Path]:
    spec = find_spec("jionlp")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("The gazetteer of administrative divisions comes with the package jionlp, which is not "
                           "installed: pip install -e . (or make install).",
                           zh="缺少地名表（jionlp 包未安装）：请运行 make install 或 pip install -e .。")
    folder = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    if not (folder / "china_location.zip").is_file():
        raise ModelMissing(f"jionlp is installed without its table of administrative divisions "
                           f"({folder / 'china_location.zip'}): reinstall it with  pip install --force-reinstall "
                           "jionlp==1.5.31", zh="地名表缺失：请重新安装 jionlp（pip install --force-reinstall jionlp==1.5.31）。")
    return folder / "china_location.zip", folder / "china_location_change.txt"


def _parse(zip_path: Path, change_path: Path) -> list[Division]:
    """Levels 1–3 of jionlp's tab-indented table (province, city, county: 0, 1, 2 tabs), then the
    names its change list says were merged away."""
    with zipfile.ZipFile(zip_path) as z:
        text = z.read("china_location.txt").decode("utf-8")
    out: list[Division] = []
    province = city = ""
    for line in re.findall(r"^\t{0,2}[^\t\n]+\t\d{6}[^\n]*$", text, re.M):
        depth = len(line) - len(line.lstrip("\t"))
        name, code, short = ([f.strip() for f in line.strip("\t").split("\t")] + ["", ""])[:3]
        if depth == 0:
            province = city = name
            out.append(Division(name, short or name, 1, code))
        elif depth == 1:
            city = name
            if name != province and "直辖" not in name:  # a municipality repeats itself as its own city
                out.append(Division(name, short or name, 2, code, province))
        elif "直辖" not in name:  # 省直辖县级行政区划: the county's parent is the province
            out.append(Division(name, short or name, 3, code, city if city != province and "直辖" not in city
                                else province))
    known = {d.name for d in out}
    if change_path.exists():
        for line in change_path.read_text(encoding="utf-8").splitlines():
            old = [f.strip() for f in line.split("=>")[0].split("\t")]
            if len(old) >= 8 and old[6] and old[6] not in known:
                known.add(old[6])
                out.append(Division(old[6], old[7] or old[6], 3, "", old[4], current=False))
    return out


def _cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "baogao-rag" / "gazetteer.json"


def _load() -> "Gazetteer":
    zip_path, change_path = _data_files()
    stamp = f"{CACHE_FORMAT}:{zip_path.stat().st_size}:{zip_path.stat().st_mtime_ns}"
    cache = _cache_path()
    try:
        obj = json.loads(cache.read_text(encoding="utf-8"))
        if obj.get("stamp") == stamp:
            return Gazetteer([Division(*row) for row in obj["divisions"]], set(obj["common"]))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    found = Gazetteer(_parse(zip_path, change_path))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "divisions": [d.to_json() for d in found.divisions],
                                   "common": sorted(found.common)}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home: parse again next time
    return found


def _common_words(names: Iterable[str]) -> set[str]:
    """District names that are also ordinary words: a one-character qualifier before 区 (城区, 郊区,
    矿区) or a name built of 市/区 themselves (市中区, 新市区), which jieba reads as one ordinary word.
    (jieba's tags are no guide for other names: it tags 孝感, 黄石, 华容县 as common nouns.)"""
    from .keyword import pos_tags

    out = set()
    for name in names:
        if name.endswith("区") and (len(name) == 2 or len(name) == 3 and re.search("[市区]", name[:2])):
            tags = pos_tags(name)
            if len(tags) == 1 and not tags[0][1].startswith("ns"):
                out.add(name)
    return out


class Gazetteer:
    def __init__(self, divisions: list[Division], common: set[str] | None = None):
        self.divisions = divisions
        self.by_name: dict[str, list[Division]] = {}
        for d in divisions:
            self._add(d.name, d)
            if d.level <= 2 and len(d.short) >= 2 and d.short != d.name:
                self._add(d.short, d)
            for kind, said in (("自治县", "县"), ("自治旗", "旗")):
                if d.name.endswith(kind) and len(d.short) >= 2:
                    self._add(d.short + said, d)
        self.full: dict[str, Division] = {}  # by full name: the current division first (merged names last)
        for d in divisions:
            self.full.setdefault(d.name, d)
        self.common = _common_words([n for n in self.by_name if len(n) <= 3]) if common is None else common
        self.longest = max(map(len, self.by_name))

    def _add(self, name: str, d: Division) -> None:
        self.by_name.setdefault(name, [])
        if d not in self.by_name[name]:
            self.by_name[name].append(d)

    def lookup(self, name: str) -> list[Division]:
        """The divisions a name can mean (several for 朝阳区 or 鼓楼区); [] for a non-place."""
        return list(self.by_name.get(name, ()))

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def parent(self, d: Division) -> Division | None:
        return self.full.get(d.parent) if d.parent else None

    def chain(self, d: Division) -> list[Division]:
        """The division and those above it, outermost first: [浙江省, 杭州市, 上城区]."""
        out = [d]
        while (up := self.parent(out[0])) is not None and up not in out:
            out.insert(0, up)
        return out

    def contains(self, outer: str, inner: str) -> bool:
        """Whether the place named `inner` lies in (or is) the place named `outer` (杭州 ⊇ 上城区)."""
        outs = {d.name for d in self.lookup(outer)}
        return any(outs & {x.name for x in self.chain(d)} for d in self.lookup(inner))

    def places_in(self, text: str) -> list[tuple[str, int, int]]:
        """The places a text names, as (name, start, end): longest first at each position, never
        inside a longer name found before."""
        out = []
        i = 0
        while i < len(text):
            for n in range(min(self.longest, len(text) - i), 1, -1):
                name = text[i:i + n]
                if name in self.by_name and self._stands(text, i, name, out):
                    out.append((name, i, i + n))
                    i += n
                    break
            else:
                i += 1
        return out

    def named_places(self, text: str) -> list[tuple[str, int, int]]:
        """`places_in`, less a place written only to locate the next one (浙江省 in 浙江省杭州市,
        杭州市 in 杭州市上城区): the places the text is about."""
        found = self.places_in(text)
        return [f for f, nxt in zip(found, found[1:] + [None])
                if not (nxt and nxt[1] == f[2] and self.contains(f[0], nxt[0]))]

    def _stands(self, text: str, i: int, name: str, found: list) -> bool:
        before = found[-1] if found and found[-1][2] == i else None
        after_parent = before is not None and before[0] != name and self.contains(before[0], name)
        if name in self.common:
            return after_parent  # 阳泉市城区, never 城区 alone
        if len(name) == 2 and name[-1] in "县区市旗":
            prev = text[i - 1] if i else ""
            return after_parent or not _HAN.match(prev)
        return True


_lock = threading.Lock()
_loaded: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The gazetteer, loaded once per process on first use (threads asking at once wait for one load)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def strip_suffix(name: str) -> str:
    """上城区 → 上城, 杭州市 → 杭州, 鄂温克族自治旗 → 鄂温克族; a one-character stem stays whole (渠县)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[:-len(suffix)]
    return name
