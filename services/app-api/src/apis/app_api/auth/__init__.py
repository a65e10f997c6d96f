"""Sign-in through the identity provider for the web client (routes in ``apis.app_api.auth.routes``).

The package exports the service only: the container imports it, and the routes
import the container (through ``apis.app_api.dependencies``).
"""

from apis.app_api.auth.service import SignInService, build_sign_in_service

__all__ = ["SignInService", "build_sign_in_service"]
