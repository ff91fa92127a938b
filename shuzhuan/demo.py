"""Demo data: a realistic county (慈溪市) — about 2,000 enterprises over the towns and industries,
qualifications in the proportions the bureau's 2024/2025 replies report, and one account per role.

Enterprises go in through the real import service (a generated CSV), so demo data obeys the
same validation as a bureau's own spreadsheet, and loading twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shuzhuan.accounts.models import HOME_REGION_ROLES, Role, User
from shuzhuan.accounts.services import user_create
from shuzhuan.enterprises.imports import ImportReport, enterprise_import
from shuzhuan.enterprises.imports.columns import COLUMN_BY_KEY
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.enterprises.reference import INDUSTRIES, QUALIFICATION_TYPES
from shuzhuan.enterprises.uscc import uscc_make

DEMO_PASSWORD = "Shuzhuan@2026"  # noqa: S105 - a published demo password, printed by `make run`
# The seeds report these counts for the whole county; the demo keeps their proportions,
# scaled by size / REFERENCE_SIZE (2,000 demo enterprises → half of each count).
REFERENCE_SIZE = 4000
SEED_COUNTS: dict[str, tuple[int, tuple[int, ...]]] = {
    # code: (count in the county, years it is spread over)
    "national_tech_sme": (951, (2024,)),
    "provincial_tech_sme": (500, (2024,)),
    "provincial_digital_workshop": (24, (2021, 2022, 2023, 2024)),
    "provincial_smart_factory": (12, (2022, 2023, 2024)),
    "ningbo_digital_workshop": (60, (2021, 2022, 2023, 2024)),
    "ningbo_smart_factory": (26, (2022, 2023, 2024)),
    "provincial_cloud_enterprise": (40, (2023, 2024)),
    "ningbo_sample_enterprise": (10, (2023, 2024)),
    "provincial_rd_institute": (1, (2024,)),
    "provincial_hitech_rd_centre": (26, (2024,)),
    "ningbo_rd_centre": (58, (2024,)),
}
RD_SHARE_ABOVE_SCALE = 0.712
INDUSTRY_WEIGHTS = {
    "auto_parts": 22,
    "home_appliances": 20,
    "machinery": 12,
    "textiles": 8,
    "electronics": 8,
    "bearings": 7,
    "moulds": 6,
    "metal_products": 5,
    "plastics": 5,
    "chemicals": 4,
    "new_energy": 1,
    "other": 2,
}
_BRAND = "宏瑞祥恒泰盛华兴达远腾卓越鑫隆源昌凯博佳信诚安鸿宇顺丰捷宁慈海威科达洛禧舜杰中天立福"
_NOUN = {
    "auto_parts": ["汽车部件", "汽配", "车业", "汽车零部件"],
    "home_appliances": ["电器", "家电", "智能电器", "厨具电器"],
    "textiles": ["纺织", "针织", "织造"],
    "bearings": ["轴承", "精密轴承"],
    "moulds": ["模具", "精密模具"],
    "machinery": ["机械", "机电", "智能装备"],
    "electronics": ["电子", "电子科技", "光电"],
    "chemicals": ["化工", "新材料"],
    "metal_products": ["五金", "金属制品"],
    "plastics": ["塑业", "塑胶"],
    "new_energy": ["新能源", "光伏科技"],
    "other": ["实业", "科技"],
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


def _rows(size: int, seed: int, towns: list[Region]) -> list[dict[str, str]]:
    rng = random.Random(seed)
    codes = [i["code"] for i in INDUSTRIES]
    weights = [INDUSTRY_WEIGHTS.get(c, 1) for c in codes]
    names_cn = {i["code"]: i["name"] for i in INDUSTRIES}
    town_weights = [
        3 if t.code in {"cixi-zhouxiang", "cixi-guanhaiwei", "cixi-xiaolin", "cixi-hushan"} else 2
        for t in towns
    ]
    rows: list[dict[str, str]] = []
    seen_names: set[str] = set()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for n in range(size):
        industry = rng.choices(codes, weights)[0]
        town = rng.choices(towns, town_weights)[0]
        while True:
            brand = "".join(rng.sample(_BRAND, 2))
            suffix = rng.choice(["有限公司", "有限公司", "股份有限公司"])
            name = f"慈溪市{brand}{rng.choice(_NOUN[industry])}{suffix}"
            if name not in seen_names:
                seen_names.add(name)
                break
        body = "91330282" + "".join(rng.choice(alphabet) for _ in range(8)) + alphabet[n % len(alphabet)]
        above = rng.random() < 0.45
        employees = rng.randint(60, 1500) if above else rng.randint(5, 120)
        revenue_wan = round(rng.uniform(2000, 80000) if above else rng.uniform(50, 2000), 2)
        rows.append(
            {
                "uscc": uscc_make(body[:17]),
                "name": name,
                "town": town.name,
                "industry": names_cn[industry],
                "is_sme": "是" if employees < 1000 else "否",
                "above_scale": "是" if above else "否",
                "employees": str(employees),
                "revenue": f"{revenue_wan:.2f}",
                "has_rd_activity": "是" if (above and rng.random() < RD_SHARE_ABOVE_SCALE) else "否",
                "status": "存续" if rng.random() > 0.01 else "注销",
                "qualifications": "",
            }
        )
    qual_names = {q["code"]: q["name"] for q in QUALIFICATION_TYPES}
    scale = size / REFERENCE_SIZE
    holders: dict[int, list[str]] = {}
    for code, (count, years) in SEED_COUNTS.items():
        k = max(1, round(count * scale))
        # Workshops, factories, R&D centres and sample enterprises go to above-scale firms first.
        pool = [i for i, r in enumerate(rows) if r["status"] == "存续"]
        if code not in {"national_tech_sme", "provincial_tech_sme"}:
            pool.sort(key=lambda i: (rows[i]["above_scale"] != "是", rng.random()))
            chosen = pool[:k]
        else:
            chosen = rng.sample(pool, k)
        for i in chosen:
            holders.setdefault(i, []).append(f"{qual_names[code]}({rng.choice(years)})")
    for i, quals in holders.items():
        rows[i]["qualifications"] = "；".join(quals)
    return rows


def demo_load(*, size: int = 2000, seed: int = 20250630) -> tuple[ImportReport, list[DemoAccount]]:
    towns = list(Region.objects.filter(level=Region.Level.TOWN, path__startswith="/zhejiang/ningbo/cixi/"))
    if not towns:
        from shuzhuan.core.errors import ApplicationError

        raise ApplicationError("数据库中没有慈溪市的镇（街道）数据，请先运行 shuzhuan migrate")
    rows = _rows(size, seed, towns)
    keys = list(rows[0].keys())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-enterprises.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([COLUMN_BY_KEY[k].header for k in keys])
            writer.writerows([[r[k] for k in keys] for r in rows])
        report = enterprise_import(acting_user=None, path=path, filename="demo-enterprises.csv")
    return report, _demo_accounts()


def _demo_accounts() -> list[DemoAccount]:
    town = Region.objects.get(code="cixi-guanhaiwei")
    firm = Enterprise.objects.filter(town=town, status=Enterprise.Status.ACTIVE).order_by("uscc").first()
    specs = [
        ("bureau", Role.BUREAU_OFFICER, "慈溪市经信局", "cixi", None),
        ("town_guanhaiwei", Role.TOWN_OFFICER, "观海卫镇经发办", "cixi-guanhaiwei", None),
        ("enterprise", Role.ENTERPRISE, "企业联络员", None, firm.uscc if firm else None),
        ("expert", Role.EXPERT, "评审专家", "cixi", None),
        ("provider", Role.SERVICE_PROVIDER, "服务商", "cixi", None),
        ("auditor", Role.AUDITOR, "财政审计", "cixi", None),
    ]
    accounts: list[DemoAccount] = []
    for username, role, name, region, uscc in specs:
        if role == Role.ENTERPRISE and uscc is None:
            continue
        if not User.objects.filter(username=username).exists():
            user_create(
                acting_user=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                # experts and providers: the county bureau registers and manages them
                region_code=None if role in HOME_REGION_ROLES else region,
                home_region_code=region if role in HOME_REGION_ROLES else None,
                enterprise_uscc=uscc,
                check_password_strength=False,
            )
        user = User.objects.select_related("region", "enterprise").get(username=username)
        scope = user.region.name if user.region else (user.enterprise.name if user.enterprise else "—")
        if user.home_region:
            scope = f"归属 {user.home_region.name}"
        accounts.append(DemoAccount(username, Role(user.role).label, scope))
    return accounts
