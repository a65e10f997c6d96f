"""Costs: the signed-in user's own figures and the admin dashboard's (routes in ``apis.app_api.costs.routes``).

The routes are not imported here: they depend on the container, which builds
these services.
"""

from apis.app_api.costs.admin_service import AdminCostService
from apis.app_api.costs.service import CostReportService

__all__ = ["AdminCostService", "CostReportService"]
