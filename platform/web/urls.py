"""URLs of a cell: the GraphQL endpoint, file downloads and a health check."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from crm.graphql.core.view import CrmGraphQLView
from crm.graphql.ledger.downloads import invoice_document
from crm.graphql.privacy.downloads import subject_export
from crm.graphql.quotes.downloads import quote_document
from crm.graphql.transfer.downloads import transfer_file
from crm.regions.federation.views import aggregate_endpoint
from crm.regions.moves.transport import region_move_endpoint
from crm.replication.metrics import metrics
from crm.replication.views import receive_batch


def healthz(_request: HttpRequest) -> JsonResponse:
    from django.conf import settings

    return JsonResponse({"status": "ok", "region": settings.REGION})


urlpatterns = [
    path("graphql/", csrf_exempt(CrmGraphQLView.as_view())),
    path("healthz", healthz),
    path("files/transfer-jobs/<int:job_id>/<str:name>", transfer_file),
    path("files/quotes/<int:quote_id>/quote.html", quote_document),
    path("files/invoices/<int:invoice_id>/invoice.html", invoice_document),
    # Cell to cell (signed): moving a business unit between regions.
    path("internal/regions/moves/<slug:action>", region_move_endpoint),
    path("files/data-subject-requests/<int:request_id>/export.json", subject_export),
    # Cell to cell (signed): a replication batch from a group's home cell.
    path("internal/replication/batches", receive_batch),
    path("metrics", metrics),
    # Cell to cell (signed): a group view's aggregate for this cell's BUs of a group.
    path("internal/aggregates/<slug:name>", aggregate_endpoint),
]
