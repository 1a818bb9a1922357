"""The rating service's tables, one module per concept; importing this registers them all."""
from rating.db import Base  # noqa: F401
from rating.indicators.models import IndicatorSystem  # noqa: F401
from rating.objections.models import Objection  # noqa: F401
from rating.pairing.models import Pairing  # noqa: F401
from rating.points.models import PointsEntry  # noqa: F401
from rating.ratings.models import CurrentGrade, Rating  # noqa: F401
from rating.rounds.models import RatingRound  # noqa: F401
from rating.subjects.models import CivilityResult, Loan, NegativeRecord, Subject  # noqa: F401
