from common.migrations import run_env
from merchant import models  # noqa: F401  (registers the tables)
from merchant.db import Base

run_env(Base.metadata)
