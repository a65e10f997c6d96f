"""Liveness of app-api for the load balancer and the container health check."""

from apis.app_api.health.routes import router

__all__ = ["router"]
