"""The ``/admin`` router: managed models, AppRoles, users, quota and costs, each guarded in its own module."""

from fastapi import APIRouter

from apis.app_api.admin import costs, managed_models, quota, roles, users

__all__ = ["router"]

router = APIRouter(prefix="/admin")
router.include_router(managed_models.router)
router.include_router(roles.router)
router.include_router(users.router)
router.include_router(quota.router)
router.include_router(costs.router)
