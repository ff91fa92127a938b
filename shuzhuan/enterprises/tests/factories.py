"""Test data for the registry, built through the real models' rules (valid USCCs, real towns)."""

from __future__ import annotations

import itertools
from typing import Any

import factory

from shuzhuan.enterprises.models import Enterprise, Industry, Qualification, QualificationType, Region
from shuzhuan.enterprises.uscc import uscc_make

_serial = itertools.count(1)


def make_uscc(n: int | None = None) -> str:
    number = next(_serial) if n is None else n
    return uscc_make(f"91330282MA{number:07d}")


def town(code: str = "cixi-guanhaiwei") -> Region:
    return Region.objects.get(code=code)


def industry(code: str = "auto_parts") -> Industry:
    return Industry.objects.get(code=code)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("uscc",)

    uscc = factory.LazyFunction(make_uscc)
    name = factory.Sequence(lambda n: f"慈溪市测试{n:04d}汽配有限公司")
    town = factory.LazyFunction(town)
    industry = factory.LazyFunction(industry)
    is_sme = True
    above_scale = False
    employees = 80
    status = Enterprise.Status.ACTIVE


def add_qualification(enterprise: Enterprise, code: str, year: int, **kwargs: Any) -> Qualification:
    return Qualification.objects.create(
        enterprise=enterprise, type=QualificationType.objects.get(code=code), year=year, **kwargs
    )
