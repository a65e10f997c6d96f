"""Admin pages: managed models, AppRoles, users, quota (routes in ``apis.app_api.admin.routes``)."""

from apis.app_api.admin.service import UserAdminService

__all__ = ["UserAdminService"]
