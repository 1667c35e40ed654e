"""URLs of a cell: the GraphQL endpoint, file downloads and a health check."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from crm.graphql.core.view import CrmGraphQLView
from crm.graphql.transfer.downloads import transfer_file


def healthz(_request: HttpRequest) -> JsonResponse:
    from django.conf import settings

    return JsonResponse({"status": "ok", "region": settings.REGION})


urlpatterns = [
    path("graphql/", csrf_exempt(CrmGraphQLView.as_view())),
    path("healthz", healthz),
    path("files/transfer-jobs/<int:job_id>/<str:name>", transfer_file),
]
