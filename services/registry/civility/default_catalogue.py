"""The default civility item catalogue (乡风文明评议 "3+8+N"): 8 aspects, 66 positive and negative
items with fixed points, and a one-vote-veto list (一票否决). Built from the county's description
and Duji district's published practice; the county replaces it with a new catalogue version."""
from __future__ import annotations

from typing import Any

ASPECTS = {
    "filial_care": "孝老爱亲 filial care of elders",
    "family_education": "家庭教育 family education",
    "family_harmony": "家庭和睦 relations between spouses and siblings",
    "neighbourliness": "邻里团结 relations with neighbours",
    "public_spirit": "热心公益 public-spirited work",
    "customs_reform": "移风易俗 reform of customs",
    "village_support": "支持村务 support for the village committees' work",
    "good_habits": "崇德向善 giving up bad habits",
}

# (aspect, kind, points, title)
_ITEMS: list[tuple[str, str, int, str]] = [
    ("filial_care", "positive", 5, "cares for elderly parents in daily life (赡养老人)"),
    ("filial_care", "positive", 3, "looks after sick or disabled relatives"),
    ("filial_care", "positive", 3, "named a filial family at town level or above"),
    ("filial_care", "positive", 2, "elders live in decent housing with the family"),
    ("filial_care", "negative", -10, "refuses to support elderly parents"),
    ("filial_care", "negative", -5, "elders left in unsafe housing"),
    ("filial_care", "negative", -5, "abuses or insults elders"),
    ("filial_care", "negative", -3, "disputes over elder care brought to the village"),
    ("family_education", "positive", 4, "children complete compulsory schooling"),
    ("family_education", "positive", 3, "a child admitted to college"),
    ("family_education", "positive", 2, "takes part in parents' school"),
    ("family_education", "positive", 2, "family rules and motto kept (家风家训)"),
    ("family_education", "negative", -8, "a child of school age kept out of school"),
    ("family_education", "negative", -3, "minors left without guardianship"),
    ("family_education", "negative", -3, "children involved in fights or bullying"),
    ("family_education", "negative", -2, "minors allowed into internet cafés or gambling"),
    ("family_harmony", "positive", 3, "named a harmonious family (五好家庭)"),
    ("family_harmony", "positive", 2, "siblings share family duties fairly"),
    ("family_harmony", "positive", 2, "equal treatment of sons and daughters"),
    ("family_harmony", "positive", 2, "resolves family disputes through mediation"),
    ("family_harmony", "negative", -10, "domestic violence"),
    ("family_harmony", "negative", -4, "sibling disputes over inheritance brought to the village"),
    ("family_harmony", "negative", -3, "abandons spouse or children"),
    ("family_harmony", "negative", -2, "frequent family quarrels disturbing neighbours"),
    ("neighbourliness", "positive", 3, "helps neighbours in hardship"),
    ("neighbourliness", "positive", 2, "helps in neighbours' farm work and emergencies"),
    ("neighbourliness", "positive", 2, "mediates disputes between neighbours"),
    ("neighbourliness", "positive", 2, "keeps shared roads and ditches clear"),
    ("neighbourliness", "negative", -5, "fights with neighbours"),
    ("neighbourliness", "negative", -3, "occupies shared land or roads"),
    ("neighbourliness", "negative", -3, "damages neighbours' crops or property"),
    ("neighbourliness", "negative", -2, "spreads rumours or insults neighbours"),
    ("public_spirit", "positive", 5, "donates to village roads, schools or relief"),
    ("public_spirit", "positive", 3, "volunteers in village service (志愿服务)"),
    ("public_spirit", "positive", 3, "brave or righteous act (见义勇为)"),
    ("public_spirit", "positive", 2, "takes part in village clean-ups"),
    ("public_spirit", "positive", 2, "blood donation"),
    ("public_spirit", "negative", -5, "damages public facilities"),
    ("public_spirit", "negative", -3, "refuses village public labour duty"),
    ("public_spirit", "negative", -2, "dumps rubbish in public places"),
    ("customs_reform", "positive", 4, "weddings and funerals kept simple (婚事新办、丧事简办)"),
    ("customs_reform", "positive", 3, "signs and keeps the village's customs pledge"),
    ("customs_reform", "positive", 2, "civilised sacrifice (no paper burning on roads)"),
    ("customs_reform", "positive", 2, "takes part in the red-and-white council (红白理事会)"),
    ("customs_reform", "negative", -5, "lavish banquets beyond the village's rules (大操大办)"),
    ("customs_reform", "negative", -5, "exorbitant bride price (高价彩礼)"),
    ("customs_reform", "negative", -3, "feudal superstition activities"),
    ("customs_reform", "negative", -2, "comparison gifts and extravagance"),
    ("village_support", "positive", 3, "takes part in villagers' assemblies"),
    ("village_support", "positive", 3, "supports land consolidation and village projects"),
    ("village_support", "positive", 2, "pays village fees and insurance on time"),
    ("village_support", "positive", 2, "gives suggestions adopted by the village"),
    ("village_support", "negative", -5, "obstructs village projects"),
    ("village_support", "negative", -3, "refuses rural medical and pension insurance campaigns"),
    ("village_support", "negative", -3, "illegal building on farmland"),
    ("village_support", "negative", -2, "does not attend compulsory village meetings"),
    ("good_habits", "positive", 3, "keeps a clean courtyard (美丽庭院)"),
    ("good_habits", "positive", 2, "gave up gambling or heavy drinking"),
    ("good_habits", "positive", 2, "takes part in skills training"),
    ("good_habits", "positive", 2, "sorts household waste"),
    ("good_habits", "negative", -5, "gambling"),
    ("good_habits", "negative", -3, "drunkenness causing trouble"),
    ("good_habits", "negative", -3, "straw burning in the open"),
    ("good_habits", "negative", -2, "keeps livestock loose in the village"),
    ("good_habits", "negative", -2, "idleness relying on others (等靠要)"),
    ("good_habits", "negative", -2, "untidy courtyard after repeated notices"),
]

_VETO: list[tuple[str, str]] = [
    ("V01", "listed as a dishonest judgment debtor (失信被执行人)"),
    ("V02", "convicted of a crime in the evaluation period"),
    ("V03", "disruptive or abnormal petitioning (非正常上访)"),
    ("V04", "involved in drugs, pornography or gambling rings (黄赌毒)"),
    ("V05", "organised or took part in cults (邪教)"),
    ("V06", "malicious default on a bank loan"),
    ("V07", "fraud against subsidies or insurance (骗取补贴)"),
    ("V08", "serious environmental damage"),
    ("V09", "domestic violence causing serious harm"),
]


def default_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    for aspect, kind, points, title in _ITEMS:
        prefix = ("P" if kind == "positive" else "N") + str(list(ASPECTS).index(aspect) + 1)
        counters[prefix] = counters.get(prefix, 0) + 1
        items.append({"code": f"{prefix}{counters[prefix]:02d}", "aspect": aspect, "kind": kind, "points": points,
                      "title": title})
    items += [{"code": code, "aspect": "veto", "kind": "veto", "points": 0, "title": title} for code, title in _VETO]
    return items
