from common.runtime import service_cli
from rating.app import DEFINITION

service_cli(DEFINITION)()
