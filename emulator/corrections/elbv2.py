"""ELBv2: application load balancer attributes and sign-in actions as AWS reports them.

1. DescribeLoadBalancerAttributes returns every attribute of an application load balancer with its value,
   defaults included (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes):
   `access_logs.s3.enabled` false, `idle_timeout.timeout_seconds` 60,
   `routing.http.drop_invalid_header_fields.enabled` false, `load_balancing.cross_zone.enabled` true (always on
   for application load balancers), ... moto returns five of them, so amazon.aws.elb_application_lb fails with
   KeyError 'access_logs_s3_enabled' and attribute drift cannot be read back.
2. DescribeListeners / DescribeRules never return an OIDC action's `ClientSecret` (nor the request-only
   `UseExistingClientSecret`), and always return the sign-in defaults AWS applies: `Scope` openid,
   `SessionCookieName` AWSELBAuthSessionCookie, `SessionTimeout` 604800, `OnUnauthenticatedRequest`
   authenticate (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html).
   moto echoes the request, secret included, so the listener never compares equal and the secret leaks into
   every describe.
"""

from collections.abc import Callable
from typing import Any

from moto.elbv2.models import FakeAction, FakeLoadBalancer

APPLICATION_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}

SIGN_IN_DEFAULTS = {
    "Scope": "openid",
    "SessionCookieName": "AWSELBAuthSessionCookie",
    "SessionTimeout": 604800,
    "OnUnauthenticatedRequest": "authenticate",
}
SIGN_IN_CONFIGS = {"authenticate-oidc": "AuthenticateOidcConfig", "authenticate-cognito": "AuthenticateCognitoConfig"}
REQUEST_ONLY_OIDC_KEYS = ("ClientSecret", "UseExistingClientSecret")


def _load_balancer_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: FakeLoadBalancer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.type == "application":
            self.attrs = {**APPLICATION_DEFAULT_ATTRIBUTES, **self.attrs, "load_balancing.cross_zone.enabled": "true"}

    return __init__


def _action_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: FakeAction, data: dict[str, Any]) -> None:
        config_key = SIGN_IN_CONFIGS.get(str(data.get("Type")))
        if config_key and isinstance(data.get(config_key), dict):
            config = {**SIGN_IN_DEFAULTS, **data[config_key]}
            for key in REQUEST_ONLY_OIDC_KEYS:
                config.pop(key, None)
            data = {**data, config_key: config}
        original(self, data)

    return __init__


_applied: list[bool] = []


def apply() -> None:
    if _applied:
        return
    _applied.append(True)
    setattr(FakeLoadBalancer, "__init__", _load_balancer_init(FakeLoadBalancer.__init__))  # noqa: B010
    setattr(FakeAction, "__init__", _action_init(FakeAction.__init__))  # noqa: B010
