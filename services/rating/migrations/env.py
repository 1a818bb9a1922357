from common.migrations import run_env
from rating import models  # noqa: F401  (registers the tables)
from rating.db import Base

run_env(Base.metadata)
