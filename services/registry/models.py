"""The registry service's tables (one module per concept)."""
from registry.civility.models import CivilityCatalogue, CivilityEvaluation
from registry.db import Base
from registry.imports.models import ImportJob, ImportRowError
from registry.negative.models import NegativeRecord
from registry.regions.models import Region
from registry.subjects.models import Disclosure, Subject, SubjectChange, SubjectIdentity

__all__ = ["Base", "CivilityCatalogue", "CivilityEvaluation", "Disclosure", "ImportJob", "ImportRowError",
           "NegativeRecord", "Region", "Subject", "SubjectChange", "SubjectIdentity"]
