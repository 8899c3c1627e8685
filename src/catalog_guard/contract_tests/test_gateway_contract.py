"""``GatewayContract`` against ``--catalog-guard-gateway-url``."""

from catalog_guard.contract import GatewayContract


class TestGatewayContract(GatewayContract):
    optional = True
