"""A synthetic county, sized like Tianchang (天长市): 14 towns and streets, 151 villages, about
111,000 household files with members, 1,023 new agricultural business entities and 151 village
collectives. Deterministic from a seed; names and ID numbers are synthetic (valid in form and
checksum, random in content) and never real people's.

Also at province size: ``generate_province(counties=10)`` gives about 1,000,000 subjects.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from common.pii import id_check_char

TIANCHANG = "341181"
TOWN_NAMES = ["天长街道", "千秋街道", "广陵街道", "铜城镇", "秦栏镇", "大通镇", "杨村镇", "石梁镇",
              "新街镇", "汊涧镇", "张铺镇", "冶山镇", "郑集镇", "仁和集镇"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "国华建军明亮秀英桂兰玉梅志强海燕德胜春生金凤永福家宝立新红霞文静俊杰丽娟小平长林少华学勤"
VILLAGE_STEMS = "东西南北中前后新老大小上下高龙凤桃李杨柳荷花石桥河湖山岗塘庄岭集埠"
INDUSTRIES = ["芡实", "拉丝", "水稻", "小龙虾", "苗木", "生猪", "蔬菜", "茶叶"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


@dataclass
class Member:
    name: str
    id_number: str
    relation: str
    party_member: bool
    education: str
    labour: bool


@dataclass
class Household:
    village_code: str
    group_code: str
    head: Member
    members: list[Member]
    phone: str
    land_mu: Decimal
    agri_assets_value: Decimal
    annual_income: Decimal
    debts_outstanding: Decimal
    overdue_count: int
    industry: str
    production_years: int
    consent_date: date
    quality: float = field(repr=False)


@dataclass
class Entity:
    village_code: str
    kind: str  # new_entity or collective
    entity_type: str | None
    name: str
    registration_number: str
    industry: str
    employees: int
    assets_value: Decimal
    annual_revenue: Decimal
    debts_outstanding: Decimal


@dataclass
class Village:
    code: str
    name: str
    town_code: str
    groups: list[str]


@dataclass
class Town:
    code: str
    name: str


@dataclass
class County:
    code: str
    name: str
    towns: list[Town]
    villages: list[Village]


class CountyGenerator:
    def __init__(self, seed: int = 2022, county_code: str = TIANCHANG, county_name: str = "天长市",
                 towns: int = 14, villages: int = 151, households: int = 111_000, entities: int = 1_023) -> None:
        self.rng = random.Random(seed)
        self.county_code = county_code
        self.county_name = county_name
        self.n_towns, self.n_villages, self.n_households, self.n_entities = towns, villages, households, entities
        self._ids: set[str] = set()
        self.county = self._regions()

    def _regions(self) -> County:
        towns = [Town(f"{self.county_code}{100 + i:03d}", TOWN_NAMES[i % len(TOWN_NAMES)]) for i in range(self.n_towns)]
        villages = []
        for i in range(self.n_villages):
            town = towns[i % len(towns)]
            code = f"{town.code}{200 + i // len(towns):03d}"
            name = self.rng.choice(VILLAGE_STEMS) + self.rng.choice(VILLAGE_STEMS) + "村"
            villages.append(Village(code, name, town.code, [f"{code}{g:03d}" for g in range(1, 9)]))
        return County(self.county_code, self.county_name, towns, villages)

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))

    def _id_number(self, born: date) -> str:
        while True:
            first17 = f"{self.county_code}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            number = first17 + id_check_char(first17)
            if number not in self._ids:
                self._ids.add(number)
                return number
            born += timedelta(days=1)

    def _member(self, relation: str, age: int, quality: float) -> Member:
        born = date(2022 - age, 1, 1) + timedelta(days=self.rng.randrange(365))
        education = self.rng.choices(["primary", "junior", "senior", "college"],
                                     weights=[3, 5, 2 + quality * 2, quality * 2])[0]
        return Member(self._name(), self._id_number(born), relation, self.rng.random() < 0.06 + quality * 0.08,
                      education, 18 <= age <= 65)

    def households(self) -> Iterator[Household]:
        """About 87 % come out able and reliable enough to rate A or better."""
        per_village = self.n_households / len(self.county.villages)
        count = 0
        for vi, village in enumerate(self.county.villages):
            target = round(per_village * (vi + 1)) - round(per_village * vi)
            for _ in range(target):
                count += 1
                quality = min(1.0, max(0.0, self.rng.gauss(0.72, 0.18)))
                head = self._member("head", self.rng.randint(28, 70), quality)
                members = [head]
                if self.rng.random() < 0.85:
                    members.append(self._member("spouse", self.rng.randint(28, 68), quality))
                for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3))):
                    members.append(self._member(self.rng.choice(["child", "child", "parent"]), self.rng.randint(3, 85), quality))
                income = Decimal(int(20_000 + quality * 120_000 + self.rng.random() * 30_000))
                yield Household(
                    village_code=village.code, group_code=self.rng.choice(village.groups), head=head, members=members,
                    phone=f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}",
                    land_mu=Decimal(self.rng.randint(2, 60)) + Decimal(self.rng.randrange(10)) / 10,
                    agri_assets_value=Decimal(int(5_000 + quality * 200_000 * self.rng.random())),
                    annual_income=income,
                    debts_outstanding=Decimal(int(self.rng.random() * 50_000 * (1.2 - quality))),
                    overdue_count=0 if quality > 0.55 else self.rng.choice((0, 1, 2, 3)),
                    industry=self.rng.choice(INDUSTRIES), production_years=self.rng.randint(1, 30),
                    consent_date=date(2022, 3, 1) + timedelta(days=self.rng.randrange(200)), quality=quality)
        assert count == self.n_households

    def _uscc(self) -> str:
        while True:
            first17 = "93" + self.county_code + "".join(self.rng.choice(USCC_CHARS) for _ in range(9))
            code = first17 + uscc_check_char(first17)
            if code not in self._ids:
                self._ids.add(code)
                return code

    def entities(self) -> Iterator[Entity]:
        villages = self.county.villages
        for i in range(self.n_entities):
            village = villages[i % len(villages)]
            entity_type = self.rng.choices(["family_farm", "cooperative", "company"], weights=[5, 4, 1])[0]
            industry = self.rng.choice(INDUSTRIES)
            suffix = {"family_farm": "家庭农场", "cooperative": "专业合作社", "company": "农业有限公司"}[entity_type]
            yield Entity(village.code, "new_entity", entity_type, f"天长市{self._name()}{industry}{suffix}", self._uscc(),
                         industry, self.rng.randint(2, 80), Decimal(self.rng.randint(200_000, 8_000_000)),
                         Decimal(self.rng.randint(300_000, 12_000_000)), Decimal(self.rng.randint(0, 1_000_000)))
        for village in villages:
            yield Entity(village.code, "collective", None, f"{village.name}股份经济合作社", self._uscc(), "集体经济", 3,
                         Decimal(self.rng.randint(1_000_000, 5_000_000)),
                         Decimal(self.rng.randint(200_000, 900_000)), Decimal(0))


def generate_province(counties: int = 10, households_per_county: int = 100_000, seed: int = 2022) -> Iterator[tuple[County, CountyGenerator]]:
    """Ten counties of about 100,000 subjects each: a province-sized register."""
    for i in range(counties):
        gen = CountyGenerator(seed=seed + i, county_code=f"3411{81 + i:02d}", county_name=f"县{i + 1}",
                              households=households_per_county)
        yield gen.county, gen
