from common.runtime import service_cli
from stats.app import DEFINITION

service_cli(DEFINITION)()
